"""Every write to tickets goes through here.

Each service runs in one transaction, records a ``TicketEvent`` per change, bumps the
ticket's ``version`` and writes an outbox entry so that indexing, SLA, automation and
notifications react after the commit. No service makes a network call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Team, User
from frontdesk.core import clock
from frontdesk.core.services import IdPool, counter_next, outbox_add, outbox_add_many
from frontdesk.tickets import customfields
from frontdesk.tickets.attachments import (
    IncomingFile,
    attachment_check,
    attachment_rows,
    attachments_store,
)
from frontdesk.tickets.catalog import catalog
from frontdesk.tickets.html import html_sanitize, html_to_text, text_to_html
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import (
    DONE_CATEGORIES,
    OPEN_CATEGORIES,
    Attachment,
    Channel,
    CustomField,
    EventKind,
    Level,
    LinkKind,
    Macro,
    Message,
    MessageKind,
    Priority,
    PriorityMatrixCell,
    SavedView,
    Status,
    StatusCategory,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)
from frontdesk.tickets.placeholders import placeholders_render
from frontdesk.tickets.selectors import custom_fields_for

TOPIC_TICKET_CHANGED = "ticket.changed"
# Payload {"ticket_id", "message_id", "ticket_created"}: a message was stored (any kind, any
# author). Channels send agent replies out, notifications tell people, SLA clocks move.
TOPIC_MESSAGE_CREATED = "message.created"


class TicketConflict(Exception):  # noqa: N818 - reads as the situation it names
    """The ticket changed after the editor loaded it; their save would overwrite that."""

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        super().__init__(
            _(
                "Someone else changed ticket #%(number)s after you opened it. "
                "Reload to see their change, then try again."
            )
            % {"number": ticket.number}
        )


# --- small helpers ---------------------------------------------------------------------------

# Created by migration 0007 (PostgreSQL only); bulk loaders that write numbers must setval it.
TICKET_NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _ticket_number_for_insert() -> int | RawSQL:
    """What a new ticket's INSERT writes as its number: unique, increasing, not gapless.

    On PostgreSQL the sequence's next value inside the INSERT itself (returned with the id,
    see ``TicketNumberField``): a sequence holds no lock, so tickets opened at the same time
    do not wait for each other's commit; a rolled-back ticket leaves a gap. SQLite admits
    one writer at a time anyway: the counter row.
    """
    if connection.vendor == "postgresql":
        return RawSQL("nextval(%s)", (TICKET_NUMBER_SEQUENCE,))
    return counter_next(name="ticket_number")


def status_default(category: StatusCategory | str) -> Status:
    status = catalog().status_default(category)
    if status is None:
        raise ValidationError(_("No status is configured for category %(c)s.") % {"c": category})
    return status


def priority_compute(*, urgency: str, impact: str) -> Priority:
    """The priority the admin's urgency x impact matrix gives."""
    # A matrix with a hole falls back to the middle priority rather than failing intake.
    priority = catalog().priority_for(urgency, impact)
    if priority is None:
        raise ValidationError(_("No priorities are configured."))
    return priority


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    clean = sorted({n.strip().lower().replace(" ", "-") for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=clean)}
    for name in clean:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in clean]


def field_specs_for(ticket_type: TicketType | None) -> list[customfields.FieldSpec]:
    return [
        customfields.FieldSpec(
            key=definition.key,
            label=definition.label,
            field_type=definition.field_type,
            choices=tuple(definition.choices or ()),
            required_on_solve=definition.required_on_solve,
        )
        for definition in custom_fields_for(ticket_type)
    ]


def _event_row(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    *,
    at: datetime,
    field: str = "",
    old: object = "",
    new: object = "",
    data: Mapping[str, Any] | None = None,
) -> TicketEvent:
    """An unsaved event row (``_Writes`` stores a service's rows in one INSERT)."""
    return TicketEvent(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value=_display(old),
        new_value=_display(new),
        data=dict(data or {}),
        created_at=at,
    )


def _event(ticket: Ticket, actor: User | None, kind: str, **fields: Any) -> TicketEvent:
    """One event stored at once (``_event_row``'s fields)."""
    event = _event_row(ticket, actor, kind, **fields)
    event.save(force_insert=True)
    return event


