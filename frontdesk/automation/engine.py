"""The one entry point that runs rules: per ticket event, per SLA alarm, per survey answer.

Ticket passes read the ticket's new ``TicketEvent`` rows since the last pass (the cursor
row, locked for the pass, so two workers never run the same events twice and the
"ticket.changed" and "message.created" of one change run the rules once). Changes a rule
makes are events like any other; the next pass sees that they are the engine's own (the
cursor's chain range) and runs one level deeper, and at ``MAX_DEPTH`` it stops and records
why: a rule that re-triggers itself ends there instead of looping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from frontdesk.automation.actions import ActionContext, actions_run
from frontdesk.automation.conditions import (
    Check,
    OpenHours,
    condition_compile,
    condition_fields,
)
from frontdesk.automation.facts import (
    TICKET_RELATED,
    Delta,
    delta_build,
    facts_build,
    facts_fast,
    status_categories,
)
from frontdesk.automation.models import AutomationCursor, AutomationRun, Trigger
from frontdesk.automation.services import automation_user
from frontdesk.core import clock
from frontdesk.tickets.models import OPEN_CATEGORIES, Ticket, TicketEvent

log = logging.getLogger(__name__)

MAX_DEPTH = 3
# A ticket first seen by the engine (installed on a running desk) is read from events this
# recent only, so old history does not fire "ticket created" rules at the next edit.
FIRST_LOOK_SECONDS = 600

_compiled: dict[int, tuple[datetime, Check]] = {}
# The active triggers, reloaded when the rules version moves. The version is checked at
# most every RULES_RECHECK_SECONDS: a rule saved in another process applies there within
# that time; in this process at once (``rules_forget``).
RULES_RECHECK_SECONDS = 2.0


@dataclass
class RuleSet:
    """Every active trigger, with what one event needs precomputed per set of event kinds:
    the triggers in order, their compiled conditions and the facts they read."""

    version: tuple[Any, ...]
    checked_at: float
    rules: list[Trigger]
    by_kinds: dict[frozenset[str], tuple[list[Trigger], list[Check], frozenset[str]]] = (
        dataclass_field(default_factory=dict)
    )

    def for_kinds(self, kinds: frozenset[str]) -> tuple[list[Trigger], list[Check], frozenset[str]]:
        found = self.by_kinds.get(kinds)
        if found is None:
            triggers = [t for t in self.rules if t.event in kinds]
            found = (triggers, [_check_for(t) for t in triggers], fields_needed(triggers))
            self.by_kinds[kinds] = found
        return found


_active: RuleSet | None = None


def _check_for(trigger: Trigger) -> Check:
    """Compiled conditions, cached per trigger until it is saved again."""
    cached = _compiled.get(trigger.pk)
    if cached is None or cached[0] != trigger.updated_at:
        cached = (trigger.updated_at, condition_compile(trigger.conditions))
        _compiled[trigger.pk] = cached
    return cached[1]


def rules_version() -> tuple[Any, ...]:
    """Changes whenever a trigger is added, saved, switched or deleted (one small query)."""
    row = Trigger.objects.aggregate(
        n=Count("pk"), top=Max("pk"), at=Max("updated_at"), on=Count("pk", filter=Q(active=True))
    )
    return (row["n"], row["top"], row["at"], row["on"])


def rules_current() -> RuleSet:
    """The cached rule set, reloaded when ``rules_version`` moved (checked every 2 s)."""
    global _active
    cached = _active
    now = time.monotonic()
    if cached is None or now - cached.checked_at > RULES_RECHECK_SECONDS:
        version = rules_version()
        if cached is None or cached.version != version:
            rules = list(
                Trigger.objects.filter(active=True)
                .only("pk", "name", "event", "conditions", "actions", "updated_at", "position")
                .order_by("position", "pk")
            )
            cached = RuleSet(version, now, rules)
        else:
            cached.checked_at = now
        _active = cached
    return cached


def rules_for(kinds: Iterable[str]) -> tuple[list[Trigger], list[Check], frozenset[str]]:
    """(triggers, compiled conditions, facts they read) for an event of these kinds."""
    wanted = frozenset(kinds)
    if not wanted:
        return [], [], frozenset()
    return rules_current().for_kinds(wanted)


def triggers_active(kinds: Iterable[str]) -> list[Trigger]:
    """Active triggers for these event kinds, in order (cached per process)."""
    return rules_for(kinds)[0]


def rules_forget() -> None:
    """Drop the cached triggers (after a save in this process, and between tests)."""
    global _active
    _active = None


def fields_needed(triggers: Iterable[Trigger]) -> frozenset[str]:
    found: set[str] = set()
    for trigger in triggers:
        found |= condition_fields(trigger.conditions)
    return frozenset(found)


def checks_run(
    triggers: list[Trigger],
    checks: list[Check],
    facts: Mapping[str, Any],
    calendar: OpenHours | None,
) -> list[bool]:
    """Evaluate precompiled conditions on one set of facts (pure; no queries)."""
    out = []
    for trigger, check in zip(triggers, checks, strict=True):
        try:
            out.append(bool(check(facts, calendar)))
        except Exception:  # noqa: BLE001 - a rule must never break the engine
            log.exception("conditions of trigger %s failed", trigger.pk)
            out.append(False)
    return out


def triggers_matching(
    triggers: list[Trigger], facts: Mapping[str, Any], calendar: OpenHours | None
) -> list[tuple[Trigger, bool]]:
    """Evaluate every trigger's conditions on one set of facts (pure; no queries)."""
    out = []
    for trigger in triggers:
        try:
            matched = bool(_check_for(trigger)(facts, calendar))
        except Exception:  # noqa: BLE001 - a rule must never break the engine
            log.exception("conditions of trigger %s failed", trigger.pk)
            matched = False
        out.append((trigger, matched))
    return out


