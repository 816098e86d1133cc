"""Tickets and everything attached to them.

A ticket's timestamps (first_response_at, solved_at, reopened_count, ...) are kept current
by the services so that KPIs read columns instead of scanning messages. Every change is a
``TicketEvent`` row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class StatusCategory(models.TextChoices):
    NEW = "new", pgettext_lazy("status category", "New")
    OPEN = "open", pgettext_lazy("status category", "Open")
    PENDING = "pending", pgettext_lazy("status category", "Pending")
    ON_HOLD = "on_hold", pgettext_lazy("status category", "On hold")
    SOLVED = "solved", pgettext_lazy("status category", "Solved")
    CLOSED = "closed", pgettext_lazy("status category", "Closed")


OPEN_CATEGORIES = (
    StatusCategory.NEW,
    StatusCategory.OPEN,
    StatusCategory.PENDING,
    StatusCategory.ON_HOLD,
)
DONE_CATEGORIES = (StatusCategory.SOLVED, StatusCategory.CLOSED)

# What a customer reads instead of our internal status words.
CUSTOMER_STATUS_WORDS = {
    StatusCategory.NEW: _("received"),
    StatusCategory.OPEN: _("we're on it"),
    StatusCategory.PENDING: _("waiting for you"),
    StatusCategory.ON_HOLD: _("we're on it"),
    StatusCategory.SOLVED: _("solved"),
    StatusCategory.CLOSED: _("closed"),
}


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AGENT = "agent", _("Agent")


class TranslatedNameMixin:
    """Configurable names: built-in ones are in the catalog, custom ones show as typed."""

    name: str

    @property
    def label(self) -> str:
        return gettext(self.name)


class Status(TranslatedNameMixin, models.Model):
    """A ticket status. Admins add their own; each belongs to one fixed category."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=10, choices=StatusCategory.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(
        _("default for its category"),
        default=False,
        help_text=_("Used when the desk moves a ticket into this category by itself."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("status")
        verbose_name_plural = _("statuses")

    def __str__(self) -> str:
        return self.label


class TicketType(TranslatedNameMixin, models.Model):
    """Incident, service request, question, problem, or an admin's own type."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    customer_can_choose = models.BooleanField(_("customers can choose it"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")

    def __str__(self) -> str:
        return self.label


class Priority(TranslatedNameMixin, models.Model):
    """A priority; ``rank`` orders them (higher is more urgent)."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    rank = models.PositiveIntegerField(_("rank"), unique=True)
    color = models.CharField(_("colour"), max_length=20, default="neutral")

    class Meta:
        ordering = ["-rank"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    def __str__(self) -> str:
        return self.label


class PriorityMatrixCell(models.Model):
    """One cell of the urgency x impact matrix that computes a ticket's priority."""

    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices)
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices)
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["urgency", "impact"], name="priority_matrix_cell_unique"
            )
        ]
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")

    def __str__(self) -> str:
        return f"{self.urgency} x {self.impact} -> {self.priority_id}"


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    CHECKBOX = "checkbox", _("Checkbox")


