"""Ticket search as an agent or customer may run it."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from frontdesk.accounts.models import User
from frontdesk.search.backends import backend, query_terms
from frontdesk.tickets.models import Message, MessageKind, Ticket
from frontdesk.tickets.selectors import ticket_list_for

_NUMBER_RE = re.compile(r"^\s*#?(\d{1,12})\s*$")
# Rank at most this many best matches; enough for any page a person reads.
MATCH_LIMIT = 200


def ticket_search(user: User, query: str, *, limit: int = 50) -> list[Ticket]:
    """Tickets matching ``query`` that ``user`` may see, best first.

    "#123" or "123" finds ticket 123 first; words match subject, people, tags and messages.
    """
    visible = ticket_list_for(user).select_related(
        "status", "priority", "requester", "assignee", "team"
    )
    found: list[Ticket] = []
    number = _NUMBER_RE.match(query)
    if number:
        found.extend(visible.filter(number=int(number.group(1))))
    if not user.is_agent:
        return found + _customer_search(visible, query, limit=limit, skip={t.pk for t in found})
    ranked = backend().ranked_ids(query, limit=MATCH_LIMIT)
    if not ranked:
        return found
    # Which ranked tickets the user may see (ids only), then the page's rows with their
    # people and status: building every ranked match with its joins cost more than the
    # search itself.
    allowed = set(ticket_list_for(user).filter(pk__in=ranked).values_list("pk", flat=True))
    seen = {t.pk for t in found}
    wanted = [pk for pk in ranked if pk in allowed and pk not in seen][: max(0, limit - len(found))]
    by_id = {t.pk: t for t in visible.filter(pk__in=wanted)} if wanted else {}
    found.extend(by_id[pk] for pk in wanted if pk in by_id)
    return found


def _customer_search(
    visible: QuerySet[Ticket], query: str, *, limit: int, skip: set[int]
) -> list[Ticket]:
    """Customers search only what they can read: subjects and public messages.

    The full-text index also holds internal notes, so it is for agents only. A customer has
    few tickets, so a plain filter over them is cheap.
    """
    terms = query_terms(query)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        public = Message.objects.filter(kind=MessageKind.PUBLIC, body_text__icontains=term)
        condition &= Q(subject__icontains=term) | Q(pk__in=public.values("ticket_id"))
    matches = visible.filter(condition).exclude(pk__in=skip).order_by("-updated_at")
    return list(matches[:limit])
