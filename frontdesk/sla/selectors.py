"""Every SLA read for pages: the countdown badge of a ticket row and the ticket page panel.

The badge reads only the row's own ``sla_*`` columns and a per-process calendar cache, so
a list of 50 tickets costs no query for its badges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from frontdesk.core import clock
from frontdesk.sla.config import calendar_cached
from frontdesk.sla.models import Escalation, SlaEvent, TargetKind, TicketSla
from frontdesk.tickets.models import SlaState, Ticket

# Existing badge colours: green, amber, red (see static/frontdesk/css/app.css).
COLOUR = {
    SlaState.OK: "status-solved",
    SlaState.WARNING: "status-pending",
    SlaState.BREACHED: "status-open",
    SlaState.PAUSED: "",
}


def duration_short(value: timedelta) -> str:
    """``2d 3h``, ``1h 20m``, ``35m``, ``<1m``: business time reads in whole minutes."""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": mins}
    if mins:
        return _("%(minutes)sm") % {"minutes": mins}
    return _("<1m")


def target_label(kind: str) -> str:
    try:
        return str(TargetKind(kind).label)
    except ValueError:
        return kind


@dataclass(frozen=True)
class Badge:
    state: str  # ok, warning, breached, paused (overdue shows as breached)
    colour: str
    text: str
    due_at: datetime | None
    left: timedelta | None  # business (or calendar) time until due; negative when overdue
    recorded_breach: bool


def badge_for(ticket: Ticket, now: datetime | None = None) -> Badge | None:
    """The countdown a ticket row shows, from its columns alone (None: no SLA running)."""
    state = ticket.sla_state
    if not state or state == SlaState.NONE:
        return None
    label = target_label(ticket.sla_target)
    if state == SlaState.PAUSED or ticket.sla_due_at is None:
        return Badge(
            SlaState.PAUSED, "", _("%(target)s paused") % {"target": label}, None, None, False
        )
    now = now or clock.now()
    calendar = calendar_cached(ticket.sla_calendar_id)
    left = calendar.elapsed(now, ticket.sla_due_at)
    recorded = state == SlaState.BREACHED
    if now >= ticket.sla_due_at:
        shown = SlaState.BREACHED
        # Overdue by business time too: at 17:30 a target due at 17:00 is "<1m" overdue.
        text = _("%(target)s overdue %(time)s") % {"target": label, "time": duration_short(left)}
    else:
        # Amber from the warning threshold on, even before the scanner recorded it.
        warned = ticket.sla_warn_at is not None and now >= ticket.sla_warn_at
        shown = SlaState.WARNING if state == SlaState.OK and warned else state
        text = _("%(target)s %(time)s left") % {"target": label, "time": duration_short(left)}
    return Badge(shown, COLOUR.get(shown, ""), text, ticket.sla_due_at, left, recorded)


def panel_for(ticket: Ticket, now: datetime | None = None) -> dict[str, Any] | None:
    """What the ticket page explains: policy, each target, due, elapsed, pauses, breaches."""
    sla = TicketSla.objects.filter(ticket_id=ticket.pk).select_related("policy").first()
    if sla is None or not sla.targets:
        return None
    now = now or clock.now()
    recorded = list(SlaEvent.objects.filter(ticket_id=ticket.pk).order_by("created_at", "pk"))
    calendar = calendar_cached(sla.policy.calendar_id if sla.policy_id and sla.policy else None)
    rows = []
    for kind in TargetKind.values:
        entry = sla.targets.get(kind)
        if entry is None:
            continue
        budget = timedelta(seconds=entry.get("budget", 0))
        elapsed = timedelta(seconds=entry.get("elapsed", 0))
        due = _parse(entry.get("due_at"))
        running = bool(entry.get("running"))
        paused = bool(entry.get("paused"))
        counter = calendar if entry.get("business") else calendar_cached(None)
        if running and not paused and sla.computed_at:
            # Time kept running since the last recompute (no status change since, or it
            # would have been recomputed): add it.
            elapsed += counter.elapsed(sla.computed_at, now)
        left = counter.elapsed(now, due) if running and due else None
        rows.append(
            {
                "kind": kind,
                "label": target_label(kind),
                "business": bool(entry.get("business")),
                "budget": budget,
                "elapsed": elapsed,
                "due_at": due,
                "left": left,
                "overdue": bool(running and due and now >= due),
                "achieved_at": _parse(entry.get("achieved_at")),
                "running": running,
                "paused": paused,
                "stopped": bool(entry.get("stopped")),
                "breached": bool(entry.get("breached")),
                "warned": bool(entry.get("warned")),
                "cycles": entry.get("cycles", 1),
                "breaches": entry.get("breaches", 0),
                "history": entry.get("history", []),
            }
        )
    return {
        "sla": sla,
        "rows": rows,
        "paused": [(_parse(a), _parse(b)) for a, b in sla.paused],
        "events": recorded,
        "now": now,
    }


def escalations_for(ticket: Ticket) -> list[Escalation]:
    return list(
        Escalation.objects.filter(ticket_id=ticket.pk).select_related(
            "from_team", "to_team", "actor"
        )
    )


def _parse(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value)
