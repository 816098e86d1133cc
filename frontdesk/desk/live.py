"""Live pushes to open agent pages over the websocket (Django Channels).

Pages connect to ``/ws/desk/`` (``consumers.DeskConsumer``). What is pushed is only a hint
("ticket 42 changed", "queues changed", "someone started replying"); the page then asks the
server for the new state through the same permission-checked views it polls, so a push
never carries data a viewer may not see. Pushes cross processes (the job worker's reach the
web process) through the relay layer on one machine or Redis when scaled out; they are best
effort: pages also poll, so a lost push only delays an update.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

AGENTS_GROUP = "desk-agents"


def ticket_group(ticket_id: int) -> str:
    return f"desk-ticket-{int(ticket_id)}"


def user_group(user_id: int) -> str:
    """Every open workspace page of one agent (e.g. "you have a new notification")."""
    return f"desk-user-{int(user_id)}"


def push(group: str, data: dict[str, Any]) -> None:
    push_many([(group, data)])


def push_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send each (group, data) hint, in order, with one hop into the channel layer's loop.

    The in-process memory layer only reaches pages connected to this process: when none of
    the groups has a member here (a job worker, a web process nobody has open), there is
    nothing to send and the hop is skipped; the relay layer then writes for the other
    processes on this thread.
    """
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    if type(layer) is InMemoryChannelLayer and not any(g in layer.groups for g, _d in messages):
        return
    full = [(group, {"type": "live.event", "data": data}) for group, data in messages]
    # The relay layer (no Redis) writes for other processes right here when no page of
    # these groups is open in this one (the job worker): no hop into an event loop.
    relay_many = getattr(layer, "relay_many", None)
    if relay_many is not None and relay_many(full):
        return

    async def send_all() -> None:
        for group, message in full:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # best effort: pages poll as well
        logger.exception("live push to %s failed", ", ".join(g for g, _d in messages))


def push_user(user_id: int, data: dict[str, Any]) -> None:
    push(user_group(user_id), data)


def push_ticket(ticket_id: int, data: dict[str, Any]) -> None:
    push(ticket_group(ticket_id), {**data, "ticket_id": int(ticket_id)})


def on_ticket_changed(payload: dict[str, Any]) -> None:
    """A ticket changed: its open pages re-check, every agent's queue counts refresh."""
    ticket_id = int(payload["ticket_id"])
    push_many(
        [
            (ticket_group(ticket_id), {"event": "ticket.changed", "ticket_id": ticket_id}),
            (AGENTS_GROUP, {"event": "queues.changed"}),
        ]
    )
