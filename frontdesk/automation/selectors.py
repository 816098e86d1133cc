"""Reads of the automation app: the rule preview, rule runs as ticket history lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.automation.conditions import condition_compile
from frontdesk.automation.engine import ticket_calendar
from frontdesk.automation.facts import TICKET_RELATED, ticket_facts
from frontdesk.automation.models import AutomationRun, RoutingMode
from frontdesk.core import clock
from frontdesk.desk.extensions import HistoryLine
from frontdesk.tickets.models import Ticket

if TYPE_CHECKING:
    from frontdesk.accounts.models import User

PREVIEW_SAMPLE = 200
PREVIEW_SHOWN = 20


def trigger_preview(*, conditions: Any, sample: int = PREVIEW_SAMPLE) -> dict[str, Any]:
    """Which of the last ``sample`` updated tickets the conditions hold for, as they are now.

    Event facts (what changed, the message) are not known for past tickets: conditions on
    them do not hold in the preview, which says so.
    """
    check = condition_compile(conditions)
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
