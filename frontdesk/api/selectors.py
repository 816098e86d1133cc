"""Reads the API needs beyond the ticket selectors, scoped by who is asking.

Tickets and messages are scoped by ``frontdesk.tickets.selectors``; this module only adds
what those pages need prefetched, and the scoping of people, organizations and
configuration (which no app has selectors for yet).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from frontdesk.accounts.models import STAFF_ROLES, Team, User
from frontdesk.customers.models import Organization
from frontdesk.tickets.models import CustomField, Macro, SavedView, Tag, Ticket
from frontdesk.tickets.queues import views_for
from frontdesk.tickets.selectors import ticket_list_for

TICKET_RELATED = (
    "status",
    "priority",
    "ticket_type",
    "requester",
    "assignee",
    "team",
    "organization",
    "merged_into",
)


def _ticket_prefetches() -> list[Prefetch]:
    return [
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch("cc", queryset=User.objects.order_by("email")),
    ]


def ticket_page_queryset(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything a ticket row shows, fetched in a fixed number of queries for any page size."""
    return queryset.select_related(*TICKET_RELATED).prefetch_related(*_ticket_prefetches())


def ticket_prefetch(ticket: Ticket) -> Ticket:
    """Add tags and people on copy to a ticket from ``ticket_get_for`` (two queries)."""
    prefetch_related_objects([ticket], *_ticket_prefetches())
    return ticket


def ticket_api_list_for(user: User) -> QuerySet[Ticket]:
    return ticket_page_queryset(ticket_list_for(user))


def ticket_reload(ticket: Ticket) -> Ticket:
    """The ticket as stored after a service changed it (the caller was allowed to change it)."""
    return ticket_page_queryset(Ticket.objects.filter(pk=ticket.pk)).get()


def _is_agent(user: User) -> bool:
    # Anonymous users (schema generation, a missing login) have no role: they see nothing.
    return bool(getattr(user, "is_agent", False) and user.is_active)


def user_list_for(user: User) -> QuerySet[User]:
    """Agents look up every contact and colleague; a customer sees only themselves."""
    queryset = User.objects.select_related("organization").order_by("id")
    if _is_agent(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(pk=user.pk)


def user_search(queryset: QuerySet[User], query: str) -> QuerySet[User]:
    words = query.split()[:5]
    for word in words:
        queryset = queryset.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return queryset


def agent_q() -> Q:
    return Q(role__in=STAFF_ROLES)


def organization_list_for(user: User) -> QuerySet[Organization]:
    """Agents see every organization; a customer only their own."""
    queryset = Organization.objects.prefetch_related("domains").order_by("name")
    if _is_agent(user):
        return queryset
    if getattr(user, "organization_id", None) is None:
        return queryset.none()
    return queryset.filter(pk=user.organization_id)


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related("members").order_by("tier", "name")


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.all()


def custom_field_list_for(user: User) -> QuerySet[CustomField]:
    """Agents see every definition; customers only the active ones they fill in."""
    queryset = CustomField.objects.prefetch_related("ticket_types").order_by("position", "pk")
    if _is_agent(user):
        return queryset
    return queryset.filter(customer_visible=True, active=True)


def customer_visible_field_keys() -> frozenset[str]:
    return frozenset(
        CustomField.objects.filter(customer_visible=True, active=True).values_list("key", flat=True)
    )


def macro_list_for(user: User) -> QuerySet[Macro]:
    """Active macros shared with every agent, plus the agent's own."""
    if not _is_agent(user):
        return Macro.objects.none()
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user), active=True).order_by(
        "name", "pk"
    )


def macro_get_for(user: User, macro_id: int) -> Macro:
    macro = macro_list_for(user).filter(pk=macro_id).first()
    if macro is None:
        raise Http404("No such macro")
    return macro


def saved_view_list_for(user: User) -> list[SavedView]:
    if not _is_agent(user):
        return []
    return list(views_for(user))


def saved_view_get_for(user: User, view_id: int) -> SavedView:
    view = next((v for v in saved_view_list_for(user) if v.pk == view_id), None)
    if view is None:
        raise Http404("No such view")
    return view