@dataclass
class _Writes:
    """The event rows and outbox entries of one service call, in the order they happened.

    Written together at the end of the call: one INSERT for the events and one for the
    outbox instead of one per row. Event ids keep the order of the list (the history sorts
    by time, then id). Inside ``writes_batched`` on PostgreSQL the batch's messages and
    their attachment rows wait for the end too (ids drawn from the table's sequence
    beforehand, so everything that points to a message can be written meanwhile).
    """

    events: list[TicketEvent] = field(default_factory=list)
    outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    message_ids: IdPool | None = None  # a batch's, drawn once it defers a message
    locked: dict[int, Ticket] = field(default_factory=dict)  # see tickets_lock

    def event(
        self,
        ticket: Ticket,
        actor: User | None,
        kind: str,
        *,
        at: datetime,
        field: str = "",
        old: object = "",
        new: object = "",
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.events.append(
            _event_row(ticket, actor, kind, at=at, field=field, old=old, new=new, data=data)
        )

    def changed(self, ticket: Ticket) -> None:
        self.outbox.append((TOPIC_TICKET_CHANGED, {"ticket_id": ticket.pk}))

    def write(self) -> list[TicketEvent]:
        if self.messages:
            Message.objects.bulk_create(self.messages)
        if self.attachments:
            Attachment.objects.bulk_create(self.attachments)
        events = TicketEvent.objects.bulk_create(self.events) if self.events else []
        if self.outbox:
            outbox_add_many(entries=self.outbox)
        self.events, self.outbox, self.messages, self.attachments = [], [], [], []
        return events

    def flush(self) -> None:
        """``write``, or inside ``writes_batched`` hand the rows to the batch's one write."""
        batch = _batched.get()
        if batch is None:
            self.write()
            return
        batch.events.extend(self.events)
        batch.outbox.extend(self.outbox)
        self.events, self.outbox = [], []


def _message_store(message: Message, files: list[IncomingFile]) -> None:
    """Insert a new message and its attachments, or inside ``writes_batched`` on PostgreSQL
    give it its id now and leave the rows to the batch's one write."""
    batch = _batched.get()
    if batch is None or connection.vendor != "postgresql":
        message.save(force_insert=True)
        if files:
            attachments_store(message=message, files=files)
        return
    if batch.message_ids is None:
        batch.message_ids = IdPool(Message)
    message.pk = batch.message_ids.next()
    batch.messages.append(message)
    if files:
        batch.attachments.extend(attachment_rows(message=message, files=files))


_batched: ContextVar[_Writes | None] = ContextVar("ticket_writes_batched", default=None)


@contextmanager
def writes_batched() -> Iterator[None]:
    """Within one transaction, messages received (``message_receive``) write their events
    and outbox rows together when the block ends: one INSERT each for a whole mail batch
    instead of two per message; on PostgreSQL their message and attachment rows too (see
    ``_Writes``: nothing in the block may read them back from the database). Nothing is
    written if the block raises (the caller's transaction is rolled back anyway); each row
    keeps its order."""
    if _batched.get() is not None:
        yield
        return
    batch = _Writes()
    token = _batched.set(batch)
    try:
        yield
    finally:
        _batched.reset(token)
    batch.write()


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(v) for v in value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, User):
        return value.email
    if hasattr(value, "slug"):
        return str(value.slug)
    if hasattr(value, "name"):
        return str(value.name)
    return str(value)


def _changed(ticket: Ticket) -> None:
    """Ask the reactors (search index, SLA, rules, notifications) to look at the ticket."""
    outbox_add(topic=TOPIC_TICKET_CHANGED, payload={"ticket_id": ticket.pk})


def _bump(ticket: Ticket, *, at: datetime, expected_version: int | None = None) -> None:
    """Advance the version; with ``expected_version`` refuse to overwrite a newer change."""
    query = Ticket.objects.filter(pk=ticket.pk)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    if not query.update(version=F("version") + 1, updated_at=at):
        ticket.refresh_from_db()
        raise TicketConflict(ticket)
    ticket.version = (expected_version or ticket.version) + 1
    ticket.updated_at = at


def _version_next(ticket: Ticket, *, at: datetime, expected_version: int | None) -> None:
    """``_bump`` for a ticket locked by ``_lock``: the version is checked in memory and the
    service's one UPDATE of the ticket writes the new one (with ``updated_at``)."""
    if expected_version is not None and ticket.version != expected_version:
        raise TicketConflict(ticket)
    ticket.version += 1
    ticket.updated_at = at


def _ticket_own_fields() -> list[str]:
    """The ticket columns these services write; ``sla_*`` columns belong to the SLA services."""
    return [
        f.attname
        for f in Ticket._meta.concrete_fields
        if not f.primary_key and not f.name.startswith("sla_")
    ]


