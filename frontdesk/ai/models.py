"""What the offline intelligence keeps: vectors, bot answers, triage models and suggestions,
recurring-issue alerts, and the admin's settings.

Everything here is derived from tickets, articles and forum threads (which stay the record);
vectors and models can be rebuilt at any time with ``manage.py ai_embed`` and
``manage.py triage_train``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VectorKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    PASSAGE = "passage", _("Article section")
    THREAD = "thread", _("Forum thread")
    TICKET = "ticket", _("Ticket")


class Vector(models.Model):
    """The embedding of one thing, as float32 bytes. ``part`` numbers an article's passages.

    ``text_hash`` and ``model`` say what was embedded with what: a row whose source text or
    model changed is embedded again by the next job.
    """

    kind = models.CharField(max_length=10, choices=VectorKind.choices)
    object_id = models.BigIntegerField()
    part = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=10, blank=True)
    text_hash = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    vector = models.BinaryField()
    # Passages keep their heading and text: the answer bot shows them.
    heading = models.CharField(max_length=250, blank=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "part"], name="ai_vector_unique")
        ]
        indexes = [models.Index(fields=["kind", "id"], name="ai_vector_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}/{self.part}"


class AiSettings(models.Model):
    """The admin's choices (one row): bot threshold, triage fields and auto-apply, clusters."""

    bot_threshold = models.FloatField(
        _("answer only above this confidence"),
        default=0.45,  # calibrated on the GNOME help center (docs/ai.md)
        help_text=_("Between 0 and 1. Run the calibration to see precision and coverage."),
    )
    # Extra choice custom fields (their keys) triage predicts besides type, priority, team.
    triage_custom_fields = models.JSONField(default=list, blank=True)
    # field -> precision target (0-1) the auto-apply threshold is chosen for.
    triage_targets = models.JSONField(default=dict, blank=True)
    # field -> True: apply the suggestion by itself when it is above the threshold.
    triage_auto = models.JSONField(default=dict, blank=True)
    cluster_size = models.PositiveIntegerField(_("alert at this many similar tickets"), default=5)
    cluster_minutes = models.PositiveIntegerField(_("within this many minutes"), default=60)
    cluster_similarity = models.FloatField(_("how alike (0-1)"), default=0.7)

    class Meta:
        verbose_name = _("AI settings")

    def __str__(self) -> str:
        return "AI settings"


class BotAnswer(models.Model):
    """One question to the answer bot: what it offered, whether it answered, whether it helped."""

    question = models.TextField()
    language = models.CharField(max_length=10, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered = models.BooleanField()
    confidence = models.FloatField()
    # [{"article_id", "title", "url", "score", "heading", "passage"}] best first.
    offered = models.JSONField(default=list)
    helped = models.BooleanField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    draft_article_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="ai_bot_answer_time_idx")]

    def __str__(self) -> str:
        return self.question[:60]


class TriageModel(models.Model):
    """A trained triage model (pickled scikit-learn objects) and its held-out report."""

    created_at = models.DateTimeField()
    mode = models.CharField(max_length=10)
    n_train = models.PositiveIntegerField()
    # field -> {"accuracy", "precision", "coverage", "threshold", "n", "labels"}
    report = models.JSONField(default=dict)
    # Written by triage_train from our own objects only; never from an upload.
    blob = models.BinaryField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"triage model {self.created_at:%Y-%m-%d %H:%M}"


class TriageSuggestion(models.Model):
    """What triage suggests for one field of one ticket, and whether it was applied."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=80)
    value = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    confidence = models.FloatField()
    above_threshold = models.BooleanField(default=False)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "field"], name="ai_suggestion_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.field}={self.value}"


class ClusterAlert(models.Model):
    """A fast-growing group of similar new tickets that supervisors were told about."""

    created_at = models.DateTimeField()
    ticket_ids = models.JSONField(default=list)
    # Words the tickets share most: the likely common cause, in the tickets' own words.
    summary = models.CharField(max_length=250)
    parent = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.summary


class ImportedArticle(models.Model):
    """Which article an imported record became, so a re-import updates it."""

    external_id = models.CharField(max_length=200)
    language = models.CharField(max_length=10)
    article_id = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_id", "language"], name="ai_import_unique")
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.language})"