def ticket_calendar(ticket: Ticket) -> OpenHours | None:
    """The business hours the ticket's SLA counts in (None: around the clock)."""
    if ticket.sla_calendar_id is None:
        return None
    try:
        from frontdesk.sla.config import calendar_cached
    except ImportError:  # pragma: no cover - the sla app is part of the product
        return None
    return calendar_cached(ticket.sla_calendar_id)


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related(*TICKET_RELATED).filter(pk=ticket_id).first()


def _cursor_lock(ticket_id: int) -> AutomationCursor | None:
    """The ticket's cursor row, created on first sight, locked until the pass commits."""
    cursor = AutomationCursor.objects.select_for_update().filter(ticket_id=ticket_id).first()
    if cursor is not None:
        return cursor
    if not Ticket.objects.filter(pk=ticket_id).exists():
        return None
    cutoff = clock.now().timestamp() - FIRST_LOOK_SECONDS
    old = (
        TicketEvent.objects.filter(ticket_id=ticket_id, created_at__lt=_at(cutoff))
        .aggregate(m=Max("pk"))
        .get("m")
    )
    try:
        with transaction.atomic():
            AutomationCursor.objects.create(ticket_id=ticket_id, last_event_id=old or 0)
    except IntegrityError:
        pass  # another worker created it a moment ago
    return AutomationCursor.objects.select_for_update().get(ticket_id=ticket_id)


