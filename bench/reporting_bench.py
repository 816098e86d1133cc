#!/usr/bin/env python
"""Time the reporting queries against a database seeded by bench/seed.py (PostgreSQL).

    DATABASE_URL=postgresql://... python bench/reporting_bench.py [--seed 1000000]
        [--events 10000000] [--surveys 0.05] [--rollup-days 400] [--samples 7]

Steps (each skipped when already done):
1. ``--seed N``: run bench/seed.py into the (empty) database first.
2. ``--events N``: top TicketEvent up to N rows with plausible change events (seed.py makes
   ~1.9 per ticket; the issue's scale is 10 per ticket). Rows are generated server-side
   with ``INSERT ... SELECT generate_series``.
3. ``--surveys F``: answer a CSAT survey for a fraction F of solved tickets (ratings ~85 %
   good), so the CSAT queries have rows to read.
4. ``--rollup-days D``: build the daily rollups of the last D days (``rollup_days``).
Then it times, warm, the median of ``--samples`` runs of:
- ``dashboard_90d_ms``: every query of the supervisor dashboard for the last 90 days as a
  supervisor sees it (KPIs, charts, agent table, live counters): ``dashboard_data``, the
  call the page makes. No cache is involved.
- ``report_year_ms``: a grouped report over one year: tickets solved by month and team
  (``report_run`` + table), as the report builder runs it.
- ``report_year_median_ms``: median first response by month over one year (percentiles
  are always computed live, so this is the worst grouped report).
- ``dashboard_90d_cpu_ms``: the same call's CPU time (this process plus its database
  backend), a check that does not depend on how busy the machine is; ``load_average`` is
  the 1-minute load when the timings ended.
Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from procstat import proc_stat  # bench/ is the script's directory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def log(msg: str) -> None:
    print(f"[reporting-bench] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=0, help="seed this many tickets first (empty DB)")
    p.add_argument("--events", type=int, default=0, help="top TicketEvent rows up to this count")
    p.add_argument("--surveys", type=float, default=0.05, help="answered CSAT share of solved")
    p.add_argument("--rollup-days", type=int, default=400)
    p.add_argument("--samples", type=int, default=7)
    return p.parse_args()


def fetch(sql: str, params: object = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def events_top_up(target: int) -> int:
    """Add change events (assignee, priority, tags, status) until there are ``target``."""
    have = fetch("SELECT count(*) FROM tickets_ticketevent")[0][0]
    missing = target - have
    if missing <= 0:
        return 0
    tickets = fetch("SELECT max(id) FROM tickets_ticket")[0][0]
    per_ticket = -(-missing // tickets)
    log(f"adding {missing:,} events ({per_ticket} per ticket at most)")
    step = 50_000
    added = 0
    for lo in range(1, tickets + 1, step):
        hi = min(tickets, lo + step - 1)
        fetch(
            """
            INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, field, old_value,
              new_value, data, created_at)
            SELECT t.id, t.assignee_id, 'changed',
                   (ARRAY['assignee', 'priority', 'tags', 'status', 'team'])[1 + k %% 5],
                   '', '', '{}'::jsonb,
                   t.created_at + (t.updated_at - t.created_at) * k / (%(per)s + 1)
            FROM tickets_ticket t CROSS JOIN LATERAL generate_series(1, %(per)s) k
            WHERE t.id BETWEEN %(lo)s AND %(hi)s
              AND (t.id - 1) * %(per)s + k <= %(missing)s
            """,
            {"per": per_ticket, "lo": lo, "hi": hi, "missing": missing},
        )
    added = fetch("SELECT count(*) FROM tickets_ticketevent")[0][0] - have
    fetch("VACUUM ANALYZE tickets_ticketevent")
    return added


def surveys_seed(share: float) -> int:
    """Answered CSAT surveys for a hash-chosen share of solved tickets (idempotent)."""
    if share <= 0 or fetch("SELECT EXISTS (SELECT 1 FROM reporting_csatsurvey)")[0][0]:
        return 0
    fetch(
        """
        INSERT INTO reporting_csatsurvey (ticket_id, recipient_id, scale, created_at, sent_at,
          rating, positive, reason, comment, answered_at, changed_at)
        SELECT t.id, t.requester_id, 'good_bad', t.solved_at, t.solved_at,
               CASE WHEN hashint8(t.id) %% 100 < 85 THEN 1 ELSE 0 END,
               hashint8(t.id) %% 100 < 85, '', '', t.solved_at + interval '2 hours', NULL
        FROM tickets_ticket t
        WHERE t.solved_at IS NOT NULL AND t.merged_into_id IS NULL
          AND abs(hashint8(t.id * 31)) %% 10000 < %s
        """,
        [int(share * 10000)],
    )
    fetch("ANALYZE reporting_csatsurvey")
    return fetch("SELECT count(*) FROM reporting_csatsurvey")[0][0]


def backend_cpu_ms() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend (local server only)."""
    stat = proc_stat(fetch("SELECT pg_backend_pid()")[0][0])
    return None if stat is None else stat.cpu_seconds * 1000


