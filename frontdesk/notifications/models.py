"""Telling people: in-app notifications and preferences for agents, editable customer mail
texts, outgoing mail jobs, and webhooks (subscriptions, deliveries, allowed hosts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What an agent can be told about; each has an in-app and an email preference."""

    ASSIGNED = "assigned", _("A ticket is assigned to me")
    MENTION = "mention", _("Someone mentions me in a note")
    CUSTOMER_REPLY = "customer_reply", _("A customer replies on my ticket")
    NEW_TICKET = "new_ticket", _("A new ticket arrives in my team, unassigned")
    SLA_WARNING = "sla_warning", _("My ticket is about to breach its SLA")
    SLA_BREACH = "sla_breach", _("My ticket breached its SLA")
    ESCALATION = "escalation", _("An escalation rule tells me")
    RULE = "rule", _("A trigger notifies me")
    WEBHOOK_OFF = "webhook_off", _("A webhook was switched off after failing (admins)")


# (in_app, email) when an agent has not chosen.
DEFAULT_PREFERENCES: dict[str, tuple[bool, bool]] = {
    Kind.ASSIGNED: (True, True),
    Kind.MENTION: (True, True),
    Kind.CUSTOMER_REPLY: (True, False),
    Kind.NEW_TICKET: (False, False),
    Kind.SLA_WARNING: (True, False),
    Kind.SLA_BREACH: (True, True),
    Kind.ESCALATION: (True, True),
    Kind.RULE: (True, True),
    Kind.WEBHOOK_OFF: (True, True),
}


class Notification(models.Model):
    """One thing one agent was told, read or not. ``key`` stops a retried job telling twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=Q(read_at__isnull=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """An agent's choice for one kind of notification (missing: the defaults)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class CustomerEvent(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Request received (acknowledgement)")
    REPLY = "reply", _("Agent reply")
    SOLVED = "solved", _("Request solved, with a link to reopen")


class NotificationTemplate(models.Model):
    """The text customers get for one event in one language, edited by admins.

    ``subject`` and ``body`` use placeholders such as ``{{ticket.number}}`` (see
    ``templates.PLACEHOLDERS``); nothing in them is executed.
    """

    event = models.CharField(_("event"), max_length=20, choices=CustomerEvent.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("customer email text")
        verbose_name_plural = _("customer email texts")
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="notification_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"


class MailState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class MailJob(models.Model):
    """A mail the desk sends by itself (rule emails, agent notices, "solved" mails).

    ``key`` is unique: the same mail is never queued twice, whoever asks again.
    """

    key = models.CharField(max_length=200, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=MailState.choices, default=MailState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")


class WebhookSubscription(models.Model):
    """Where to POST which events. The secret is stored encrypted (``crypto.py``)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    format = models.CharField(
        _("format"), max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.JSON
    )
    secret_encrypted = models.TextField(blank=True)
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    RETRYING = "retrying", _("retrying")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    REFUSED = "refused", _("refused (address not allowed)")


class WebhookDelivery(models.Model):
    """One event for one subscription, with every attempt's outcome."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx")
        ]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"], name="webhook_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id}"


class AllowedHost(models.Model):
    """A host an admin allows webhooks to reach even though it resolves to a private,
    loopback or otherwise internal address (the SSRF guard refuses those by default)."""

    host = models.CharField(_("host"), max_length=253, unique=True)
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        ordering = ["host"]
        verbose_name = _("allowed webhook host")
        verbose_name_plural = _("allowed webhook hosts")

    def __str__(self) -> str:
        return self.host