# Related rows a caller usually loaded already; the locked copy keeps them while it points
# to the same rows (saves a query each when a service reads them).
_KEPT_RELATIONS = ("status", "ticket_type", "priority", "requester", "organization", "team")


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent writers queue behind each other.

    Inside ``writes_batched``, a ticket that ``tickets_lock`` handed out is locked and
    current already (every service of the batch writes through that same instance)."""
    batch = _batched.get()
    if batch is not None and batch.locked.get(ticket.pk) is ticket:
        return ticket
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    for name in _KEPT_RELATIONS:
        relation = Ticket._meta.get_field(name)
        if relation.is_cached(ticket) and getattr(ticket, relation.attname) == getattr(
            locked, relation.attname
        ):
            relation.set_cached_value(locked, relation.get_cached_value(ticket))
    catalog().fill(locked)
    return locked


def tickets_lock(ids: Iterable[int]) -> dict[int, Ticket]:
    """These tickets read under a row lock (in id order) for the rest of the transaction.

    Inside ``writes_batched`` the services take these instances as locked and current, and
    skip their own re-read: a mail batch locks the tickets its replies point to with one
    query instead of one a reply."""
    tickets = Ticket.objects.select_for_update().order_by("pk").in_bulk(set(ids))
    for ticket in tickets.values():
        catalog().fill(ticket)
    batch = _batched.get()
    if batch is not None:
        batch.locked.update(tickets)
    return tickets


# --- intake ---------------------------------------------------------------------------------


def message_receive(*, inbound: InboundMessage, savepoint: bool = True) -> Message:
    """The one way in: append to ``inbound.ticket`` or open a new ticket with the message.

    ``savepoint=False`` is for a caller already in a transaction that it abandons whole
    when this raises (the mail importer's batch): it saves a savepoint's round trips.
    """
    with transaction.atomic(savepoint=savepoint):
        attachment_check(inbound.attachments)
        if inbound.ticket is None:
            return _ticket_open(inbound)
        return _message_add(
            ticket=inbound.ticket,
            author=inbound.author,
            body_text=inbound.body_text,
            body_html=inbound.body_html,
            kind=inbound.kind,
            channel=inbound.channel,
            attachments=inbound.attachments,
            status=inbound.status,
            at=inbound.received_at,
            external_id=inbound.external_id,
            metadata=inbound.metadata,
        )


def _ticket_open(inbound: InboundMessage) -> Message:
    at = inbound.received_at or clock.now()
    requester = inbound.requester or inbound.author
    subject = " ".join(inbound.subject.split())[:250]
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = [_("A subject is required.")]
    if not inbound.body_text.strip() and not inbound.body_html.strip():
        errors["body"] = [_("Describe the request.")]
    if inbound.kind == MessageKind.NOTE and not inbound.author.is_agent:
        raise PermissionDenied(_("Only agents write internal notes."))
    urgency = inbound.urgency or Level.MEDIUM
    impact = inbound.impact or Level.MEDIUM
    if urgency not in Level.values:
        errors["urgency"] = [_("Choose low, medium or high.")]
    if impact not in Level.values:
        errors["impact"] = [_("Choose low, medium or high.")]
    ticket_type = inbound.ticket_type or catalog().type_default()
    if ticket_type is None:
        errors["ticket_type"] = [_("No ticket type is configured.")]
    if inbound.assignee is not None and not inbound.assignee.is_agent:
        errors["assignee"] = [_("Only agents can be assigned.")]
    values: dict[str, Any] = {}
    if inbound.custom_fields:
        try:
            values = customfields.custom_fields_clean(
                field_specs_for(ticket_type), inbound.custom_fields, existing={}
            )
        except ValidationError as exc:
            errors.update({f"custom_fields.{k}": v for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    status = inbound.status or status_default(StatusCategory.NEW)
    if inbound.assignee is not None and status.category == StatusCategory.NEW:
        status = status_default(StatusCategory.OPEN)
    ticket = Ticket(
        number=_ticket_number_for_insert(),
        subject=subject,
        ticket_type=ticket_type,
        status=status,
        status_category=status.category,
        urgency=urgency,
        impact=impact,
        priority=priority_compute(urgency=urgency, impact=impact),
        channel=inbound.channel,
        requester=requester,
        organization_id=requester.organization_id,
        team=inbound.team,
        assignee=inbound.assignee,
        custom_fields=values,
        language=inbound.language or requester.language or "",
        created_at=at,
        updated_at=at,
        solved_at=at if status.category in DONE_CATEGORIES else None,
    )
    # An agent logging a call or chat for a customer writes the customer's request: it is
    # not a reply to them, so it starts no first-response clock and counts as their message.
    on_behalf = inbound.author.is_agent and requester.pk != inbound.author.pk
    _message_count(
        ticket,
        from_agent=inbound.author.is_agent,
        kind=inbound.kind,
        counts_as_reply=not on_behalf,
        at=at,
    )
    if on_behalf:
        ticket.last_customer_message_at = at
    if requester.organization_id is not None and User.organization.is_cached(requester):
        ticket.organization = requester.organization  # known: whoever renders it next
    # Counted before the insert, so the ticket row is written once.
    ticket.save(force_insert=True)
    cc = [u for u in inbound.cc if u.pk != requester.pk]
    if cc:
        ticket.cc.set(cc)
    tags = tags_resolve(inbound.tags) if inbound.tags else []
    if tags:
        ticket.tags.set(tags)
    # The new ticket's CCs and tags are known: whoever renders it next reads no M2M rows.
    _related_known(ticket, "cc", sorted(cc, key=lambda u: u.pk))
    _related_known(ticket, "tags", tags)
    writes = _Writes()
    writes.event(
        ticket,
        inbound.author,
        EventKind.CREATED,
        at=at,
        data={
            "channel": inbound.channel,
            "status": status.slug,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "priority": ticket.priority.slug,
        },
    )
    message = _message_append(
        ticket=ticket,
        author=inbound.author,
        body_text=inbound.body_text,
        body_html=inbound.body_html,
        kind=inbound.kind,
        channel=inbound.channel,
        attachments=inbound.attachments,
        at=at,
        external_id=inbound.external_id,
        metadata=inbound.metadata,
        counted_already=True,
        ticket_created=True,
        writes=writes,
    )
    writes.changed(ticket)
    writes.flush()
    return message


def _related_known(ticket: Ticket, name: str, rows: list[Any]) -> None:
    """Fill a many-to-many's prefetch cache with rows the service just wrote, as
    ``prefetch_related`` would have (the serializer's ``ticket.tags.all()`` then reads it)."""
    queryset = getattr(ticket, name).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(ticket, "_prefetched_objects_cache"):
        ticket._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    ticket._prefetched_objects_cache[name] = queryset  # type: ignore[attr-defined]


def _message_count(
    ticket: Ticket, *, from_agent: bool, kind: str, counts_as_reply: bool, at: datetime
) -> None:
    """What one more message changes on the ticket: counts and response timestamps."""
    ticket.message_count += 1
    if kind == MessageKind.PUBLIC and counts_as_reply:
        if from_agent:
            ticket.agent_reply_count += 1
            ticket.last_agent_reply_at = at
            if ticket.first_response_at is None:
                ticket.first_response_at = at
        else:
            ticket.last_customer_message_at = at


def _message_append(
    *,
    ticket: Ticket,
    author: User,
    body_text: str,
    body_html: str,
    kind: str,
    channel: str,
    attachments: list,
    at: datetime,
    external_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    counts_as_reply: bool = True,
    counted_already: bool = False,
    ticket_created: bool = False,
    writes: _Writes | None = None,
) -> Message:
    """Store a message and keep the ticket's message timestamps current (in memory).

    ``counted_already``: the caller applied ``_message_count`` before saving the ticket.
    ``writes``: the caller stores the message's event and outbox entry with its own (else
    they are stored here).
    """
    if body_html:
        clean_html = html_sanitize(body_html)
        text = body_text.strip() or html_to_text(clean_html)
    else:
        text = body_text.strip()
        clean_html = text_to_html(text)
    metadata = dict(metadata or {})
    if metadata.get("reply_html"):
        # The new part of a message a channel split from quoted history; shown folded open.
        metadata["reply_html"] = html_sanitize(str(metadata["reply_html"]))
    from_agent = author.is_agent
    message = Message(
        ticket=ticket,
        author=author,
        kind=kind,
        from_agent=from_agent,
        channel=channel,
        body_text=text,
        body_html=clean_html,
        created_at=at,
        external_id=external_id[:250],
        metadata=metadata,
    )
    _message_store(message, attachments)
    if not counted_already:
        _message_count(
            ticket, from_agent=from_agent, kind=kind, counts_as_reply=counts_as_reply, at=at
        )
    own = writes is None
    writes = writes or _Writes()
    writes.event(
        ticket,
        author,
        EventKind.MESSAGE,
        at=at,
        data={
            "message_id": message.pk,
            "kind": kind,
            "from_agent": from_agent,
            "channel": channel,
            "attachments": len(attachments),
        },
    )
    writes.outbox.append(
        (
            TOPIC_MESSAGE_CREATED,
            {"ticket_id": ticket.pk, "message_id": message.pk, "ticket_created": ticket_created},
        )
    )
    if own:
        writes.write()
    return message


def _message_add(
    *,
    ticket: Ticket,
    author: User,
    body_text: str,
    body_html: str = "",
    kind: str = MessageKind.PUBLIC,
    channel: str = Channel.AGENT,
    attachments: list | None = None,
    status: Status | None = None,
    at: datetime | None = None,
    external_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Message:
    """Append a reply or note. An agent may set the status with it ("reply and pend").

    A customer writing on a pending or recently solved ticket reopens it; on a closed
    ticket (or one solved longer ago than the reopen window) it starts a follow-up ticket.
    """
    attachments = attachments or []
    attachment_check(attachments)
    if not body_text.strip() and not body_html.strip() and not attachments:
        raise ValidationError({"body": [_("Write a message first.")]})
    if kind == MessageKind.NOTE and not author.is_agent:
        raise PermissionDenied(_("Only agents write internal notes."))
    at = at or clock.now()
    ticket = _lock(ticket)
    if not author.is_agent and _needs_follow_up(ticket, at):
        return _follow_up_open(
            ticket=ticket,
            author=author,
            body_text=body_text,
            body_html=body_html,
            channel=channel,
            attachments=attachments,
            at=at,
            external_id=external_id,
        )
    _version_next(ticket, at=at, expected_version=expected_version)
    writes = _Writes()
    message = _message_append(
        ticket=ticket,
        author=author,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        channel=channel,
        attachments=attachments,
        at=at,
        external_id=external_id,
        metadata=metadata,
        writes=writes,
    )
    new_status = status
    # Without an explicit status, an agent's first public reply opens a new ticket, and a
    # customer writing on a pending or solved ticket puts the ball back with the agents.
    agent_opens = author.is_agent and ticket.status_category == StatusCategory.NEW
    customer_returns = not author.is_agent and ticket.status_category in (
        StatusCategory.PENDING,
        StatusCategory.SOLVED,
    )
    if new_status is None and kind == MessageKind.PUBLIC and (agent_opens or customer_returns):
        new_status = status_default(StatusCategory.OPEN)
    if new_status is not None and new_status.pk != ticket.status_id:
        _status_apply(ticket, new_status, actor=author, at=at, writes=writes)
    # One UPDATE: the version, the counts and the status together.
    ticket.save(
        update_fields=[
            "version",
            "updated_at",
            "message_count",
            "agent_reply_count",
            "last_agent_reply_at",
            "first_response_at",
            "last_customer_message_at",
            "status",
            "status_category",
            "solved_at",
            "closed_at",
            "reopened_count",
        ]
    )
    writes.changed(ticket)
    writes.flush()
    return message


message_add = transaction.atomic(_message_add)


def ticket_reopen_until(ticket: Ticket) -> datetime | None:
    """Until when the requester may reopen a solved ticket (None: it is not solved)."""
    if ticket.status_category != StatusCategory.SOLVED or ticket.solved_at is None:
        return None
    return ticket.solved_at + timedelta(days=settings.REOPEN_WINDOW_DAYS)


def _needs_follow_up(ticket: Ticket, at: datetime) -> bool:
    """A customer message on a closed ticket, or solved past the window, starts a new one."""
    if ticket.status_category == StatusCategory.CLOSED:
        return True
    until = ticket_reopen_until(ticket)
    return until is not None and at > until


def _follow_up_open(
    *,
    ticket: Ticket,
    author: User,
    body_text: str,
    body_html: str,
    channel: str,
    attachments: list,
    at: datetime,
    external_id: str,
) -> Message:
    message = _ticket_open(
        InboundMessage(
            channel=Channel(channel),
            author=author,
            subject=ticket.subject
            if ticket.subject.startswith(_("Follow-up"))
            else _("Follow-up: %(subject)s") % {"subject": ticket.subject},
            body_text=body_text,
            body_html=body_html,
            attachments=attachments,
            ticket_type=ticket.ticket_type,
            team=ticket.team,
            received_at=at,
            external_id=external_id,
            language=ticket.language,
        )
    )
    follow_up = message.ticket
    TicketLink.objects.create(
        source=ticket, target=follow_up, kind=LinkKind.RELATED, created_by=author
    )
    _event(
        follow_up,
        author,
        EventKind.LINKED,
        at=at,
        field="follow_up_of",
        new=ticket.number,
        data={"ticket": ticket.number},
    )
    return message


def _status_apply(
    ticket: Ticket,
    status: Status,
    *,
    actor: User | None,
    at: datetime,
    writes: _Writes | None = None,
) -> None:
    """Move to a status, keeping solved/closed timestamps and the reopen count right.

    ``writes``: collect the events there (else they are stored at once)."""
    if not status.active:
        raise ValidationError({"status": [_("That status is not active.")]})
    old = ticket.status
    was_done = ticket.status_category in DONE_CATEGORIES
    if status.category == StatusCategory.SOLVED or (
        status.category == StatusCategory.CLOSED and not was_done
    ):
        missing = customfields.custom_fields_missing_for_solve(
            field_specs_for(ticket.ticket_type), ticket.custom_fields
        )
        if missing:
            raise ValidationError(
                {
                    f"custom_fields.{s.key}": [
                        _("Fill in “%(label)s” before solving.") % {"label": s.label}
                    ]
                    for s in missing
                }
            )
    ticket.status = status
    ticket.status_category = status.category
    if status.category == StatusCategory.SOLVED:
        ticket.solved_at = at
    elif status.category == StatusCategory.CLOSED:
        ticket.closed_at = at
        ticket.solved_at = ticket.solved_at or at
    elif was_done:
        ticket.reopened_count += 1
        ticket.solved_at = None
        ticket.closed_at = None
        (writes.event if writes else _event)(
            ticket, actor, EventKind.REOPENED, at=at, old=old, new=status
        )
    (writes.event if writes else _event)(
        ticket, actor, EventKind.CHANGED, at=at, field="status", old=old, new=status
    )


# --- field changes --------------------------------------------------------------------------

UPDATABLE_FIELDS = frozenset(
    {
        "subject",
        "ticket_type",
        "status",
        "urgency",
        "impact",
        "priority",
        "team",
        "assignee",
        "due_at",
        "custom_fields",
        "tags",
        "add_tags",
        "remove_tags",
        "cc",
        "requester",
        "organization",
        "language",
    }
)


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User | None,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    at: datetime | None = None,
) -> list[TicketEvent]:
    """Change ticket fields. Keys present in ``changes`` are changed; others are left alone.

    ``priority`` set by hand overrides the matrix until ``priority`` is set to ``None``,
    which returns the ticket to its computed priority.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({k: [_("This field cannot be changed.")] for k in sorted(unknown)})
    if actor is not None and not actor.is_agent:
        raise PermissionDenied(_("Only agents change ticket properties."))
    at = at or clock.now()
    ticket = _lock(ticket)
    _version_next(ticket, at=at, expected_version=expected_version)
    writes = _Writes()
    errors: dict[str, list[str]] = {}

    def set_field(name: str, new: Any, *, display_old: object = None) -> None:
        old = getattr(ticket, name)
        if old == new:
            return
        setattr(ticket, name, new)
        writes.event(
            ticket,
            actor,
            EventKind.CHANGED,
            at=at,
            field=name,
            old=display_old if display_old is not None else old,
            new=new,
        )

    if "subject" in changes:
        subject = " ".join(str(changes["subject"] or "").split())[:250]
        if not subject:
            errors["subject"] = [_("A subject is required.")]
        else:
            set_field("subject", subject)
    if "ticket_type" in changes:
        if not isinstance(changes["ticket_type"], TicketType):
            errors["ticket_type"] = [_("Choose a ticket type.")]
        else:
            set_field("ticket_type", changes["ticket_type"])
    for level in ("urgency", "impact"):
        if level in changes:
            if changes[level] not in Level.values:
                errors[level] = [_("Choose low, medium or high.")]
            else:
                set_field(level, changes[level])
    if "priority" in changes:
        priority = changes["priority"]
        if priority is None:
            ticket.priority_overridden = False
        elif isinstance(priority, Priority):
            ticket.priority_overridden = True
            set_field("priority", priority)
        else:
            errors["priority"] = [_("Choose a priority.")]
    if not ticket.priority_overridden:
        set_field("priority", priority_compute(urgency=ticket.urgency, impact=ticket.impact))
    if "team" in changes:
        team = changes["team"]
        if team is not None and not isinstance(team, Team):
            errors["team"] = [_("Choose a team.")]
        else:
            set_field("team", team)
    if "assignee" in changes:
        assignee = changes["assignee"]
        if assignee is not None and (
            not isinstance(assignee, User) or not assignee.is_agent or not assignee.is_active
        ):
            errors["assignee"] = [_("Only active agents can be assigned.")]
        else:
            set_field("assignee", assignee)
            if assignee is not None and ticket.team_id is None:
                first_team = assignee.teams.order_by("tier", "name").first()
                if first_team is not None:
                    set_field("team", first_team)
            if assignee is not None and ticket.status_category == StatusCategory.NEW:
                _status_apply(
                    ticket, status_default(StatusCategory.OPEN), actor=actor, at=at, writes=writes
                )
    if "due_at" in changes:
        set_field("due_at", changes["due_at"])
    if "language" in changes:
        set_field("language", str(changes["language"] or "")[:10])
    if "requester" in changes:
        requester = changes["requester"]
        if not isinstance(requester, User):
            errors["requester"] = [_("Choose a requester.")]
        else:
            set_field("requester", requester)
            if "organization" not in changes:
                set_field("organization", requester.organization)
    if "organization" in changes:
        set_field("organization", changes["organization"])
    if "custom_fields" in changes:
        try:
            values = customfields.custom_fields_clean(
                field_specs_for(ticket.ticket_type),
                changes["custom_fields"] or {},
                existing=ticket.custom_fields,
            )
        except ValidationError as exc:
            errors.update({f"custom_fields.{k}": v for k, v in exc.message_dict.items()})
        else:
            for key in sorted(set(values) | set(ticket.custom_fields)):
                if values.get(key) != ticket.custom_fields.get(key):
                    writes.event(
                        ticket,
                        actor,
                        EventKind.CHANGED,
                        at=at,
                        field=f"custom_fields.{key}",
                        old=ticket.custom_fields.get(key),
                        new=values.get(key),
                    )
            ticket.custom_fields = values
    if errors:
        raise ValidationError(errors)
    # Status last, so "fill the required field and solve" in one save works.
    if "status" in changes:
        status = changes["status"]
        if not isinstance(status, Status):
            raise ValidationError({"status": [_("Choose a status.")]})
        if status.pk != ticket.status_id:
            _status_apply(ticket, status, actor=actor, at=at, writes=writes)
    ticket.save(update_fields=_ticket_own_fields())
    _tags_change(ticket, actor, at, changes, writes)
    if "cc" in changes:
        old_cc = {u.email for u in ticket.cc.all()}
        new_cc = [u for u in changes["cc"] if u.pk != ticket.requester_id]
        if {u.email for u in new_cc} != old_cc:
            ticket.cc.set(new_cc)
            writes.event(
                ticket,
                actor,
                EventKind.CHANGED,
                at=at,
                field="cc",
                old=sorted(old_cc),
                new=sorted(u.email for u in new_cc),
            )
    writes.changed(ticket)
    return writes.write()


def _tags_change(
    ticket: Ticket, actor: User | None, at: datetime, changes: Mapping[str, Any], writes: _Writes
) -> None:
    if not {"tags", "add_tags", "remove_tags"} & set(changes):
        return
    current = {t.name: t for t in ticket.tags.all()}
    wanted = set(current)
    if "tags" in changes:
        wanted = {t.name for t in tags_resolve(changes["tags"] or [])}
    wanted |= {t.name for t in tags_resolve(changes.get("add_tags") or [])}
    wanted -= {n.strip().lower() for n in changes.get("remove_tags") or []}
    if wanted != set(current):
        ticket.tags.set(tags_resolve(wanted))
        writes.event(
            ticket,
            actor,
            EventKind.CHANGED,
            at=at,
            field="tags",
            old=sorted(current),
            new=sorted(wanted),
        )


def ticket_assign(
    *, ticket: Ticket, agent: User | None, actor: User, expected_version: int | None = None
) -> list[TicketEvent]:
    """Assign (or with ``agent=None`` unassign) a ticket."""
    return ticket_update(
        ticket=ticket, actor=actor, changes={"assignee": agent}, expected_version=expected_version
    )


@transaction.atomic
def ticket_set_status_by_requester(*, ticket: Ticket, actor: User, solve: bool) -> None:
    """A customer marks their request solved, or reopens it within the reopen window."""
    at = clock.now()
    ticket = _lock(ticket)
    if solve:
        if ticket.status_category in DONE_CATEGORIES:
            return
        target = status_default(StatusCategory.SOLVED)
    else:
        if ticket.status_category != StatusCategory.SOLVED or _needs_follow_up(ticket, at):
            raise ValidationError(
                _("This request can no longer be reopened; please send a new request.")
            )
        target = status_default(StatusCategory.OPEN)
    _bump(ticket, at=at)
    # A customer closing their own request is not blocked by agent-only required fields.
    ticket.status = target
    old_category = ticket.status_category
    ticket.status_category = target.category
    if solve:
        ticket.solved_at = at
    else:
        ticket.reopened_count += 1
        ticket.solved_at = None
        _event(ticket, actor, EventKind.REOPENED, at=at, old=old_category, new=target)
    _event(ticket, actor, EventKind.CHANGED, at=at, field="status", old=old_category, new=target)
    ticket.save(update_fields=["status", "status_category", "solved_at", "reopened_count"])
    _changed(ticket)


# --- merge, link, split ---------------------------------------------------------------------


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Merge ``source`` into ``target``: its messages and people move; it points to target."""
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A ticket cannot be merged into itself.")]})
    if source.merged_into_id is not None:
        raise ValidationError({"source": [_("This ticket was already merged.")]})
    if target.merged_into_id is not None:
        raise ValidationError({"target": [_("Merge into the ticket it was merged into.")]})
    at = clock.now()
    # Lock in id order so two opposite merges cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    people = set(source.cc.all()) | {source.requester}
    target.cc.add(*[p for p in people if p.pk != target.requester_id])
    stats = Message.objects.filter(ticket=target)
    target.message_count = stats.count()
    target.agent_reply_count += source.agent_reply_count
    if source.first_response_at and (
        target.first_response_at is None or source.first_response_at < target.first_response_at
    ):
        target.first_response_at = source.first_response_at
    _bump(target, at=at)
    target.save(update_fields=["message_count", "agent_reply_count", "first_response_at"])
    _bump(source, at=at)
    closed = status_default(StatusCategory.CLOSED)
    old_status = source.status
    source.merged_into = target
    source.status, source.status_category = closed, closed.category
    source.closed_at = at
    source.solved_at = source.solved_at or at
    source.message_count = 0
    source.save(
        update_fields=[
            "merged_into",
            "status",
            "status_category",
            "closed_at",
            "solved_at",
            "message_count",
        ]
    )
    _event(
        source,
        actor,
        EventKind.MERGED_INTO,
        at=at,
        field="merged_into",
        new=target.number,
        data={"target": target.number, "messages": moved},
    )
    _event(source, actor, EventKind.CHANGED, at=at, field="status", old=old_status, new=closed)
    _event(
        target,
        actor,
        EventKind.MERGED,
        at=at,
        field="merged_from",
        new=source.number,
        data={"source": source.number, "messages": moved},
    )
    _changed(source)
    _changed(target)
    return target


@transaction.atomic
def ticket_link(*, source: Ticket, target: Ticket, kind: str, actor: User) -> TicketLink:
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A ticket cannot be linked to itself.")]})
    if kind not in LinkKind.values:
        raise ValidationError({"kind": [_("Choose related or parent.")]})
    if (
        kind == LinkKind.PARENT
        and TicketLink.objects.filter(source=target, target=source, kind=LinkKind.PARENT).exists()
    ):
        raise ValidationError({"target": [_("That ticket is already this ticket's parent.")]})
    link, created = TicketLink.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"created_by": actor}
    )
    if created:
        at = clock.now()
        _event(source, actor, EventKind.LINKED, at=at, field=kind, new=target.number)
        _event(
            target,
            actor,
            EventKind.LINKED,
            at=at,
            field="child_of" if kind == LinkKind.PARENT else kind,
            new=source.number,
        )
        _bump(source, at=at)
        _bump(target, at=at)
    return link


