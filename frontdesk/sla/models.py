"""SLA configuration (calendars, policies, targets, escalation rules) and per-ticket state.

Configuration is data edited in the settings pages. Per ticket, ``TicketSla`` holds the
computed picture (every target with its due time, elapsed business time and outcome) and
``SlaEvent`` the facts the scanner recorded (a warning or a breach, each exactly once).
The few columns lists need (next due time, state) live on the ticket itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from frontdesk.tickets.models import SlaState, StatusCategory


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    RESOLUTION = "resolution", _("Resolution")


# Targets whose clocks stop while the ticket is in a pause category (the response targets
# keep running: a customer waiting for an answer waits whatever the status says).
PAUSABLE_TARGETS = (TargetKind.PERIODIC_UPDATE, TargetKind.RESOLUTION)
DEFAULT_PAUSE_CATEGORIES = [StatusCategory.PENDING.value, StatusCategory.ON_HOLD.value]


def default_pause_categories() -> list[str]:
    return list(DEFAULT_PAUSE_CATEGORIES)


def default_weekly() -> dict[str, str]:
    return {day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")}


class BusinessCalendar(models.Model):
    """When the desk is open: a time zone, weekly hours and holidays.

    ``weekly`` maps ``mon``..``sun`` to intervals like ``"08:00-12:00, 13:00-17:00"`` (an
    interval ending before it starts runs past midnight). Holidays are one-off or yearly
    ``CalendarHoliday`` rows plus, optionally, a country's public holidays from the
    ``holidays`` package. The built-in 24/7 calendar is ``always_open``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    weekly = models.JSONField(_("weekly hours"), default=default_weekly, blank=True)
    always_open = models.BooleanField(_("open around the clock (24/7)"), default=False)
    country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("A country code such as SE or US; empty: no country holidays."),
    )
    subdivision = models.CharField(
        _("region"), max_length=10, blank=True, help_text=_("A state or region code, if any.")
    )
    holiday_categories = models.CharField(
        _("holiday categories"),
        max_length=100,
        default="public",
        blank=True,
        help_text=_("Comma-separated categories of the holidays package, e.g. public, de_facto."),
    )
    builtin = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-builtin", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return gettext(self.name) if self.builtin else self.name


class CalendarHoliday(models.Model):
    """A closed day: once (``date``) or every year on the same month and day (``yearly``)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holiday_rows"
    )
    date = models.DateField(_("date"))
    yearly = models.BooleanField(_("every year"), default=False)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for tickets that match ``conditions``; the first active match applies.

    ``conditions`` is an ordered list of ``{"field": ..., "values": [...]}``; all must hold.
    Fields: priority, ticket_type (slugs), organization, team (ids), requester_group (group
    names), channel (values), tag (names; any of them). An empty list matches every ticket.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business hours"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    pause_categories = models.JSONField(
        _("statuses that pause resolution and updates"),
        default=default_pause_categories,
        blank=True,
    )
    warning_percent = models.PositiveSmallIntegerField(_("warn at (% of the target)"), default=75)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """How long one target may take for one priority under a policy."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.ForeignKey(
        "tickets.Priority", verbose_name=_("priority"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    business_hours = models.BooleanField(_("in business hours"), default=True)

    class Meta:
        ordering = ["policy", "priority", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority", "kind"], name="sla_target_unique")
        ]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.priority_id}/{self.kind}: {self.minutes} min"


class Trigger(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class EscalationRule(models.Model):
    """What happens when a target is about to breach (warning) or breaches.

    Empty ``policy``/``target``: any. Every action set is applied through the ticket
    services, so each shows in the ticket's history.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("when"), max_length=10, choices=Trigger.choices)
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text=_("Empty: every policy."),
    )
    target = models.CharField(
        _("target"),
        max_length=20,
        choices=TargetKind.choices,
        blank=True,
        help_text=_("Empty: every target."),
    )
    reassign_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("move to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raise_priority = models.BooleanField(_("raise priority one step"), default=False)
    add_tag = models.CharField(_("add tag"), max_length=60, blank=True)
    notify_assignee = models.BooleanField(_("notify the assignee"), default=False)
    notify_team_lead = models.BooleanField(_("notify the team lead"), default=False)
    notify_supervisors = models.BooleanField(_("notify supervisors"), default=False)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return self.name


class TicketSla(models.Model):
    """The SLA picture of one ticket, recomputed from its history on every change.

    ``targets`` maps a target kind to its state: ``due_at``, ``warn_at``, ``started_at``,
    ``achieved_at`` (ISO times or null), ``elapsed_seconds`` and ``budget_seconds``
    (business or calendar time as the target counts), ``business``, ``running``,
    ``paused``, ``warned``, ``breached``, ``cycles`` and ``breaches`` (for the repeating
    targets). ``paused`` lists the ticket's pause periods ``[start, end-or-null]``.
    The flat columns keep what reports group by without reading JSON.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_name = models.CharField(max_length=100, blank=True)
    priority_slug = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    targets = models.JSONField(default=dict, blank=True)
    paused = models.JSONField(default=list, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_breached = models.BooleanField(default=False)
    breaches = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    # The scanner's queue: when it next has something to record for this ticket (the
    # earliest warning or breach of a running target not recorded yet). It lives here, on a
    # narrow table, because moving it on the ticket row would rewrite a wide row and every
    # one of its indexes for each alarm.
    alarm_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            models.Index(
                fields=["alarm_at"],
                name="sla_ticketsla_alarm_idx",
                condition=models.Q(alarm_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}: {self.state}"


class SlaEvent(models.Model):
    """A warning or breach, recorded once per ticket, target and cycle.

    ``cycle`` numbers the repeats of a target (each customer message starts a new
    next-response cycle, each public update a new periodic-update cycle); the unique
    constraint is what makes "exactly once" hold even if two scanners race.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events"
    )
    target = models.CharField(max_length=20, choices=TargetKind.choices)
    cycle = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Trigger.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "cycle", "kind"], name="sla_event_once"
            )
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="sla_event_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target}#{self.cycle} on ticket {self.ticket_id}"


class EscalationRun(models.Model):
    """One rule applied for one event: makes running the escalation twice a no-op."""

    event = models.ForeignKey(SlaEvent, on_delete=models.CASCADE, related_name="runs")
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="runs")
    created_at = models.DateTimeField()
    notified = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "rule"], name="sla_escalation_once")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on event {self.event_id}"


class Escalation(models.Model):
    """An agent's hand-over of a ticket to the next tier (also in the ticket's history)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    from_team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} -> team {self.to_team_id}"