class CustomField(models.Model):
    """A typed field shown on tickets of some types (all types when none are chosen)."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    ticket_types = models.ManyToManyField(
        TicketType, blank=True, related_name="custom_fields", verbose_name=_("ticket types")
    )
    required_on_solve = models.BooleanField(_("required to solve"), default=False)
    customer_visible = models.BooleanField(_("customers fill it in"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class SlaState(models.TextChoices):
    """Where a ticket stands against its SLA (written only by the sla app's services)."""

    NONE = "none", _("No SLA")
    OK = "ok", _("On track")
    WARNING = "warning", _("Breaching soon")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")


class TicketNumberField(models.BigIntegerField):
    """The ticket number. On PostgreSQL the INSERT takes it from a sequence and returns it
    with the id (``RETURNING``): the services pass ``nextval(...)`` as its value, which
    saves asking the sequence first in a round trip of its own."""

    @property
    def db_returning(self) -> bool:  # type: ignore[override]
        return connection.vendor == "postgresql"


class Ticket(models.Model):
    """A tracked request. ``number`` is what people say; ``version`` guards concurrent edits."""

    number = TicketNumberField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=250)
    ticket_type = models.ForeignKey(
        TicketType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.ForeignKey(
        Status, verbose_name=_("status"), on_delete=models.PROTECT, related_name="+"
    )
    # Copied from status.category so queue filters need no join.
    status_category = models.CharField(max_length=10, choices=StatusCategory.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices, default="medium")
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices, default="medium")
    priority = models.ForeignKey(
        Priority, verbose_name=_("priority"), on_delete=models.PROTECT, related_name="+"
    )
    priority_overridden = models.BooleanField(_("priority set by hand"), default=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # requester, organization, team and assignee each lead a composite index (Meta.indexes),
    # so they have no single-column index of their own: it would only slow every write.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="tickets_requested",
        db_index=False,
    )
    cc = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="tickets_cc", verbose_name=_("CC")
    )
    organization = models.ForeignKey(
        "customers.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets_assigned",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)

    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    agent_reply_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    version = models.PositiveIntegerField(default=1)

    # SLA columns: written only by frontdesk.sla services (never by the ticket services), so
    # lists can sort, filter and draw countdowns without joining. Plain integers, no foreign
    # keys: tickets never depend on the sla app. Database defaults let bulk loaders skip them.
    sla_policy_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The calendar the next target counts in (None: it counts wall-clock time).
    sla_calendar_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Which target is next: first_response, next_response, periodic_update or resolution.
    sla_target = models.CharField(
        max_length=20, blank=True, default="", db_default="", editable=False
    )
    sla_state = models.CharField(
        max_length=10,
        choices=SlaState.choices,
        default=SlaState.NONE,
        db_default=SlaState.NONE,
        editable=False,
    )
    # When the next target is due (in the past once it is overdue; None while paused).
    sla_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the next target reaches its warning threshold (its badge turns amber).
    sla_warn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(
                fields=["assignee", "status_category", "-updated_at", "-id"],
                name="ticket_assignee_queue_idx",
            ),
            models.Index(
                fields=["team", "status_category", "-updated_at", "-id"],
                name="ticket_team_queue_idx",
            ),
            models.Index(
                fields=["status_category", "-updated_at", "-id"], name="ticket_status_queue_idx"
            ),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["organization", "-created_at"], name="ticket_org_idx"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            # Reporting reads solved and first-responded tickets by date range.
            models.Index(
                fields=["solved_at"],
                name="ticket_solved_idx",
                condition=Q(solved_at__isnull=False),
            ),
            models.Index(
                fields=["first_response_at"],
                name="ticket_first_response_idx",
                condition=Q(first_response_at__isnull=False),
            ),
            # Every open ticket once, small next to all tickets: sidebar counts read it
            # without touching the table (index-only scan).
            models.Index(
                fields=["team", "assignee", "status_category"],
                name="ticket_open_idx",
                condition=Q(
                    status_category__in=["new", "open", "pending", "on_hold"],
                    merged_into__isnull=True,
                ),
            ),
            # Tickets with a running SLA target, by when they turn amber.
            models.Index(
                fields=["sla_warn_at"],
                name="ticket_sla_warn_idx",
                condition=Q(sla_warn_at__isnull=False),
            ),
            # "Next due" sorting and the "breaching soon" view, over open tickets.
            models.Index(
                fields=["sla_due_at", "id"],
                name="ticket_sla_due_idx",
                condition=Q(status_category__in=["new", "open", "pending", "on_hold"]),
            ),
            models.Index(
                fields=["team", "-updated_at"],
                name="ticket_unassigned_idx",
                condition=Q(
                    assignee__isnull=True, status_category__in=["new", "open", "pending", "on_hold"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status_category in OPEN_CATEGORIES

    @property
    def customer_status(self) -> str:
        return str(CUSTOMER_STATUS_WORDS[StatusCategory(self.status_category)])


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    NOTE = "note", _("Internal note")


class Message(models.Model):
    """One entry in a ticket's conversation: a public message or an internal note."""

    # message_ticket_idx (ticket, created_at) serves every lookup by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    from_agent = models.BooleanField(default=False)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    body_text = models.TextField(blank=True)
    # Always nh3-sanitized before it is stored; rendered with |safe only for that reason.
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField()
    external_id = models.CharField(max_length=250, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


class Blob(models.Model):
    """Stored file content, addressed by its SHA-256: the same file is kept once."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="blobs/", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class Attachment(models.Model):
    """A file on a message, with the name it was sent under."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    inline = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    MESSAGE = "message", _("message added")
    MERGED = "merged", _("merged")
    MERGED_INTO = "merged_into", _("merged into")
    LINKED = "linked", _("linked")
    UNLINKED = "unlinked", _("unlinked")
    SPLIT = "split", _("split")
    MACRO = "macro", _("macro applied")
    REOPENED = "reopened", _("reopened")


class TicketEvent(models.Model):
    """One fact about a ticket: who changed what from what to what, and when."""

    # event_ticket_idx (ticket, created_at) serves every lookup by ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    field = models.CharField(max_length=60, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_idx"),
            models.Index(fields=["kind", "field", "created_at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on #{self.ticket_id}"


class LinkKind(models.TextChoices):
    RELATED = "related", _("related to")
    PARENT = "parent", _("parent of")


class TicketLink(models.Model):
    """A link between two tickets. For ``parent``, source is the parent of target."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.source_id} {self.kind} #{self.target_id}"


class Macro(models.Model):
    """A canned response with placeholders that can also set ticket fields.

    ``actions`` keys: status (slug), priority (slug), team (id), assignee ("me" or id),
    ticket_type (slug), add_tags, remove_tags (lists).
    """

    name = models.CharField(_("name"), max_length=120)
    body = models.TextField(
        _("reply text"),
        blank=True,
        help_text=_(
            "Placeholders: {{ticket.number}}, {{ticket.subject}}, "
            "{{requester.first_name}}, {{requester.name}}, {{agent.first_name}}, "
            "{{agent.name}}, {{organization.name}}"
        ),
    )
    kind = models.CharField(
        _("posts as"), max_length=10, choices=MessageKind.choices, default=MessageKind.PUBLIC
    )
    actions = models.JSONField(_("actions"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: shared with every agent."),
    )
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A saved ticket filter shown in the agent sidebar with a live count.

    ``filters`` keys: assignee ("me", "none", id), team ("mine", id), status_category
    (list), priority (list of slugs), ticket_type (list of slugs), channel (list), tag,
    requester (id), organization (id), updated_within_days (int).
    """

    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
        help_text=_("Empty: shown to every agent."),
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=30, default="-updated_at")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("view")
        verbose_name_plural = _("views")

    def __str__(self) -> str:
        return self.name