def _at(timestamp: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(timestamp, tz=UTC)


def _max_event(ticket_id: int) -> int:
    return TicketEvent.objects.filter(ticket_id=ticket_id).aggregate(m=Max("pk"))["m"] or 0


def ticket_events_process(*, ticket_id: int) -> AutomationRun | None:
    """React to whatever happened to a ticket since the last pass (idempotent)."""
    with transaction.atomic():
        cursor = _cursor_lock(ticket_id)
        if cursor is None:
            return None
        events = list(
            TicketEvent.objects.filter(ticket_id=ticket_id, pk__gt=cursor.last_event_id).order_by(
                "pk"
            )
        )
        if not events:
            return None
        delta = delta_build(events, status_categories())
        own = (
            cursor.chain_depth > 0
            and delta.first_event_id > cursor.chain_from
            and delta.last_event_id <= cursor.chain_until
        )
        depth = cursor.chain_depth if own else 0
        cursor.last_event_id = delta.last_event_id
        run = None
        if delta.kinds:
            run = _pass(ticket_id, kinds=delta.kinds, delta=delta, depth=depth, cursor=cursor)
        cursor.save()
        return run


def sla_event_process(
    *, ticket_id: int, kind: str, target: str, cycle: int
) -> AutomationRun | None:
    """An SLA warning or breach was recorded: run the "SLA ..." triggers once for it."""
    event = "sla_breach" if kind == "breach" else "sla_warning"
    key = f"{event}:{ticket_id}:{target}:{cycle}"
    return _keyed_pass(ticket_id, event=event, key=key, extra={"sla.target": target})


def feedback_process(*, ticket_id: int, response_id: int) -> AutomationRun | None:
    """A customer answered a survey: run the "Feedback received" triggers once for each
    answer (a rating changed within the change window is a new answer, so a good rating
    turned bad still reaches the bad-rating rule)."""
    extra: dict[str, Any] = {}
    version = ""
    try:
        from frontdesk.reporting.models import CsatSurvey

        survey = CsatSurvey.objects.filter(pk=response_id).first()
    except (ImportError, ValueError):  # pragma: no cover - reporting is part of the product
        survey = None
    if survey is not None:
        extra = {
            "feedback.rating": getattr(survey, "rating", None),
            "feedback.positive": getattr(survey, "positive", None),
            "feedback.comment": getattr(survey, "comment", ""),
        }
        answered = getattr(survey, "changed_at", None) or getattr(survey, "answered_at", None)
        version = f":{answered.isoformat()}" if answered else ""
    return _keyed_pass(
        ticket_id, event="feedback_received", key=f"feedback:{response_id}{version}", extra=extra
    )


def _keyed_pass(
    ticket_id: int, *, event: str, key: str, extra: Mapping[str, Any]
) -> AutomationRun | None:
    with transaction.atomic():
        cursor = _cursor_lock(ticket_id)
        if cursor is None or AutomationRun.objects.filter(key=key).exists():
            return None
        run = _pass(
            ticket_id, kinds={event}, delta=None, depth=0, cursor=cursor, key=key, extra=extra
        )
        cursor.save()
        return run


def facts_for(
    ticket_id: int,
    *,
    delta: Delta | None,
    extra: Mapping[str, Any] | None,
    now: datetime,
    needs: frozenset[str] | None,
) -> dict[str, Any] | None:
    """The facts of one event: one SQL statement on PostgreSQL, the ORM elsewhere."""
    facts = facts_fast(ticket_id, delta=delta, extra=extra, now=now, needs=needs)
    if facts is not None:
        return facts
    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    return facts_build(ticket, delta=delta, extra=extra, now=now, needs=needs)


def _calendar(calendar_id: int | None) -> OpenHours | None:
    if calendar_id is None:
        return None
    from frontdesk.sla.config import calendar_cached

    return calendar_cached(calendar_id)


def _pass(
    ticket_id: int,
    *,
    kinds: set[str],
    delta: Delta | None,
    depth: int,
    cursor: AutomationCursor,
    key: str = "",
    extra: Mapping[str, Any] | None = None,
) -> AutomationRun | None:
    """Evaluate the triggers for ``kinds``, run the matches' actions, route, record."""
    now = clock.now()
    if depth >= MAX_DEPTH:
        return AutomationRun.objects.create(
            ticket_id=ticket_id,
            events=sorted(kinds),
            depth=depth,
            stopped=f"stopped: rules changed this ticket {depth} times in a row",
            key=key,
            created_at=now,
        )
    before = max(_max_event(ticket_id), cursor.last_event_id)
    if "created" in kinds and depth == 0 and not key:
        # New ticket: the pre-route hooks (AI triage) may set team, type and priority
        # before the "ticket created" rules and routing read it; their changes fall in
        # this pass's chain range, so the depth guard counts them as the engine's own.
        from frontdesk.automation.routing import pre_route_run

        pre_route_run(ticket_id)
    triggers, checks, needs = rules_for(kinds)
    results: list[dict[str, Any]] = []
    matched_count = 0
    state: dict[str, Any] | None = None
    if triggers:
        facts = facts_for(ticket_id, delta=delta, extra=extra, now=now, needs=needs)
        if facts is None:
            return None
        state = facts["_ticket"]
        calendar = _calendar(state["sla_calendar_id"])
        actor = automation_user()
        run_id = key or f"t{ticket_id}e{delta.last_event_id if delta else 0}"
        for trigger, check in zip(triggers, checks, strict=True):
            matched = checks_run([trigger], [check], facts, calendar)[0]
            entry: dict[str, Any] = {
                "rule": trigger.pk,
                "kind": "trigger",
                "name": trigger.name,
                "event": trigger.event,
                "matched": matched,
                "actions": [],
            }
            if matched:
                matched_count += 1
                ticket = _ticket(ticket_id)
                if ticket is None:
                    return None
                ctx = ActionContext(
                    ticket=ticket,
                    actor=actor,
                    rule_name=trigger.name,
                    key=f"trigger:{trigger.pk}:{run_id}",
                )
                entry["actions"] = actions_run(trigger.actions, ctx)
                if any(a["ok"] for a in entry["actions"]):
                    # Later rules see the ticket as the earlier ones left it.
                    facts = (
                        facts_for(ticket_id, delta=delta, extra=extra, now=now, needs=needs)
                        or facts
                    )
                    state = facts["_ticket"]
            results.append(entry)
    if state is None:
        state = (
            Ticket.objects.filter(pk=ticket_id)
            .values("team_id", "assignee_id", "status_category", "merged_into_id")
            .first()
        )
        if state is None:
            return None
    routed = _route_if_waiting(ticket_id, state)
    if routed is not None:
        results.append(routed)
    after = _max_event(ticket_id)
    if after > before:
        cursor.chain_from, cursor.chain_until, cursor.chain_depth = before, after, depth + 1
    if not results and not key:
        return None
    return AutomationRun.objects.create(
        ticket_id=ticket_id,
        events=sorted(kinds),
        depth=depth,
        matched=matched_count,
        results=results,
        key=key,
        created_at=now,
    )


def _route_if_waiting(ticket_id: int, state: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ticket waiting unassigned in a team that routes by itself gets an agent."""
    if state["assignee_id"] is not None or state["team_id"] is None:
        return None
    if state["status_category"] not in OPEN_CATEGORIES or state["merged_into_id"] is not None:
        return None
    from frontdesk.automation.routing import ROUTED_MODES, team_mode, ticket_route

    mode = team_mode(state["team_id"])
    if mode not in ROUTED_MODES:
        return None
    agent = ticket_route(ticket_id=ticket_id, actor=automation_user())
    return {
        "rule": None,
        "kind": "routing",
        "name": mode,
        "matched": agent is not None,
        "actions": [
            {
                "type": "assign",
                "ok": agent is not None,
                "detail": agent.email if agent else "no agent available",
            }
        ],
    }
