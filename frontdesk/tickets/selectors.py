"""Every read of tickets, scoped by who is asking.

Customers see their own requests, requests they are copied on, and (organization managers)
their organization's. Agents see their teams' tickets, tickets assigned to them and tickets
no team owns yet; supervisors and admins see all. Internal notes are for staff only.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from frontdesk.accounts.models import User
from frontdesk.core.prepared import PreparedQuery
from frontdesk.tickets.models import (
    Attachment,
    CustomField,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)


def team_ids_of(user: User) -> list[int]:
    cached = getattr(user, "_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("pk", flat=True))
        user._team_ids = cached  # type: ignore[attr-defined]
    return cached


def _agent_visibility_q(team_ids: list[int], user_id: int) -> Q:
    return Q(team_id__in=team_ids) | Q(assignee_id=user_id) | Q(team__isnull=True)


def ticket_visibility_q(user: User) -> Q | None:
    """The filter that limits tickets to what ``user`` may see (None: everything)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_agent:
        if user.sees_all_tickets:
            return None
        return _agent_visibility_q(team_ids_of(user), user.pk)
    visible = Q(requester_id=user.pk) | Q(
        pk__in=Ticket.cc.through.objects.filter(user_id=user.pk).values("ticket_id")
    )
    if user.is_org_manager and user.organization_id:
        visible |= Q(organization_id=user.organization_id)
    return visible


def ticket_list_for(user: User) -> QuerySet[Ticket]:
    queryset = Ticket.objects.filter(merged_into__isnull=True)
    visibility = ticket_visibility_q(user)
    return queryset if visibility is None else queryset.filter(visibility)


def ticket_can_see(user: User, ticket: Ticket) -> bool:
    visibility = ticket_visibility_q(user)
    return visibility is None or Ticket.objects.filter(visibility, pk=ticket.pk).exists()


_TICKET_PAGE_RELATED = (
    "requester",
    "requester__organization",
    "assignee",
    "team",
    "status",
    "priority",
    "ticket_type",
    "organization",
    "merged_into",
)
# Ticket numbers are bigint: a larger one names no ticket (and would overflow the parameter).
_NUMBER_MAX = 2**63 - 1
_ticket_by_number = PreparedQuery(
    lambda number: Ticket.objects.select_related(*_TICKET_PAGE_RELATED).filter(number=number),
    -1,
)
# Per number of teams: the agent's visibility filter has one parameter per team.
_agent_tickets_by_number: dict[int, PreparedQuery[Ticket]] = {}


def _agent_ticket_query(team_count: int) -> PreparedQuery[Ticket]:
    query = _agent_tickets_by_number.get(team_count)
    if query is None:
        query = PreparedQuery(
            lambda number, user_id, *team_ids: Ticket.objects.select_related(
                *_TICKET_PAGE_RELATED
            ).filter(_agent_visibility_q(list(team_ids), user_id), number=number),
            -1,
            -2,
            *range(-3, -3 - team_count, -1),
        )
        _agent_tickets_by_number[team_count] = query
    return query


def ticket_get_for(user: User, number: int) -> Ticket:
    """The ticket with this number if ``user`` may see it; 404 otherwise (no existence leak).

    Staff pages ask this on every request: for staff the query is compiled once per process
    (``PreparedQuery``) with the same visibility filter as ``ticket_visibility_q``.
    """
    if type(number) is not int or not 0 < number <= _NUMBER_MAX:
        raise Http404("No such ticket")
    if user.is_authenticated and user.is_active and user.is_agent:
        if user.sees_all_tickets:
            found_one = _ticket_by_number.first(number)
        else:
            team_ids = team_ids_of(user)
            found_one = _agent_ticket_query(len(team_ids)).first(number, user.pk, *team_ids)
        if found_one is None:
            raise Http404("No such ticket")
        return found_one
    queryset = Ticket.objects.select_related(*_TICKET_PAGE_RELATED)
    visibility = ticket_visibility_q(user)
    if visibility is not None:
        queryset = queryset.filter(visibility)
    # Numbers are unique: no ORDER BY (ordering makes Django hash every selected column).
    found = list(queryset.filter(number=number).order_by()[:1])
    if not found:
        raise Http404("No such ticket")
    return found[0]


def message_list_for(user: User, ticket: Ticket) -> QuerySet[Message]:
    """The conversation as ``user`` may read it, with attachments and authors in 2 queries."""
    queryset = (
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    if not user.is_agent:
        queryset = queryset.filter(kind=MessageKind.PUBLIC)
    return queryset


def event_list_for(ticket: Ticket) -> QuerySet[TicketEvent]:
    return (
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor")
        .order_by("created_at", "pk")
    )


def link_list_for(user: User, ticket: Ticket) -> list[tuple[str, Ticket]]:
    """Linked tickets the viewer may see, each with how it relates to this one."""
    links = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).select_related(
        "source", "target", "source__status", "target__status"
    )
    visible = ticket_list_for(user)
    ids = set(
        visible.filter(
            pk__in=[lk.target_id if lk.source_id == ticket.pk else lk.source_id for lk in links]
        ).values_list("pk", flat=True)
    )
    result = []
    for link in links:
        if link.source_id == ticket.pk:
            other, label = link.target, ("parent of" if link.kind == "parent" else "related")
        else:
            other, label = link.source, ("child of" if link.kind == "parent" else "related")
        if other.pk in ids:
            result.append((label, other))
    return result


def attachment_get_for(user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message", "message__ticket", "blob")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None or not ticket_can_see(user, attachment.message.ticket):
        raise Http404("No such attachment")
    if attachment.message.kind == MessageKind.NOTE and not user.is_agent:
        raise Http404("No such attachment")
    return attachment


def requester_other_tickets(user: User, ticket: Ticket, limit: int = 5) -> list[Ticket]:
    return list(
        ticket_list_for(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("status")
        .order_by("-created_at")[:limit]
    )


def custom_fields_for(
    ticket_type: TicketType | None, *, customer_visible_only: bool = False
) -> list[CustomField]:
    """Active custom fields that apply to a ticket type (a field with no types: all)."""
    fields = CustomField.objects.filter(active=True).prefetch_related("ticket_types")
    if customer_visible_only:
        fields = fields.filter(customer_visible=True)
    return [
        field
        for field in fields
        if not field.ticket_types.all() or ticket_type in field.ticket_types.all()
    ]
