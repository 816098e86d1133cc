"""Writes of the workspace's own state: seen markers and presence (who is on a ticket)."""

from __future__ import annotations

from django.core.cache import cache

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.desk.models import TicketSeen
from frontdesk.tickets.models import Ticket

PRESENCE_SECONDS = 40


def ticket_mark_seen(*, user: User, ticket: Ticket) -> None:
    TicketSeen.objects.update_or_create(user=user, ticket=ticket, defaults={"seen_at": clock.now()})


def presence_touch(
    *, user: User, ticket: Ticket, replying: bool
) -> tuple[list[dict[str, object]], bool]:
    """Record that ``user`` is on the ticket; return the others there in the last 40 s and
    whether this user's own state is news (just arrived, or started/stopped replying).

    Kept in the cache (Redis when scaled out) so every web process sees every agent.
    """
    key = f"presence:ticket:{ticket.pk}"
    now = clock.now().timestamp()
    entries = {
        uid: e for uid, e in (cache.get(key) or {}).items() if now - e["at"] < PRESENCE_SECONDS
    }
    before = entries.get(user.pk)
    entries[user.pk] = {"name": user.display_name, "replying": replying, "at": now}
    cache.set(key, entries, PRESENCE_SECONDS * 2)
    news = before is None or before["replying"] != replying
    return [e for uid, e in entries.items() if uid != user.pk], news
