"""Reporting: daily rollups of ticket facts, saved reports, and customer feedback.

Rollup rows are derived data: they can be dropped and rebuilt at any time from the tickets
(``manage.py reporting_rollup --days N``). Survey answers and saved reports are primary data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Dimensions a daily rollup row is keyed by. Their column names match ``Ticket``'s, so one
# filter builder serves both the live ticket queries and the rollup queries.
ROLLUP_DIMENSIONS = ("team_id", "channel", "ticket_type_id", "priority_id", "assignee_id")
# First-response histogram buckets, upper bounds in seconds (the last one is open).
RESPONSE_BUCKETS = (3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 86400)


class DailyTicketStats(models.Model):
    """Additive ticket facts for one local day and one combination of the dimensions.

    Each column counts on its own anchor: ``created`` on the day a ticket was created,
    ``solved`` and the resolution columns on the day of its (last) solve, the response
    columns on the day of its first agent reply. Sums and counts only, so any range and
    any coarser grouping is a ``SUM``.
    """

    day = models.DateField()
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20)
    ticket_type_id = models.BigIntegerField(null=True)
    priority_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)

    created = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    resolution_seconds = models.FloatField(default=0)
    first_responses = models.PositiveIntegerField(default=0)
    first_response_seconds = models.FloatField(default=0)
    frt_b0 = models.PositiveIntegerField(default=0)
    frt_b1 = models.PositiveIntegerField(default=0)
    frt_b2 = models.PositiveIntegerField(default=0)
    frt_b3 = models.PositiveIntegerField(default=0)
    frt_b4 = models.PositiveIntegerField(default=0)
    frt_b5 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="reporting_daily_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} team={self.team_id} {self.channel}"


class DurationKind(models.IntegerChoices):
    FIRST_RESPONSE = 0, _("first response")
    RESOLUTION = 1, _("resolution")


class DailyDurationStats(models.Model):
    """How many first responses (or resolutions) of one local day and rollup key took a
    duration within one log-scale bucket (``histogram.py``): the medians and percentiles of
    long ranges are read from these counts, within a documented error, instead of sorting
    every ticket of the range. Anchored like ``DailyTicketStats``: first responses on the
    day of the first reply, resolutions on the day of the (last) solve."""

    day = models.DateField()
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20)
    ticket_type_id = models.BigIntegerField(null=True)
    priority_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    kind = models.PositiveSmallIntegerField(choices=DurationKind.choices)
    bucket = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["kind", "day"], name="reporting_duration_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} kind={self.kind} bucket={self.bucket}: {self.n}"


class DailyTagStats(models.Model):
    """Created and solved tickets per local day, tag and team (tags are many-to-many)."""

    day = models.DateField()
    tag_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    created = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "tag_id"], name="reporting_tagday_idx")]

    def __str__(self) -> str:
        return f"{self.day} tag={self.tag_id}"


class RollupDay(models.Model):
    """A day whose rollup rows are complete; ranges with a missing day are computed live."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.day)


class Schedule(models.TextChoices):
    NONE = "", _("Not sent by email")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly (Mondays)")
    MONTHLY = "monthly", _("Monthly (the 1st)")


class AttachmentFormat(models.TextChoices):
    CSV = "csv", _("CSV (spreadsheet)")
    PDF = "pdf", _("PDF (to read or print)")


class SavedReport(models.Model):
    """A report definition an agent saved: measure, grouping, range, chart; maybe emailed.

    ``spec`` keys: measure, group (list of up to two dimensions), days (a rolling range) or
    start/end (fixed dates), chart ("bar", "line", "table"), filters (dimension -> value).
    """

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports"
    )
    shared = models.BooleanField(
        _("shared with other agents"),
        default=False,
        help_text=_("Others see it with their own permissions: only figures they may see."),
    )
    spec = models.JSONField(default=dict)
    schedule = models.CharField(
        _("email it"), max_length=10, choices=Schedule.choices, default="", blank=True
    )
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("Email addresses, one per line.")
    )
    attachment = models.CharField(
        _("attached as"),
        max_length=3,
        choices=AttachmentFormat.choices,
        default=AttachmentFormat.CSV,
        db_default=AttachmentFormat.CSV,
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="reporting_schedule_due_idx",
                condition=~models.Q(schedule=""),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CsatScale(models.TextChoices):
    GOOD_BAD = "good_bad", _("Good / bad")
    FIVE = "five", _("1 to 5")


class SurveySettings(models.Model):
    """The desk's survey and reporting settings (one row, pk=1)."""

    csat_enabled = models.BooleanField(_("ask for a rating when a ticket is solved"), default=True)
    csat_scale = models.CharField(
        _("rating scale"), max_length=10, choices=CsatScale.choices, default=CsatScale.GOOD_BAD
    )
    csat_reasons = models.JSONField(
        _("reasons to choose from"),
        default=list,
        blank=True,
        help_text=_("One per line; the customer may pick one with a bad rating."),
    )
    csat_change_hours = models.PositiveIntegerField(_("hours a rating can be changed"), default=72)
    nps_enabled = models.BooleanField(_("send NPS surveys"), default=False)
    nps_interval_days = models.PositiveIntegerField(_("ask each contact every N days"), default=90)
    nps_sample_percent = models.PositiveIntegerField(
        _("sample (% of eligible contacts)"), default=100
    )
    agent_capacity = models.PositiveIntegerField(
        _("open tickets an agent can carry"),
        default=25,
        help_text=_("Workload on the dashboards is open assigned tickets against this."),
    )

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return "survey settings"


class CsatSurvey(models.Model):
    """The satisfaction survey of one ticket: one per ticket, answered (and changed) by its
    requester within the window. ``positive`` is the rating normalised across scales."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="csat_survey"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scale = models.CharField(max_length=10, choices=CsatScale.choices)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    positive = models.BooleanField(null=True)
    reason = models.CharField(max_length=120, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["answered_at"],
                name="reporting_csat_answered_idx",
                condition=models.Q(answered_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"CSAT #{self.ticket_id}: {self.rating}"


class NpsSurvey(models.Model):
    """One periodic Net Promoter Score question to one contact (one per contact and period)."""

    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    organization_id = models.BigIntegerField(null=True)
    period = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "period"], name="reporting_nps_once")
        ]
        indexes = [
            models.Index(fields=["contact", "-created_at"], name="reporting_nps_contact_idx"),
            models.Index(
                fields=["answered_at"],
                name="reporting_nps_answered_idx",
                condition=models.Q(answered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"NPS {self.contact_id}: {self.score}"
