"""The hourly pass: time rules over every ticket, fast at a million tickets.

For each active rule the database finds the candidates with indexed columns only (status
category and the rule's "since" column, e.g. ``status_category='solved' AND solved_at <=
now - 96h``) minus the tickets this rule already looked at in the current window (an
anti-join on ``TimeRuleFired``'s unique index). Only those candidates are loaded and
their conditions evaluated in Python. Every candidate gets a ``TimeRuleFired`` row for its
window, matched or not, so the next pass skips it: each rule fires once per ticket per
window, and two passes running at once claim tickets through the unique constraint.

Matching tickets fire in chunks of ``CHUNK``: one transaction claims the chunk's tickets
in one statement (an upsert on ``TimeRuleFired``'s unique index that only turns
not-matched marks into claims, so a ticket another pass claimed is skipped), loads them in
one query, runs each ticket's actions through the services, and writes the chunk's run
records in one INSERT. Per ticket, only what the services themselves write remains.

A pass bounds its work: at most ``batch`` candidates per rule (``AUTOMATION_TIME_BATCH``)
and, for the actions, a time budget (``AUTOMATION_PASS_SECONDS``) shared in turns between
the rules so one rule's backlog does not starve the others. What is left waits for the
next pass (nothing is marked for it): a backlog, e.g. the first pass of "close solved
after 4 days" on a desk with years of history, drains over the following hours while each
hourly pass stays short.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from frontdesk.automation.actions import ActionContext, actions_run
from frontdesk.automation.conditions import condition_compile
from frontdesk.automation.engine import ticket_calendar
from frontdesk.automation.facts import TICKET_RELATED, ticket_facts
from frontdesk.automation.models import AutomationRun, TimeRule, TimeRuleFired
from frontdesk.automation.services import automation_user
from frontdesk.core import clock
from frontdesk.tickets.models import OPEN_CATEGORIES, Ticket

log = logging.getLogger(__name__)

# Tickets claimed and acted on per transaction (row locks on them are held that long).
CHUNK = 25


@dataclass
class PassResult:
    rules: int = 0
    candidates: int = 0
    fired: int = 0
    actions_failed: int = 0
    deferred: int = 0  # matched, left for the next pass (time budget spent)
    per_rule: dict[int, int] = field(default_factory=dict)


def _batch() -> int:
    return int(getattr(settings, "AUTOMATION_TIME_BATCH", 1000))


def _budget() -> float:
    return float(getattr(settings, "AUTOMATION_PASS_SECONDS", 20))


def candidates_query(rule: TimeRule, now: datetime):  # type: ignore[no-untyped-def]
    """Tickets in the rule's window that the rule has not looked at yet (SQL only)."""
    since = rule.since
    cutoff = now - timedelta(hours=rule.hours)
    query = Ticket.objects.filter(**{f"{since}__lte": cutoff})
    if rule.status_category:
        query = query.filter(status_category=rule.status_category)
    else:
        query = query.filter(status_category__in=list(OPEN_CATEGORIES))
    # Looked at already: fired in this window, or did not match and has not changed since.
    seen = TimeRuleFired.objects.filter(
        Q(matched=True) | Q(created_at__gte=OuterRef("updated_at")),
        rule_id=rule.pk,
        ticket_id=OuterRef("pk"),
        window_start=OuterRef(since),
    )
    return query.filter(merged_into__isnull=True).exclude(Exists(seen))


def time_rules_run(
    *, now: datetime | None = None, batch: int | None = None, budget: float | None = None
) -> PassResult:
    """Run every active time rule once over the tickets in its window."""
    now = now or clock.now()
    batch = batch or _batch()
    budget = _budget() if budget is None else budget
    started = time.monotonic()
    result = PassResult()
    queues = []
    for rule in TimeRule.objects.filter(active=True).order_by("position", "pk"):
        result.rules += 1
        result.per_rule[rule.pk] = 0
        matching, windows = _rule_candidates(rule, now, batch, result)
        queues.append((rule, deque(matching), windows))
    actor = automation_user()
    lookups: dict[tuple[str, str], object] = {}
    while any(queue for _rule, queue, _windows in queues):
        for rule, queue, windows in queues:
            if not queue:
                continue
            if time.monotonic() - started > budget:
                result.deferred = sum(len(q) for _r, q, _w in queues)
                log.info("time rules: budget spent, %s tickets wait", result.deferred)
                return result
            # One chunk per turn: the rules share the budget, no backlog starves the others.
            chunk = [queue.popleft() for _i in range(min(CHUNK, len(queue)))]
            fired = _fire_chunk(rule, chunk, windows, now, actor, result, lookups)
            result.fired += fired
            result.per_rule[rule.pk] += fired
    return result