@transaction.atomic
def ticket_unlink(*, link: TicketLink, actor: User) -> None:
    at = clock.now()
    _event(link.source, actor, EventKind.UNLINKED, at=at, field=link.kind, old=link.target.number)
    _event(link.target, actor, EventKind.UNLINKED, at=at, field=link.kind, old=link.source.number)
    link.delete()


@transaction.atomic
def message_split(*, message: Message, actor: User) -> Ticket:
    """Move one message out into a new ticket, linked to the old one as related."""
    original = _lock(message.ticket)
    if original.messages.count() < 2:
        raise ValidationError(_("A ticket's only message cannot be split out."))
    at = clock.now()
    requester = (
        message.author if message.author and not message.author.is_agent else original.requester
    )
    status = status_default(StatusCategory.OPEN)
    ticket = Ticket.objects.create(
        number=_ticket_number_for_insert(),
        subject=(
            _("Split from #%(number)s: %(subject)s")
            % {"number": original.number, "subject": original.subject}
        )[:250],
        ticket_type=original.ticket_type,
        status=status,
        status_category=status.category,
        urgency=original.urgency,
        impact=original.impact,
        priority=original.priority,
        channel=original.channel,
        requester=requester,
        organization=requester.organization,
        team=original.team,
        assignee=original.assignee,
        language=original.language,
        created_at=at,
        updated_at=at,
        message_count=1,
    )
    Message.objects.filter(pk=message.pk).update(ticket=ticket)
    Ticket.objects.filter(pk=original.pk).update(message_count=F("message_count") - 1)
    _event(ticket, actor, EventKind.CREATED, at=at, data={"split_from": original.number})
    _event(
        original,
        actor,
        EventKind.SPLIT,
        at=at,
        field="split_into",
        new=ticket.number,
        data={"message_id": message.pk},
    )
    TicketLink.objects.create(
        source=original, target=ticket, kind=LinkKind.RELATED, created_by=actor
    )
    _bump(original, at=at)
    _changed(original)
    _changed(ticket)
    return ticket


