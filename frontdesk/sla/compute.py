"""A ticket's SLA targets from its history: pure code over plain values, no ORM.

The services load a ticket's messages, status changes and recorded SLA events and call
:func:`ticket_sla`; the scanner calls :func:`alarm_and_state` on what was stored. Times are
integer microseconds (see ``clock``). The rules, each a sentence in docs/sla.md:

- **First response** runs from creation until the first *public* agent reply. Internal
  notes never count. The ticket's first message is always the request, even when an agent
  logged it for the customer.
- **Next response**: after the first reply, a customer message starts a cycle that the
  next public agent reply ends. Further customer messages before that reply join the open
  cycle (the customer has been waiting since the first of them).
- **Periodic update**: after the first reply, each public agent reply starts a cycle that
  the next one ends: an agent must post a public update every N hours while it is open.
- **Resolution** runs from creation until the ticket is solved or closed; a reopened
  ticket's clock resumes where it stopped.
- **Pauses**: while the status category is one of the policy's pause categories (pending
  and on-hold by default) the periodic-update and resolution clocks stop; they resume
  where they stopped. Solved and closed stop every clock. A reply inside a pause still
  ends a response cycle and restarts the update cycle (which then starts paused).
- **Recompute rule**: targets are always computed from the whole history with the
  ticket's *current* policy, calendar and priority, so business time already elapsed
  counts against the new target when the priority or policy changes. Warnings and
  breaches already recorded stay recorded (a later, laxer target does not erase them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from frontdesk.sla.clock import ALWAYS, US, Calendar, from_us, to_us

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
PERIODIC_UPDATE = "periodic_update"
RESOLUTION = "resolution"
TARGET_ORDER = (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION)
PAUSABLE = frozenset({PERIODIC_UPDATE, RESOLUTION})
DONE = frozenset({"solved", "closed"})
HISTORY_LIMIT = 50  # finished cycles kept per repeating target (counts stay complete)

# Message roles, decided by the services from kind, author and position.
REQUEST = "request"  # the ticket's first message
CUSTOMER = "customer"  # a public message that is not an agent's
REPLY = "reply"  # a public agent reply

Pauses = list[tuple[int, int | None]]
Recorded = frozenset[tuple[str, int, str]] | set[tuple[str, int, str]]


@dataclass(frozen=True)
class TargetSpec:
    kind: str
    minutes: int
    business: bool

    @property
    def budget(self) -> int:
        return self.minutes * 60 * US


@dataclass
class Cycle:
    """One run of a target: from ``started`` until ``achieved`` (or still running)."""

    number: int
    started: int
    achieved: int | None = None
    stopped: bool = False  # ended without being met (the ticket was solved first)
    due: int | None = None
    warn: int | None = None
    elapsed: int = 0
    late: bool = False

    @property
    def running(self) -> bool:
        return self.achieved is None and not self.stopped


@dataclass
class TargetResult:
    kind: str
    spec: TargetSpec
    cycles: list[Cycle] = field(default_factory=list)

    @property
    def current(self) -> Cycle | None:
        return self.cycles[-1] if self.cycles else None


@dataclass
class SlaResult:
    targets: dict[str, TargetResult]
    paused: Pauses  # the pause-category periods (for display)
    columns: Columns


@dataclass(frozen=True)
class Columns:
    """What the ticket row stores: the next target and the scanner's next alarm."""

    state: str
    target: str
    due_at: int | None
    warn_at: int | None  # the next target's warning threshold (for display)
    alarm_at: int | None
    business: bool


def periods(
    created: int, statuses: Iterable[tuple[int, str]], categories: frozenset[str]
) -> Pauses:
    """Merged periods during which the category was in ``categories`` (open end: None)."""
    spans: Pauses = []
    current_start: int | None = None
    for at, category in statuses:
        at = max(at, created)
        inside = category in categories
        if inside and current_start is None:
            current_start = at
        elif not inside and current_start is not None:
            if at > current_start:
                if spans and spans[-1][1] == current_start:
                    spans[-1] = (spans[-1][0], at)
                else:
                    spans.append((current_start, at))
            current_start = None
    if current_start is not None:
        spans.append((current_start, None))
    return spans