def cpu_timed(fn, samples: int) -> float | None:  # type: ignore[no-untyped-def]
    """Median CPU milliseconds of one call: this process plus its database backend. Unlike
    the wall time it hardly moves with the machine's load (other work sharing the cores);
    parallel query workers are not counted."""
    runs = []
    for _ in range(samples):
        backend, own = backend_cpu_ms(), time.process_time()
        fn()
        after = backend_cpu_ms()
        if backend is None or after is None:
            return None
        runs.append(after - backend + (time.process_time() - own) * 1000)
    return round(statistics.median(runs), 1)


def timed(fn, samples: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: plans, caches
    fn()
    runs = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(runs), 1)


def main() -> int:
    args = parse_args()
    if args.seed:
        log(f"seeding {args.seed:,} tickets (bench/seed.py)")
        subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "bench" / "seed.py"), "--tickets", str(args.seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        log("DATABASE_URL must point to PostgreSQL seeded by bench/seed.py")
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    from datetime import timedelta

    from frontdesk.reporting.metrics import Filters, Scope, today
    from frontdesk.reporting.reports import report_run, result_table, spec_parse
    from frontdesk.reporting.rollups import rollup_days
    from frontdesk.reporting.selectors import dashboard_data

    out: dict[str, object] = {}
    if args.events:
        t0 = time.monotonic()
        out["events_added"] = events_top_up(args.events)
        out["events_seconds"] = round(time.monotonic() - t0, 1)
    out["csat_surveys"] = surveys_seed(args.surveys)
    end = today() - timedelta(days=1)
    t0 = time.monotonic()
    out["rollup_rows"] = rollup_days(start=end - timedelta(days=args.rollup_days - 1), end=end)
    out["rollup_seconds"] = round(time.monotonic() - t0, 1)
    fetch("ANALYZE reporting_dailyticketstats")
    counts = dict(
        fetch(
            """SELECT 'tickets', count(*) FROM tickets_ticket UNION ALL
               SELECT 'events', count(*) FROM tickets_ticketevent"""
        )
    )
    out.update(counts)
    supervisor = Scope(team_ids=None)
    day = today()
    last_90 = Filters.of(day - timedelta(days=89), day)

    def dashboard() -> None:
        dashboard_data(filters=last_90, scope=supervisor)

    solved_year = spec_parse({"measure": "solved", "group": ["month", "team"], "days": 365})
    median_year = spec_parse({"measure": "first_response_median", "group": ["month"], "days": 365})

    def report(spec):  # type: ignore[no-untyped-def]
        return lambda: result_table(report_run(spec, supervisor), "bench")

    out["dashboard_90d_ms"] = timed(dashboard, args.samples)
    out["dashboard_90d_cpu_ms"] = cpu_timed(dashboard, args.samples)
    out["load_average"] = round(os.getloadavg()[0], 2)
    out["report_year_ms"] = timed(report(solved_year), args.samples)
    out["report_year_median_ms"] = timed(report(median_year), args.samples)
    out["targets_ms"] = {"dashboard_90d_ms": 500, "report_year_ms": 1000}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