# --- macros and bulk ------------------------------------------------------------------------


def macro_context(*, ticket: Ticket, agent: User) -> dict[str, dict[str, object]]:
    requester = ticket.requester
    return {
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status.label,
            "priority": ticket.priority.label,
        },
        "requester": {
            "first_name": requester.first_name or requester.display_name,
            "last_name": requester.last_name,
            "name": requester.display_name,
            "email": requester.email,
        },
        "agent": {
            "first_name": agent.first_name or agent.display_name,
            "name": agent.display_name,
            "email": agent.email,
        },
        "organization": {"name": ticket.organization.name if ticket.organization else ""},
    }


def macro_render(*, macro: Macro, ticket: Ticket, agent: User) -> str:
    """The macro's text with this ticket's placeholders filled in (for the composer)."""
    return placeholders_render(macro.body, macro_context(ticket=ticket, agent=agent))


def macro_changes(*, macro: Macro, actor: User) -> dict[str, Any]:
    """Translate a macro's stored actions into ``ticket_update`` changes."""
    actions = macro.actions or {}
    changes: dict[str, Any] = {}
    if actions.get("status"):
        changes["status"] = Status.objects.get(slug=actions["status"])
    if actions.get("priority"):
        changes["priority"] = Priority.objects.get(slug=actions["priority"])
    if actions.get("ticket_type"):
        changes["ticket_type"] = TicketType.objects.get(slug=actions["ticket_type"])
    if actions.get("team"):
        changes["team"] = Team.objects.get(pk=actions["team"])
    if actions.get("assignee") == "me":
        changes["assignee"] = actor
    elif actions.get("assignee"):
        changes["assignee"] = User.objects.get(pk=actions["assignee"])
    if actions.get("add_tags"):
        changes["add_tags"] = list(actions["add_tags"])
    if actions.get("remove_tags"):
        changes["remove_tags"] = list(actions["remove_tags"])
    return changes