def _rule_candidates(
    rule: TimeRule, now: datetime, batch: int, result: PassResult
) -> tuple[list[int], dict[int, datetime]]:
    """(matching ticket ids, window start per id); non-matching candidates are marked."""
    since = rule.since
    rows = list(candidates_query(rule, now).order_by(since, "pk").values_list("pk", since)[:batch])
    result.candidates += len(rows)
    if not rows:
        return [], {}
    check = condition_compile(rule.conditions)
    windows = dict(rows)
    if not rule.conditions:
        return [pk for pk, _at in rows], windows
    matching: list[int] = []
    tickets = (
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related("tags")
        .filter(pk__in=list(windows))
    )
    for ticket in tickets:
        facts = ticket_facts(ticket, sorted(t.name for t in ticket.tags.all()), now=now)
        facts["event.at"] = now
        facts["changes"] = {}
        if check(facts, ticket_calendar(ticket)):
            matching.append(ticket.pk)
    matched = set(matching)
    # Candidates that do not match are marked too, with when they were looked at: the rule
    # reads them again only after the ticket changes (a tag added, a field set).
    TimeRuleFired.objects.bulk_create(
        [
            TimeRuleFired(
                rule=rule, ticket_id=pk, window_start=windows[pk], matched=False, created_at=now
            )
            for pk in windows
            if pk not in matched
        ],
        update_conflicts=True,
        unique_fields=["rule", "ticket", "window_start"],
        update_fields=["created_at"],
    )
    return sorted(matching), windows


def _claim(rule: TimeRule, ticket_ids: list[int], windows: dict[int, datetime], now: datetime):  # type: ignore[no-untyped-def]
    """Claim the tickets for this window in one statement; the ids claimed.

    A new row is a claim; a not-matched mark (looked at earlier in the window) turns into
    one; a row already matched (this window fired, e.g. in a pass on another host) is left
    alone and its ticket is not returned. Safe under concurrent passes: the unique index
    decides."""
    table = connection.ops.quote_name(TimeRuleFired._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(ticket_ids))
    params: list[object] = []
    for ticket_id in ticket_ids:
        params += [rule.pk, ticket_id, adapt(windows[ticket_id]), True, adapt(now)]
    sql = (
        f"INSERT INTO {table} (rule_id, ticket_id, window_start, matched, created_at) "  # noqa: S608 - the table name is the model's
        f"VALUES {values} ON CONFLICT (rule_id, ticket_id, window_start) DO UPDATE "
        f"SET matched = %s, created_at = excluded.created_at WHERE {table}.matched = %s "
        "RETURNING ticket_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, True, False])
        return {row[0] for row in cursor.fetchall()}


def _fire_chunk(  # type: ignore[no-untyped-def]
    rule: TimeRule,
    ticket_ids: list[int],
    windows: dict[int, datetime],
    now: datetime,
    actor,
    result: PassResult,
    lookups: dict[tuple[str, str], object],
) -> int:
    """Claim, act on and record a chunk of tickets in one transaction; how many fired."""
    runs = []
    with transaction.atomic():
        claimed = _claim(rule, ticket_ids, windows, now)
        tickets = Ticket.objects.select_related(*TICKET_RELATED).in_bulk(claimed)
        for ticket_id in ticket_ids:
            ticket = tickets.get(ticket_id)
            if ticket is None:
                continue  # claimed by another pass (or deleted meanwhile)
            key = f"time:{rule.pk}:{ticket_id}:{windows[ticket_id].isoformat()}"
            ctx = ActionContext(
                ticket=ticket, actor=actor, rule_name=rule.name, key=key, lookups=lookups
            )
            actions = actions_run(rule.actions, ctx)
            result.actions_failed += sum(1 for a in actions if not a["ok"])
            runs.append(
                AutomationRun(
                    ticket_id=ticket_id,
                    events=["time"],
                    matched=1,
                    results=[
                        {
                            "rule": rule.pk,
                            "kind": "time",
                            "name": rule.name,
                            "matched": True,
                            "actions": actions,
                        }
                    ],
                    key=key,
                    created_at=now,
                )
            )
        AutomationRun.objects.bulk_create(runs)
    return len(runs)


def time_rule_preview(
    rule: TimeRule, *, now: datetime | None = None, limit: int = 20
) -> dict[str, object]:
    """Tickets the rule would act on at its next pass (for the editor)."""
    now = now or clock.now()
    check = condition_compile(rule.conditions)
    found = []
    query = (
        candidates_query(rule, now)
        .select_related(*TICKET_RELATED)
        .prefetch_related("tags")
        .order_by(rule.since, "pk")
    )
    sample = list(query[: limit * 10])
    for ticket in sample:
        facts = ticket_facts(ticket, sorted(t.name for t in ticket.tags.all()), now=now)
        facts["event.at"] = now
        facts["changes"] = {}
        if check(facts, ticket_calendar(ticket)):
            found.append(ticket)
            if len(found) >= limit:
                break
    return {"sample": len(sample), "count": len(found), "tickets": found}
