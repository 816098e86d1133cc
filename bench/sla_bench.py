#!/usr/bin/env python
"""Time the SLA scanner and recompute against a seeded PostgreSQL database.

    DATABASE_URL=postgresql://.../bench_frontdesk FRONTDESK_SECRET_KEY=... \\
        python bench/sla_bench.py [--due 10000] [--samples 30]

Metrics (one JSON object on stdout; progress on stderr):

- ``sla_scan_idle_ms``: one scanner pass when nothing is due, while every open ticket has
  an alarm in the future (median of --samples passes).
- ``sla_scan_10k_due_s``: one pass that finds --due tickets whose first response came due
  (claim, record each breach once, write their outbox entries, move the alarms on). The
  reactions (escalation rules, recompute) run afterwards in jobs and are not part of it.
- ``sla_recompute_ms``: recomputing one ticket with 200 events (messages both ways and
  status changes through pauses) from its history (median of --samples runs).

Everything the script adds (a calendar and a policy named "bench-sla", alarms, events,
messages, outbox rows) is removed at the end, so the database is as the seed left it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

MARK = "bench-sla"


def log(msg: str) -> None:
    print(f"[sla-bench] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--due", type=int, default=10_000, help="tickets due in the loaded pass")
    p.add_argument("--samples", type=int, default=30)
    p.add_argument("--events", type=int, default=200, help="events of the recomputed ticket")
    p.add_argument(
        "--arm",
        choices=("all", "open"),
        default="all",
        help="give every ticket a running SLA (all: the issue's 1,000,000 open tickets, "
        "whatever the seeded status) or only the seeded open ones",
    )
    return p.parse_args()


def execute(sql: str, params: object = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def setup_policy():  # type: ignore[no-untyped-def]
    from frontdesk.sla.models import BusinessCalendar, SlaPolicy, TargetKind
    from frontdesk.sla.services import calendar_save, policy_save, policy_targets_set
    from frontdesk.tickets.models import Priority

    cleanup_policy()
    calendar = calendar_save(
        calendar=None,
        name=MARK,
        time_zone="Europe/Stockholm",
        weekly={d: "08:00-12:00, 13:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        country="SE",
    )
    policy = policy_save(policy=None, name=MARK, calendar=calendar, position=0)
    policy_targets_set(
        policy=policy,
        targets={
            (p.pk, kind): (minutes, True)
            for p in Priority.objects.all()
            for kind, minutes in zip(TargetKind.values, (60, 120, 240, 480), strict=True)
        },
    )
    assert BusinessCalendar.objects.filter(name=MARK).exists()
    return SlaPolicy.objects.get(name=MARK)


def cleanup_policy() -> None:
    from frontdesk.sla.config import config_changed
    from frontdesk.sla.models import BusinessCalendar, SlaPolicy

    SlaPolicy.objects.filter(name=MARK).delete()
    BusinessCalendar.objects.filter(name=MARK).delete()
    config_changed()


def open_ids(limit: int | None = None) -> list[int]:
    sql = (
        "SELECT id FROM tickets_ticket WHERE status_category IN "
        "('new', 'open', 'pending', 'on_hold') AND merged_into_id IS NULL ORDER BY id DESC"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [row[0] for row in cursor.fetchall()]


_TARGETS_JSON = """
jsonb_build_object(
  'first_response', jsonb_build_object(
     'business', true, 'budget', 3600, 'cycle', 0, 'running', true,
     'due_at', to_char(({due}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
     'warn_at', to_char(({warn}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')),
  'resolution', jsonb_build_object(
     'business', true, 'budget', 28800, 'cycle', 0, 'running', true,
     'due_at', to_char((now() + interval '40 days') AT TIME ZONE 'UTC',
                       'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
     'warn_at', to_char((now() + interval '35 days') AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')))
"""


def arm_open_tickets(policy_id: int, *, every: bool = False) -> int:
    """Every open ticket (``every``: every ticket, as if all were open) gets a running SLA
    whose alarm is 1 hour to 30 days ahead."""
    execute("DELETE FROM sla_ticketsla")
    targets = _TARGETS_JSON.format(
        due="t.created_at + interval '31 days'", warn="t.created_at + interval '30 days'"
    )
    count = execute(
        f"""
        INSERT INTO sla_ticketsla (ticket_id, policy_id, policy_name, priority_slug, state,
               targets, paused, first_response_breached, resolution_breached, breaches,
               computed_at, alarm_at)
        SELECT t.id, %(policy)s, %(mark)s, 'normal', 'ok', {targets}, '[]'::jsonb, false,
               false, 0, now(), now() + interval '1 hour' + (t.id %% 720) * interval '1 hour'
        FROM tickets_ticket t
        WHERE (%(every)s OR t.status_category IN ('new', 'open', 'pending', 'on_hold'))
          AND t.merged_into_id IS NULL
        """,
        {"policy": policy_id, "mark": MARK, "every": every},
    )
    execute("ANALYZE sla_ticketsla")
    return count


def disarm_open_tickets() -> None:
    execute("DELETE FROM sla_ticketsla WHERE policy_name = %s OR policy_id IS NULL", [MARK])


def make_due(ids: list[int], policy_id: int) -> None:
    """These tickets' first response came due five minutes ago (stored as a recompute would)."""
    targets = _TARGETS_JSON.format(
        due="now() - interval '5 minutes'", warn="now() - interval '20 minutes'"
    )
    execute(
        f"""
        UPDATE sla_ticketsla SET targets = {targets}, state = 'warning',
               alarm_at = now() - interval '5 minutes'
        WHERE ticket_id = ANY(%s)
        """,
        [ids],
    )


def clear_due(ids: list[int]) -> None:
    execute("DELETE FROM sla_slaevent WHERE ticket_id = ANY(%s)", [ids])
    execute(
        "UPDATE sla_ticketsla SET alarm_at = now() + interval '20 days' WHERE ticket_id = ANY(%s)",
        [ids],
    )
    execute("DELETE FROM core_outboxentry WHERE topic IN ('sla.warning', 'sla.breach')")


def history_ticket(events: int) -> tuple[int, list[int], list[int]]:
    """An open ticket given ``events`` more events: replies both ways and pauses."""
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import EventKind, Message, Status, Ticket, TicketEvent

    ticket = Ticket.objects.get(pk=open_ids(1)[0])
    agent = (
        User.objects.filter(email="alice@example.com").first()
        or User.objects.filter(role="agent").first()
    )
    statuses = {s.category: s.slug for s in Status.objects.all()}
    at = ticket.created_at
    messages, ticket_events = [], []
    for i in range(events // 2):
        at += timedelta(minutes=37)
        from_agent = i % 2 == 1
        messages.append(
            Message(
                ticket=ticket,
                author=agent if from_agent else ticket.requester,
                kind="note" if i % 10 == 9 else "public",
                from_agent=from_agent,
                channel="email",
                body_text=f"{MARK} {i}",
                created_at=at,
            )
        )
        at += timedelta(minutes=11)
        category = "pending" if i % 4 == 1 else "open"
        ticket_events.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.CHANGED,
                field="status",
                old_value="",
                new_value=statuses.get(category, category),
                data={MARK: True},
                created_at=at,
            )
        )
    made_messages = Message.objects.bulk_create(messages)
    made_events = TicketEvent.objects.bulk_create(ticket_events)
    return ticket.pk, [m.pk for m in made_messages], [e.pk for e in made_events]


def median_ms(fn, samples: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: caches, plans
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.db import connection

    from frontdesk.sla.services import sla_recompute, sla_scan
    from frontdesk.tickets.models import Message, TicketEvent

    if connection.vendor != "postgresql":
        log("needs a PostgreSQL DATABASE_URL (the seeded bench database)")
        return 2
    result: dict[str, object] = {}
    policy = setup_policy()
    log("arming open tickets with future alarms ...")
    armed = arm_open_tickets(policy.pk, every=args.arm == "all")
    log(f"{armed} tickets armed")
    try:
        idle = median_ms(lambda: sla_scan(), args.samples)
        result["sla_scan_idle_ms"] = idle
        log(f"sla_scan_idle_ms: {idle}")

        due_ids = open_ids(args.due)
        runs = []
        for attempt in range(3):
            make_due(due_ids, policy.pk)
            t0 = time.perf_counter()
            scanned = sla_scan()
            runs.append(time.perf_counter() - t0)
            assert scanned.breaches == len(due_ids), (scanned.breaches, len(due_ids))
            log(f"due pass {attempt + 1}: {scanned.breaches} breaches in {runs[-1]:.2f} s")
            clear_due(due_ids)
        result["sla_scan_10k_due_s"] = round(statistics.median(runs), 3)
        result["sla_scan_due_tickets"] = len(due_ids)

        ticket_id, message_ids, event_ids = history_ticket(args.events)
        try:
            recompute = median_ms(lambda: sla_recompute(ticket_id=ticket_id), args.samples)
        finally:
            Message.objects.filter(pk__in=message_ids).delete()
            TicketEvent.objects.filter(pk__in=event_ids).delete()
            execute(
                "UPDATE tickets_ticket SET sla_policy_id = NULL, sla_calendar_id = NULL, "
                "sla_target = '', sla_state = 'none', sla_due_at = NULL, sla_warn_at = NULL "
                "WHERE id = %s",
                [ticket_id],
            )
        result["sla_recompute_ms"] = recompute
        log(f"sla_recompute_ms: {recompute}")
    finally:
        disarm_open_tickets()
        cleanup_policy()
    result["sla_open_tickets"] = armed
    result["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