@transaction.atomic
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor: User,
    body_text: str | None = None,
    expected_version: int | None = None,
) -> Message | None:
    """Post the macro's reply (or the agent's edited version of it) and apply its actions."""
    if not actor.is_agent:
        raise PermissionDenied(_("Only agents apply macros."))
    text = macro_render(macro=macro, ticket=ticket, agent=actor) if body_text is None else body_text
    changes = macro_changes(macro=macro, actor=actor)
    status = changes.pop("status", None)
    message = None
    if text.strip():
        message = message_add(
            ticket=ticket,
            author=actor,
            body_text=text,
            kind=macro.kind,
            status=status,
            expected_version=expected_version,
        )
        expected_version = None
    elif status is not None:
        changes["status"] = status
    if changes:
        ticket_update(
            ticket=ticket, actor=actor, changes=changes, expected_version=expected_version
        )
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    _event(
        ticket,
        actor,
        EventKind.MACRO,
        at=clock.now(),
        field="macro",
        new=macro.name,
        data={"macro_id": macro.pk},
    )
    return message


@dataclass
class BulkResult:
    updated: list[int]
    failed: dict[int, str]


def tickets_bulk_update(
    *, tickets: Iterable[Ticket], actor: User, changes: Mapping[str, Any]
) -> BulkResult:
    """Apply the same change to many tickets; one ticket's refusal does not stop the rest."""
    result = BulkResult(updated=[], failed={})
    for ticket in tickets:
        try:
            with transaction.atomic():
                ticket_update(ticket=ticket, actor=actor, changes=changes)
        except ValidationError as exc:
            result.failed[ticket.number] = "; ".join(exc.messages)
        else:
            result.updated.append(ticket.number)
    return result