def _measure(
    cycle: Cycle, spec: TargetSpec, cal: Calendar, pauses: Pauses, now: int, warning_percent: int
) -> None:
    clock = cal if spec.business else ALWAYS
    budget = spec.budget
    if cycle.running:
        cycle.due = clock.add_us(cycle.started, budget, pauses)
        if 0 < warning_percent < 100:
            cycle.warn = clock.add_us(cycle.started, budget * warning_percent // 100, pauses)
        cycle.elapsed = max(0, clock.elapsed_us(cycle.started, now, pauses))
        cycle.late = cycle.due is not None and now >= cycle.due
    else:
        end = cycle.achieved if cycle.achieved is not None else cycle.started
        cycle.elapsed = max(0, clock.elapsed_us(cycle.started, end, pauses))
        cycle.late = cycle.elapsed > budget


def ticket_sla(
    *,
    created: int,
    messages: Iterable[tuple[int, str]],
    statuses: list[tuple[int, str]],
    targets: Mapping[str, TargetSpec],
    calendar: Calendar,
    pause_categories: frozenset[str],
    warning_percent: int,
    recorded: Recorded,
    now: int,
) -> SlaResult:
    """Every target's cycles with due, warning and elapsed times, and the row's columns.

    ``statuses``: (at, category) in order, the first one the category at creation.
    ``messages``: (at, role) in conversation order. ``recorded``: (target, cycle, kind)
    of warnings and breaches already recorded.
    """
    done = periods(created, statuses, DONE)
    hold = periods(created, statuses, pause_categories | DONE)
    current = statuses[-1][1] if statuses else "new"
    is_done = current in DONE
    done_since = done[-1][0] if is_done and done else None

    replies: list[int] = []
    next_cycles: list[Cycle] = []
    open_cycle: Cycle | None = None
    for at, role in messages:
        at = max(at, created)
        if role == REPLY:
            replies.append(at)
            if open_cycle is not None:
                open_cycle.achieved = at
                next_cycles.append(open_cycle)
                open_cycle = None
        elif role == CUSTOMER and replies and open_cycle is None:
            open_cycle = Cycle(number=len(next_cycles), started=at)
    if open_cycle is not None:
        next_cycles.append(open_cycle)

    results: dict[str, TargetResult] = {}
    spec = targets.get(FIRST_RESPONSE)
    if spec is not None:
        cycle = Cycle(number=0, started=created, achieved=replies[0] if replies else None)
        results[FIRST_RESPONSE] = TargetResult(FIRST_RESPONSE, spec, [cycle])
    spec = targets.get(NEXT_RESPONSE)
    if spec is not None:
        results[NEXT_RESPONSE] = TargetResult(NEXT_RESPONSE, spec, next_cycles)
    spec = targets.get(PERIODIC_UPDATE)
    if spec is not None:
        cycles = [
            Cycle(number=i, started=at, achieved=replies[i + 1] if i + 1 < len(replies) else None)
            for i, at in enumerate(replies)
        ]
        results[PERIODIC_UPDATE] = TargetResult(PERIODIC_UPDATE, spec, cycles)
    spec = targets.get(RESOLUTION)
    if spec is not None:
        results[RESOLUTION] = TargetResult(
            RESOLUTION, spec, [Cycle(number=0, started=created, achieved=done_since)]
        )

    for kind, result in results.items():
        pauses = hold if kind in PAUSABLE else done
        for cycle in result.cycles:
            if cycle.running and done_since is not None:
                # Solved before this target was met: it stops there, not met. It counts as
                # breached only if it had run out before the ticket was solved.
                cycle.stopped = True
                cycle.achieved = None
                stop_clock = calendar if result.spec.business else ALWAYS
                cycle.elapsed = stop_clock.elapsed_us(cycle.started, done_since, pauses)
                cycle.late = cycle.elapsed > result.spec.budget
            else:
                _measure(cycle, result.spec, calendar, pauses, now, warning_percent)
            if (kind, cycle.number, "breach") in recorded:
                cycle.late = True

    columns = alarm_and_state(
        [
            (kind, c.number, c.due, c.warn, result.spec.business)
            for kind, result in results.items()
            for c in result.cycles
            if c.running
        ],
        recorded,
    )
    pause_only = periods(created, statuses, pause_categories)
    return SlaResult(targets=results, paused=pause_only, columns=columns)


def alarm_and_state(
    running: list[tuple[str, int, int | None, int | None, bool]], recorded: Recorded
) -> Columns:
    """The row's columns from the running cycles (kind, cycle, due, warn, business).

    The alarm is the earliest warning or breach not recorded yet; the state says whether a
    running target has a recorded breach or warning, or every running clock is paused.
    """
    if not running:
        return Columns(
            state="none", target="", due_at=None, warn_at=None, alarm_at=None, business=False
        )
    alarm: int | None = None
    state = "ok"
    breached = warned = False
    next_due: tuple[int, int, str, bool, int | None] | None = None
    for kind, number, due, warn, business in running:
        has_breach = (kind, number, "breach") in recorded
        has_warning = (kind, number, "warning") in recorded
        breached |= has_breach
        warned |= has_warning
        if due is None:
            continue
        order = TARGET_ORDER.index(kind) if kind in TARGET_ORDER else 9
        if next_due is None or (due, order) < next_due[:2]:
            next_due = (due, order, kind, business, warn)
        if not has_breach:
            candidates = [due]
            if warn is not None and not has_warning:
                candidates.append(warn)
            first = min(candidates)
            alarm = first if alarm is None else min(alarm, first)
    if breached:
        state = "breached"
    elif warned:
        state = "warning"
    elif next_due is None:
        state = "paused"
    if next_due is None:
        paused_kind = min((r[0] for r in running), key=lambda k: TARGET_ORDER.index(k))
        return Columns(
            state=state,
            target=paused_kind,
            due_at=None,
            warn_at=None,
            alarm_at=None,
            business=False,
        )
    return Columns(
        state=state,
        target=next_due[2],
        due_at=next_due[0],
        warn_at=next_due[4],
        alarm_at=alarm,
        business=next_due[3],
    )


def scan_ticket(
    running: list[tuple[str, int, int | None, int | None, bool]], recorded: Recorded, now: int
) -> tuple[list[tuple[str, int, str, int]], Columns]:
    """What the scanner records for one ticket at ``now``, and the columns afterwards.

    Returns ``[(target, cycle, kind, due), ...]``: a breach for every running cycle whose
    due time has passed, else a warning once its warning time has passed. A breach makes a
    pending warning moot (after an outage only the breach is recorded).
    """
    new: list[tuple[str, int, str, int]] = []
    after = set(recorded)
    for kind, number, due, warn, _business in running:
        if due is None or (kind, number, "breach") in after:
            continue
        if due <= now:
            new.append((kind, number, "breach", due))
            after.add((kind, number, "breach"))
        elif warn is not None and warn <= now and (kind, number, "warning") not in after:
            new.append((kind, number, "warning", due))
            after.add((kind, number, "warning"))
    return new, alarm_and_state(running, after)


# --- storage form ------------------------------------------------------------------------------


def _iso(value: int | None) -> str | None:
    return None if value is None else from_us(value).isoformat()


def _from_iso(value: str | None) -> int | None:
    return None if value is None else to_us(datetime.fromisoformat(value))


def targets_json(result: SlaResult, recorded: Recorded) -> dict[str, dict]:
    """The per-target picture stored on ``TicketSla.targets`` (see the model)."""
    out: dict[str, dict] = {}
    for kind, target in result.targets.items():
        cycle = target.current
        finished = [c for c in target.cycles if not c.running]
        breaches = sum(1 for c in target.cycles if c.late or (kind, c.number, "breach") in recorded)
        entry: dict = {
            "business": target.spec.business,
            "budget": target.spec.minutes * 60,
            "cycles": len(target.cycles),
            "breaches": breaches,
            # Finished cycles, times in epoch seconds (ISO text for 50 cycles costs more
            # than the whole computation).
            "history": [
                {
                    "cycle": c.number,
                    "started": c.started // US,
                    "achieved": None if c.achieved is None else c.achieved // US,
                    "elapsed": c.elapsed // US,
                    "breached": c.late,
                }
                for c in finished[-HISTORY_LIMIT:]
            ],
        }
        if cycle is not None:
            entry.update(
                {
                    "cycle": cycle.number,
                    "started_at": _iso(cycle.started),
                    "due_at": _iso(cycle.due),
                    "warn_at": _iso(cycle.warn),
                    "achieved_at": _iso(cycle.achieved),
                    "running": cycle.running,
                    "stopped": cycle.stopped,
                    "paused": cycle.running and cycle.due is None,
                    "elapsed": cycle.elapsed // US,
                    "breached": cycle.late,
                    "warned": (kind, cycle.number, "warning") in recorded,
                }
            )
        out[kind] = entry
    return out


def running_from_json(
    targets: Mapping[str, Mapping],
) -> list[tuple[str, int, int | None, int | None, bool]]:  # noqa: E501
    """The running cycles as the scanner needs them, read back from ``targets_json``."""
    return [
        (
            kind,
            int(entry.get("cycle", 0)),
            _from_iso(entry.get("due_at")),
            _from_iso(entry.get("warn_at")),
            bool(entry.get("business")),
        )
        for kind, entry in targets.items()
        if entry.get("running")
    ]
