"""Rules, time-based automations, routing and agent availability.

- ``Trigger``: an event (ticket created, customer replied, SLA breach, ...) plus JSON
  conditions (``conditions.py``) plus ordered JSON actions (``actions.py``).
- ``TimeRule``: checked hourly on tickets that have been in a state for some hours; fires
  once per ticket per window (``TimeRuleFired``).
- ``AutomationRun``: one row per engine pass over a ticket: every rule looked at, whether
  it matched and what its actions did. Shown on the ticket page.
- ``AutomationCursor``: how far the engine has read a ticket's history, and which of those
  events its own actions made (the loop guard).
- ``AgentProfile``: availability, out-of-office dates, capacity and skills of an agent.
- ``TeamRouting``: how a team's new tickets reach an agent, with the row that serialises
  concurrent assignments (``select_for_update``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TriggerEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    AGENT_REPLIED = "agent_replied", _("Agent replied")
    NOTE_ADDED = "note_added", _("Internal note added")
    SLA_WARNING = "sla_warning", _("SLA breaching soon")
    SLA_BREACH = "sla_breach", _("SLA breached")
    FEEDBACK_RECEIVED = "feedback_received", _("Feedback received")


class Trigger(models.Model):
    """When ``event`` happens to a ticket and ``conditions`` hold, run ``actions`` in order."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    event = models.CharField(_("when"), max_length=30, choices=TriggerEvent.choices)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        indexes = [models.Index(fields=["event", "active", "position"], name="trigger_event_idx")]

    def __str__(self) -> str:
        return self.name


class SinceField(models.TextChoices):
    """The ticket column a time rule counts hours from (each is a real column: SQL filters)."""

    UPDATED = "updated_at", _("last update")
    CREATED = "created_at", _("creation")
    SOLVED = "solved_at", _("solved")
    CUSTOMER = "last_customer_message_at", _("last customer message")
    AGENT = "last_agent_reply_at", _("last agent reply")
    DUE = "due_at", _("due date")


class TimeRule(models.Model):
    """Tickets in ``status_category`` for ``hours`` since ``since``: conditions, then actions.

    Fires once per ticket per window: the window starts at the ``since`` column's value,
    so a ticket that is touched (a new ``updated_at``) can fire again later.
    """

    name = models.CharField(_("name"), max_length=120)
    status_category = models.CharField(
        _("status"),
        max_length=10,
        blank=True,
        help_text=_("Only tickets in this status category (empty: any open ticket)."),
    )
    since = models.CharField(
        _("hours since"), max_length=30, choices=SinceField.choices, default=SinceField.UPDATED
    )
    hours = models.PositiveIntegerField(_("hours"), default=24)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")

    def __str__(self) -> str:
        return self.name


class TimeRuleFired(models.Model):
    """A time rule looked at a ticket in the window that began at ``window_start``.

    ``matched``: it fired (never again in this window). Otherwise its conditions did not
    hold at ``created_at``; the ticket is looked at again only once it changes after that.
    """

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    matched = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "window_start"], name="time_rule_fired_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.ticket_id} @ {self.window_start}"


class AutomationRun(models.Model):
    """One pass of the engine over one ticket for one event: what every rule did.

    ``results``: ``[{"rule": id, "kind": "trigger"|"time"|"routing", "name", "matched",
    "actions": [{"type", "ok", "detail"}]}]``. ``key`` makes non-ticket events (an SLA
    breach, a survey answer) run once even when their job is retried.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="automation_runs"
    )
    events = models.JSONField(default=list)
    depth = models.PositiveSmallIntegerField(default=0)
    matched = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(default=list)
    stopped = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="automation_run_ticket_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="automation_run_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"run on #{self.ticket_id} ({', '.join(self.events)})"


class AutomationCursor(models.Model):
    """How far the engine has read a ticket's ``TicketEvent`` rows (one row per ticket).

    Events with ids in ``(chain_from, chain_until]`` were made by the engine's own actions
    at ``chain_depth``; when a later pass sees only those, it runs at that depth, and stops
    at ``engine.MAX_DEPTH`` (a rule that re-triggers itself ends there).
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_event_id = models.BigIntegerField(default=0)
    chain_from = models.BigIntegerField(default=0)
    chain_until = models.BigIntegerField(default=0)
    chain_depth = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"#{self.ticket_id} read to {self.last_event_id}"


class Availability(models.TextChoices):
    ONLINE = "online", _("Online: receives new tickets")
    AWAY = "away", _("Away: keeps tickets, receives none")
    OFF = "off", _("Off: not working")


class AgentProfile(models.Model):
    """Routing facts about an agent: availability, out-of-office days, capacity, skills.

    ``skills``: words such as ``sv`` (a language), ``billing`` (a tag) or ``incident`` (a
    ticket type) matched against a ticket in skills-based routing.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    availability = models.CharField(
        _("availability"), max_length=10, choices=Availability.choices, default="online"
    )
    away_from = models.DateField(_("out of office from"), null=True, blank=True)
    away_until = models.DateField(_("out of office until"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=20, help_text=_("Open tickets this agent can hold at once.")
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class RoutingMode(models.TextChoices):
    MANUAL = "manual", _("Manual: agents pick tickets")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LOAD = "load_balanced", _("Load balanced (open tickets against capacity)")
    SKILLS = "skills", _("Skills (language, tags, type), then load")


class TeamRouting(models.Model):
    """How a team's unassigned tickets reach its agents. Its row is the assignment lock."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="routing"
    )
    mode = models.CharField(
        _("routing"), max_length=20, choices=RoutingMode.choices, default=RoutingMode.MANUAL
    )
    reassign_unavailable = models.BooleanField(
        _("reassign when an agent becomes unavailable"),
        default=False,
        help_text=_("Open tickets of an agent who goes off or out of office are routed again."),
    )
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return f"{self.team_id}: {self.mode}"


class EmailTemplate(models.Model):
    """A named email rules can send ("Send an email from a template"), in each language.

    ``texts``: ``{"en": {"subject": "...", "body": "..."}, "sv": {...}}``, one entry per
    language in ``settings.LANGUAGES`` that has a text; the default language's is required.
    Subjects and bodies take the macro placeholders (``{{ticket.number}}``); nothing in them
    is executed. A rule names the template (``{"type": "email_template", "template": ...}``);
    renaming a template renames it in the rules that use it.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    texts = models.JSONField(_("texts"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self) -> str:
        return self.name

    def text_for(self, language: str) -> dict[str, str]:
        """The subject and body in ``language``, else the default language's, else any."""
        texts = self.texts if isinstance(self.texts, dict) else {}
        for code in (language, settings.LANGUAGE_CODE, *texts):
            text = texts.get(code)
            if isinstance(text, dict) and text.get("body"):
                return {"subject": str(text.get("subject", "")), "body": str(text["body"])}
        return {"subject": "", "body": ""}