def tickets_bulk_merge(*, tickets: list[Ticket], target: Ticket, actor: User) -> BulkResult:
    result = BulkResult(updated=[], failed={})
    for ticket in tickets:
        if ticket.pk == target.pk:
            continue
        try:
            ticket_merge(source=ticket, target=target, actor=actor)
        except ValidationError as exc:
            result.failed[ticket.number] = "; ".join(exc.messages)
        else:
            result.updated.append(ticket.number)
    return result


# --- configuration --------------------------------------------------------------------------


@transaction.atomic
def priority_matrix_set(*, cells: Mapping[tuple[str, str], Priority]) -> None:
    """Replace matrix cells, then recompute the priority of open, non-overridden tickets."""
    for (urgency, impact), priority in cells.items():
        PriorityMatrixCell.objects.update_or_create(
            urgency=urgency, impact=impact, defaults={"priority": priority}
        )
    for (urgency, impact), priority in cells.items():
        Ticket.objects.filter(
            urgency=urgency,
            impact=impact,
            priority_overridden=False,
            status_category__in=OPEN_CATEGORIES,
        ).exclude(priority=priority).update(priority=priority)


@transaction.atomic
def saved_view_save(
    *,
    view: SavedView | None,
    owner: User | None,
    name: str,
    filters: Mapping[str, Any],
    sort: str = "-updated_at",
) -> SavedView:
    from frontdesk.tickets.queues import SORTS, filters_clean

    if sort not in SORTS:
        raise ValidationError({"sort": [_("Unknown sort order.")]})
    view = view or SavedView(owner=owner)
    view.name = name.strip()[:100]
    if not view.name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    view.filters = filters_clean(filters)
    view.sort = sort
    view.save()
    return view


def saved_view_delete(*, view: SavedView) -> None:
    view.delete()


CONFIG_MODELS = (Status, TicketType, Priority, CustomField, Macro)


@transaction.atomic
def config_record_save(
    *, instance: Any, fields: Mapping[str, Any], many: Mapping[str, Iterable[Any]] | None = None
) -> Any:
    """Save a configuration record (status, type, priority, custom field, macro).

    These carry no business rules beyond their own validation, so one service serves all.
    """
    if not isinstance(instance, CONFIG_MODELS):
        raise TypeError(f"{type(instance).__name__} is not a configuration model")
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    for name, values in (many or {}).items():
        getattr(instance, name).set(values)
    return instance
