"""Reads of the automation app: the rule preview, rule runs as ticket history lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.automation.conditions import condition_compile
from frontdesk.automation.engine import ticket_calendar
from frontdesk.automation.facts import (
    TICKET_RELATED,
    delta_build,
    delta_facts,
    status_categories,
    ticket_facts,
)
from frontdesk.automation.models import AutomationRun, RoutingMode
from frontdesk.core import clock
from frontdesk.desk.extensions import HistoryLine
from frontdesk.tickets.models import Message, Ticket, TicketEvent

if TYPE_CHECKING:
    from frontdesk.accounts.models import User

PREVIEW_SAMPLE = 200
PREVIEW_SHOWN = 20


# Trigger events that TicketEvent rows record (SLA alarms and survey answers do not).
REPLAYABLE = frozenset(
    {"created", "updated", "status_changed", "customer_replied", "agent_replied", "note_added"}
)
PREVIEW_EVENTS = 2000


def trigger_preview(
    *, conditions: Any, event: str = "", sample: int = PREVIEW_SAMPLE
) -> dict[str, Any]:
    """What the rule would have done lately.

    For an event the ticket history records (created, updated, a reply, ...), the last
    ``sample`` times it happened are replayed from ``TicketEvent`` rows: the event's facts
    (what changed, from and to, who did it, the message) as they were, the ticket's own
    fields as they are now. Otherwise (SLA alarms, survey answers, no event given), the last
    ``sample`` updated tickets as they are now, where conditions on the event cannot hold.
    """
    check = condition_compile(conditions)
    if event in REPLAYABLE:
        return _preview_replay(check, event=event, sample=sample)
    now = clock.now()
    tickets = list(
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related("tags")
        .filter(merged_into__isnull=True)
        .order_by("-updated_at", "-id")[:sample]
    )
    matched = []
    for ticket in tickets:
        facts = ticket_facts(ticket, sorted(t.name for t in ticket.tags.all()), now=now)
        facts["event.at"] = now
        facts["changes"] = {}
        if check(facts, ticket_calendar(ticket)):
            matched.append(ticket)
    return {"sample": len(tickets), "count": len(matched), "tickets": matched[:PREVIEW_SHOWN]}


def _happenings(limit: int) -> list[list[TicketEvent]]:
    """The latest ticket events, newest first, grouped into what one change wrote: a
    service records all rows of one change with one actor and one timestamp."""
    rows = list(TicketEvent.objects.order_by("-pk")[:limit])
    groups: dict[tuple[int, int | None, Any], list[TicketEvent]] = {}
    for row in rows:
        groups.setdefault((row.ticket_id, row.actor_id, row.created_at), []).append(row)
    happenings = [sorted(group, key=lambda e: e.pk) for group in groups.values()]
    if len(rows) == limit and happenings:
        happenings.pop()  # the oldest may be cut off by the limit
    return happenings


def _preview_replay(check: Any, *, event: str, sample: int) -> dict[str, Any]:
    from frontdesk.accounts.models import User

    now = clock.now()
    categories = status_categories()
    replays = []
    for events in _happenings(PREVIEW_EVENTS):
        delta = delta_build(events, categories)
        if event in delta.kinds:
            replays.append((events[0].ticket_id, delta))
            if len(replays) >= sample:
                break
    ticket_ids = {ticket_id for ticket_id, _delta in replays}
    tickets = (
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related("tags")
        .filter(merged_into__isnull=True)
        .in_bulk(ticket_ids)
    )
    actors = User.objects.only("email", "role").in_bulk({d.actor_id for _t, d in replays} - {None})
    messages = Message.objects.only("body_text", "kind", "from_agent", "channel").in_bulk(
        {d.message_id for _t, d in replays} - {None}
    )
    matched: list[Ticket] = []
    count = 0
    for ticket_id, delta in replays:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        facts = ticket_facts(ticket, sorted(t.name for t in ticket.tags.all()), now=now)
        facts.update(
            delta_facts(
                delta,
                actor=actors.get(delta.actor_id) if delta.actor_id else None,
                message=messages.get(delta.message_id) if delta.message_id else None,
                now=now,
            )
        )
        if check(facts, ticket_calendar(ticket)):
            count += 1
            if ticket not in matched:
                matched.append(ticket)
    return {
        "sample": len(replays),
        "count": count,
        "tickets": matched[:PREVIEW_SHOWN],
        "replayed": True,
    }


def _actions_text(actions: list[dict[str, Any]]) -> str:
    from frontdesk.automation.actions import ACTION_TYPES

    parts = []
    for action in actions:
        kind, detail = action.get("type", ""), action.get("detail", "")
        label = str(ACTION_TYPES.get(kind, kind))
        text = f"{label}: {detail}" if detail else label
        if not action.get("ok"):
            text = _("%(action)s (failed)") % {"action": text}
        parts.append(text)
    return "; ".join(parts)


def run_history_rows(ticket: Ticket, user: User) -> list[HistoryLine]:
    """The rule runs that did something on ``ticket``, as history lines (one query).

    Only what a reader of the history wants: rules that matched with the actions they
    took, routing that picked (or found no) agent, and loops the guard stopped. Runs where
    nothing matched stay on the Automation panel and the run log.
    """
    if not user.is_agent:
        return []
    who = str(_("Automation"))
    rows: list[HistoryLine] = []
    runs = AutomationRun.objects.filter(ticket_id=ticket.pk).only(
        "pk", "created_at", "results", "stopped"
    )
    for run in runs.order_by("created_at", "pk"):
        if run.stopped:
            rows.append(HistoryLine(run.created_at, who, str(_("Rules stopped")), new=run.stopped))
        for result in run.results or []:
            if result.get("kind") == "routing":
                mode = result.get("name", "")
                label = RoutingMode(mode).label if mode in RoutingMode.values else mode
                rows.append(
                    HistoryLine(
                        run.created_at,
                        who,
                        str(_("Routing: %(mode)s") % {"mode": label}),
                        new=_actions_text(result.get("actions") or []),
                    )
                )
            elif result.get("matched"):
                what = (
                    _("Time rule “%(name)s” matched")
                    if result.get("kind") == "time"
                    else _("Rule “%(name)s” matched")
                )
                rows.append(
                    HistoryLine(
                        run.created_at,
                        who,
                        str(what % {"name": result.get("name", "")}),
                        new=_actions_text(result.get("actions") or []),
                    )
                )
    return rows
