#!/usr/bin/env python
"""Bulk-load a Frontdesk PostgreSQL database for the benchmark.

    DATABASE_URL=postgresql://... FRONTDESK_SECRET_KEY=... python bench/seed.py --tickets 1000000

Runs ``migrate`` on an empty database, creates the demo staff and teams through the
services (so their rows look exactly like a real desk's), then loads ~5,000 customers in
300 organizations, N tickets, 5N messages and ~1.9N ticket events server-side with
``INSERT ... SELECT generate_series``. Secondary indexes and foreign keys of the big tables
are dropped for the load and recreated after it (same definitions, read from the catalog),
the search documents are built by the search backend's own SQL, and everything is vacuumed
and analyzed. Progress goes to stderr; one JSON summary goes to stdout.

Every "random" choice is a hash of the ticket id (``bench_rand``), so two threads can load
halves of a table, and a ticket's messages can re-derive the ticket's topic words.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CUSTOMERS = 5000
ORGANIZATIONS = 300
LONG_EVERY = 10_000  # one ticket in 10,000 has exactly 20 messages (the ticket page metric)
THREADS = 2  # one loader connection per core
# Topic words: each ticket is "about" two of them, picked with a skew (index ~ N * r^2), so
# early words are common (printer ~3% of tickets) and late ones rare (~0.3%).
TOPICS = """
login password email invoice printer laptop vpn refund delivery account billing
network wifi monitor keyboard license upgrade backup calendar phone browser
payment order subscription report dashboard export import server database
certificate firewall router scanner headset webcam camera tablet mobile android
iphone outlook teams slack sharepoint onedrive dropbox excel word powerpoint pdf
signature contract quote discount voucher coupon shipping parcel tracking return
warranty repair battery charger cable adapter dock projector speaker microphone
driver firmware update install uninstall plugin extension token session cookie
cache proxy domain dns mailbox quota storage folder permission access badge
door parking desk chair meeting room holiday salary payroll expense receipt tax
budget vendor supplier partner contractor onboarding offboarding training
migration integration webhook api sync timeout latency outage crash freeze error
bug feature request question complaint feedback survey newsletter unsubscribe spam
phishing virus malware encryption audit compliance policy gdpr privacy consent
""".split()  # noqa: SIM905 - a word list reads best as text
RARE_WORD = "zeppelin"  # in one ticket in 500
FILLER = """
the a my our your it this that is was not still again since after before when
please thanks hello hi could can cannot unable working works worked broken stopped
today yesterday morning afternoon week since update change changed help need needs
see seems error message screen shows showing tried restart restarted again also
we you they he she with without from for on in at to of and but or so because
urgent asap soon quickly customer user colleague team manager office home remote
""".split()  # noqa: SIM905
SUBJECT_TAILS = [
    "not working", "question", "broken since the update", "request", "keeps failing",
    "problem", "issue after upgrade", "cannot access", "help needed", "error message",
    "is slow", "missing", "wrong amount", "how do I", "stopped working",
]
FIRST_NAMES = ["Anna", "Lars", "Maria", "Johan", "Eva", "Karl", "Sara", "Erik", "Lena", "Nils",
               "Emma", "Olof", "Ida", "Per", "Elin", "Jonas", "Sofia", "Anders", "Klara", "Mats"]
LAST_NAMES = ["Lind", "Berg", "Holm", "Ek", "Sund", "Strand", "Nord", "Dahl", "Wall", "Ahl",
              "Blom", "Falk", "Lund", "Hed", "Ros", "Nyberg", "Vik", "Moberg", "Sjo", "Brand"]

BIG_TABLES = ["tickets_ticket", "tickets_message", "tickets_ticketevent", "search_ticket_doc"]


def log(msg: str) -> None:
    print(f"[seed] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--threads", type=int, default=THREADS)
    return p.parse_args()


def run_parallel(tasks: Iterable[Callable[[], None]], threads: int) -> None:
    """Run tasks on ``threads`` connections (Django gives each thread its own)."""
    from django.db import connection

    def wrap(task: Callable[[], None]) -> None:
        try:
            task()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(wrap, t) for t in tasks]:
            future.result()


def execute(sql: str, params: object = None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)


def fetch(sql: str, params: object = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def ranges(n: int, parts: int) -> list[tuple[int, int]]:
    step = -(-n // parts)
    return [(lo, min(n, lo + step - 1)) for lo in range(1, n + 1, step)]


# --- people -------------------------------------------------------------------------------

def people_create() -> dict[str, int]:
    """Teams and staff through the services (the demo personas); customers in bulk."""
    from frontdesk.accounts.models import Team, TeamMembership, User
    from frontdesk.accounts.services import team_save, user_create
    from frontdesk.demo.people import PASSWORD, STAFF

    l2 = Team.objects.filter(name="L2").first() or team_save(team=None, name="L2", tier="L2")
    l1 = Team.objects.filter(name="L1").first() or team_save(team=None, name="L1", tier="L1",
                                                             escalates_to=l2)
    teams = {"L1": l1, "L2": l2}
    ids = {"L1": l1.pk, "L2": l2.pk}
    for email, first, last, role, team_names in STAFF:
        user = User.objects.filter(email=email).first() or user_create(
            email=email, first_name=first, last_name=last, role=role, password=PASSWORD,
            language="en")
        for name in team_names:
            TeamMembership.objects.get_or_create(team=teams[name], user=user,
                                                 defaults={"is_lead": role == "supervisor"})
        ids[email.split("@")[0]] = user.pk
    execute(
        """
        INSERT INTO customers_organization (name, notes, created_at)
        SELECT format('Customer %%s AB', lpad(g::text, 3, '0')), '', now() - interval '4 years'
        FROM generate_series(1, %s) g
        """,
        [ORGANIZATIONS],
    )
    # Every tenth customer has no organization (private person); 1 in 50 manages theirs.
    execute(
        """
        INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff,
          is_active, date_joined, email, role, is_org_manager, language, timezone, phone,
          organization_id)
        SELECT '!', false, (%s::text[])[1 + g %% 20], (%s::text[])[1 + (g / 20) %% 20],
               false, true, now() - interval '4 years', format('customer%%s@example.net', g),
               'customer', g %% 50 = 1, CASE WHEN g %% 10 = 3 THEN 'sv' ELSE 'en' END, '', '',
               CASE WHEN g %% 10 = 0 THEN NULL ELSE
                 (SELECT min(id) FROM customers_organization) + g %% %s END
        FROM generate_series(1, %s) g
        """,
        [FIRST_NAMES, LAST_NAMES, ORGANIZATIONS, CUSTOMERS],
    )
    return ids


# --- indexes and constraints --------------------------------------------------------------

def secondary_defs() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(table, fk name, definition) and (table, index name, CREATE INDEX) of the big tables.

    Indexes that back a primary key or unique constraint stay: they are needed to load
    (ON CONFLICT) and cheap to keep while ids arrive in order.
    """
    fks = fetch(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)
        """,
        [BIG_TABLES],
    )
    indexes = fetch(
        """
        SELECT x.indrelid::regclass::text, i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid::regclass::text = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        """,
        [BIG_TABLES],
    )
    return [tuple(r) for r in fks], [tuple(r) for r in indexes]  # type: ignore[misc]


# --- the load -----------------------------------------------------------------------------

HELPERS = """
CREATE OR REPLACE FUNCTION bench_rand(g bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8(g * 7919 + salt)::bigint & 2147483647)::float8) / 2147483648.0 $$;
DROP TABLE IF EXISTS bench_topic, bench_sentence, bench_customer;
CREATE UNLOGGED TABLE bench_topic (i int PRIMARY KEY, w text NOT NULL);
CREATE UNLOGGED TABLE bench_sentence (i int PRIMARY KEY, s text NOT NULL);
CREATE UNLOGGED TABLE bench_customer (i int PRIMARY KEY, id bigint, org bigint);
"""


def pools_create() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(HELPERS)
        cur.execute("INSERT INTO bench_topic SELECT ord - 1, w FROM unnest(%s::text[]) "
                    "WITH ORDINALITY AS t(w, ord)", [TOPICS])
        # 5,000 filler sentences of 6-14 words, deterministic.
        cur.execute(
            """
            INSERT INTO bench_sentence
            SELECT p, string_agg((%s::text[])[1 + floor(bench_rand(p * 100 + k, 11)
                                 * cardinality(%s::text[]))::int], ' ' ORDER BY k)
            FROM generate_series(0, 4999) p, generate_series(1, 14) k
            WHERE k <= 6 + p %% 9
            GROUP BY p
            """,
            [FILLER, FILLER],
        )
        cur.execute(
            """
            INSERT INTO bench_customer
            SELECT row_number() OVER (ORDER BY id) - 1, id, organization_id
            FROM accounts_user WHERE role = 'customer'
            """
        )
        cur.execute("ANALYZE bench_topic; ANALYZE bench_sentence; ANALYZE bench_customer")


def ticket_sql(n: int, staff: dict[str, int], ids: dict[str, dict[str, int]]) -> str:
    """INSERT ... SELECT for tickets lo..hi (%(lo)s/%(hi)s); ids are inlined constants."""
    st, pr, ty = ids["status"], ids["priority"], ids["type"]
    nt = len(TOPICS)
    tails = "ARRAY[" + ",".join(f"'{t}'" for t in SUBJECT_TAILS) + "]"
    return f"""
    INSERT INTO tickets_ticket (id, number, subject, ticket_type_id, status_id, status_category,
      urgency, impact, priority_id, priority_overridden, channel, requester_id, organization_id,
      team_id, assignee_id, custom_fields, due_at, language, created_at, updated_at,
      first_response_at, last_customer_message_at, last_agent_reply_at, solved_at, closed_at,
      reopened_count, agent_reply_count, message_count, merged_into_id, version)
    SELECT g, g, s.subject, s.type_id, s.status_id, s.cat, s.urgency, s.impact, s.priority_id,
           false, s.channel, c.id, c.org, s.team_id,
           CASE WHEN s.cat = 'new' THEN NULL
                WHEN s.team_id = {staff['L1']} THEN CASE WHEN s.r6 < 0.4 THEN {staff['alice']}
                     WHEN s.r6 < 0.8 OR s.done THEN {staff['bob']} END
                WHEN s.team_id = {staff['L2']} THEN CASE WHEN s.r6 < 0.8 OR s.done
                     THEN {staff['carol']} END
                WHEN s.done THEN {staff['supervisor']} END,
           '{{}}'::jsonb, NULL, s.language, s.created_at, s.updated_at,
           s.created_at + (s.updated_at - s.created_at) / s.cnt,
           s.created_at + (s.updated_at - s.created_at) * ((s.cnt - 1) / 2 * 2) / s.cnt,
           s.created_at + (s.updated_at - s.created_at) * ((s.cnt / 2) * 2 - 1) / s.cnt,
           CASE WHEN s.done THEN s.solved_at END,
           CASE WHEN s.cat = 'closed' THEN s.updated_at END,
           CASE WHEN s.r8 < 0.03 THEN 1 ELSE 0 END, s.cnt / 2, s.cnt, NULL, 1
    FROM (
      SELECT g, r.*,
             initcap(t1.w) || ' ' || t2.w || ' ' || ({tails})[1 + (g %% {len(SUBJECT_TAILS)})]
               AS subject,
             CASE WHEN r.cat IN ('solved', 'closed') THEN true ELSE false END AS done,
             CASE r.cat WHEN 'new' THEN {st['new']} WHEN 'open' THEN {st['open']}
                  WHEN 'pending' THEN {st['pending']} WHEN 'on_hold' THEN {st['on-hold']}
                  WHEN 'solved' THEN {st['solved']} ELSE {st['closed']} END AS status_id,
             CASE WHEN r.r5 < 0.69 THEN {staff['L1']} WHEN r.r5 < 0.99 THEN {staff['L2']}
                  END AS team_id,
             CASE WHEN r.r9 < 0.15 THEN {pr['low']} WHEN r.r9 < 0.85 THEN {pr['normal']}
                  WHEN r.r9 < 0.97 THEN {pr['high']} ELSE {pr['urgent']} END AS priority_id,
             CASE WHEN r.r9 < 0.15 THEN 'low' WHEN r.r9 < 0.97 THEN 'medium' ELSE 'high' END
               AS urgency,
             CASE WHEN r.r9 < 0.15 THEN 'low' WHEN r.r9 < 0.85 THEN 'medium' ELSE 'high' END
               AS impact,
             CASE WHEN r.r10 < 0.4 THEN {ty['incident']} WHEN r.r10 < 0.7
                  THEN {ty['service-request']} WHEN r.r10 < 0.95 THEN {ty['question']}
                  ELSE {ty['problem']} END AS type_id,
             CASE WHEN r.r11 < 0.6 THEN 'email' WHEN r.r11 < 0.85 THEN 'portal'
                  WHEN r.r11 < 0.9 THEN 'chat' WHEN r.r11 < 0.95 THEN 'phone' ELSE 'api' END
               AS channel,
             CASE WHEN r.r11 * 10 - floor(r.r11 * 10) < 0.1 THEN 'sv' ELSE 'en' END AS language,
             LEAST(now(), r.created_at + r.span) AS updated_at,
             LEAST(now(), r.created_at + r.span) AS solved_at
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
      CROSS JOIN LATERAL (
        SELECT x.*,
               CASE WHEN x.cat0 IN ('solved', 'closed')
                    THEN interval '1 hour' * (0.5 + 120 * x.r8 * x.r8)
                    ELSE (now() - x.created_at) * x.r8 END AS span,
               CASE WHEN x.cat0 = 'solved' AND x.created_at < now() - interval '30 days'
                    AND x.r4 < 0.9 THEN 'closed' ELSE x.cat0 END AS cat
        FROM (
          SELECT y.*,
                 CASE WHEN (g > {n} * 0.9 AND y.r3 < 0.35) OR (g <= {n} * 0.9 AND y.r3 < 0.984)
                      THEN 'solved'
                      WHEN y.r4 < 0.2 THEN 'new' WHEN y.r4 < 0.65 THEN 'open'
                      WHEN y.r4 < 0.9 THEN 'pending' ELSE 'on_hold' END AS cat0
          FROM (
            SELECT now() - interval '3 years' * (1 - (g - 1)::float8 / {n})
                     - interval '1 minute' * bench_rand(g, 2) AS created_at,
                   bench_rand(g, 3) AS r3, bench_rand(g, 4) AS r4, bench_rand(g, 5) AS r5,
                   bench_rand(g, 6) AS r6, bench_rand(g, 8) AS r8, bench_rand(g, 9) AS r9,
                   bench_rand(g, 10) AS r10, bench_rand(g, 11) AS r11,
                   CASE WHEN g %% {LONG_EVERY} = {LONG_EVERY // 2} THEN 20
                        WHEN g %% {LONG_EVERY} BETWEEN 1 AND 5 THEN 2 ELSE 5 END AS cnt,
                   floor({nt} * bench_rand(g, 12) ^ 2)::int AS t1,
                   floor({nt} * bench_rand(g, 13) ^ 2)::int AS t2,
                   floor({CUSTOMERS} * bench_rand(g, 14) ^ 1.5)::int AS ci
          ) y
        ) x
      ) r
      JOIN bench_topic t1 ON t1.i = r.t1
      JOIN bench_topic t2 ON t2.i = r.t2
    ) s
    JOIN bench_customer c ON c.i = s.ci
    """


def message_sql() -> str:
    """Messages of tickets lo..hi: customer and agent alternate, 10% of agent ones are notes."""
    nt = len(TOPICS)
    return f"""
    INSERT INTO tickets_message (ticket_id, author_id, kind, from_agent, channel, body_text,
      body_html, created_at, external_id, metadata)
    SELECT m.ticket_id, m.author_id, m.kind, m.from_agent, m.channel, m.body,
           '<p>' || m.body || '</p>', m.created_at, '', '{{}}'::jsonb
    FROM (
      SELECT t.id AS ticket_id,
             CASE WHEN k %% 2 = 0 THEN coalesce(t.assignee_id, %(fallback)s)
                  ELSE t.requester_id END AS author_id,
             CASE WHEN k %% 2 = 0 AND bench_rand(t.id * 32 + k, 20) < 0.1 THEN 'note'
                  ELSE 'public' END AS kind,
             k %% 2 = 0 AS from_agent,
             CASE WHEN k %% 2 = 0 THEN 'email' ELSE t.channel END AS channel,
             initcap(s1.s) || ' ' || tw.w || ' ' || s2.s || '.'
               || CASE WHEN k = 1 AND bench_rand(t.id, 21) < 0.002 THEN ' {RARE_WORD}'
                       ELSE '' END AS body,
             t.created_at + (t.updated_at - t.created_at) * (k - 1) / t.message_count
               AS created_at
      FROM tickets_ticket t
      CROSS JOIN LATERAL generate_series(1, t.message_count) k
      JOIN bench_topic tw ON tw.i = floor({nt} * bench_rand(t.id, 12 + k %% 2) ^ 2)::int
      JOIN bench_sentence s1 ON s1.i = floor(5000 * bench_rand(t.id * 32 + k, 22))::int
      JOIN bench_sentence s2 ON s2.i = floor(5000 * bench_rand(t.id * 32 + k, 23))::int
      WHERE t.id BETWEEN %(lo)s AND %(hi)s
    ) m
    """


EVENT_SQL = """
INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, field, old_value, new_value, data,
  created_at)
SELECT t.id, t.requester_id, 'created', '', '', '', '{}'::jsonb, t.created_at
FROM tickets_ticket t WHERE t.id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT t.id, t.assignee_id, 'changed', 'status', 'Open', 'Solved', '{}'::jsonb, t.solved_at
FROM tickets_ticket t WHERE t.id BETWEEN %(lo)s AND %(hi)s AND t.solved_at IS NOT NULL
"""


def lookup_ids() -> dict[str, dict[str, int]]:
    return {
        "status": dict(fetch("SELECT slug, id FROM tickets_status")),
        "priority": dict(fetch("SELECT slug, id FROM tickets_priority")),
        "type": dict(fetch("SELECT slug, id FROM tickets_tickettype")),
    }


def search_index_build(n: int, threads: int) -> None:
    """The search backend's own document SQL, in id batches on ``threads`` connections."""
    from django.db import transaction

    from frontdesk.search.backends import PostgresBackend

    def batch(lo: int, hi: int) -> Callable[[], None]:
        def run() -> None:
            with transaction.atomic():
                PostgresBackend().index_tickets(ticket_ids=None, id_range=(lo, hi))
        return run

    size = 20_000
    run_parallel([batch(lo, min(n, lo + size - 1)) for lo in range(1, n + 1, size)], threads)


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    n = args.tickets
    timings: dict[str, float] = {}
    started = time.monotonic()

    def phase(name: str, fn: Callable[[], object]) -> object:
        t0 = time.monotonic()
        log(f"{name} ...")
        result = fn()
        timings[name] = round(time.monotonic() - t0, 1)
        log(f"{name}: {timings[name]} s")
        return result

    phase("migrate", lambda: call_command("migrate", verbosity=0, interactive=False))
    if fetch("SELECT EXISTS (SELECT 1 FROM tickets_ticket)")[0][0]:
        log("the database already has tickets: seed needs an empty database")
        return 2
    staff: dict[str, int] = phase("people", people_create)  # type: ignore[assignment]
    phase("pools", pools_create)
    fks, indexes = secondary_defs()
    for table, name, _definition in fks:
        execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _table, name, _definition in indexes:
        execute(f'DROP INDEX "{name}"')
    ids = lookup_ids()
    parts = ranges(n, args.threads * 4)
    tsql = ticket_sql(n, staff, ids)
    phase("tickets", lambda: run_parallel(
        [lambda lo=lo, hi=hi: execute(tsql, {"lo": lo, "hi": hi}) for lo, hi in parts],
        args.threads))
    msql = message_sql()
    phase("messages", lambda: run_parallel(
        [lambda lo=lo, hi=hi: execute(msql, {"lo": lo, "hi": hi, "fallback": staff["alice"]})
         for lo, hi in parts], args.threads))
    phase("events", lambda: run_parallel(
        [lambda lo=lo, hi=hi: execute(EVENT_SQL, {"lo": lo, "hi": hi}) for lo, hi in parts],
        args.threads))
    execute("SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %s)", [n])
    execute("INSERT INTO core_counter (name, value) VALUES ('ticket_number', %s) "
            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", [n])
    # New tickets take their numbers from this sequence on PostgreSQL (tickets migration 0007).
    from frontdesk.tickets.services import TICKET_NUMBER_SEQUENCE

    execute("SELECT setval(%s, %s)", [TICKET_NUMBER_SEQUENCE, n])
    # The GIN index is rebuilt after the documents, so only message indexes are needed now.
    non_search = [d for t, _nm, d in indexes if t != "search_ticket_doc"]
    search_idx = [d for t, _nm, d in indexes if t == "search_ticket_doc"]
    phase("indexes", lambda: run_parallel(
        [lambda d=d: execute(d) for d in non_search], args.threads))
    phase("vacuum_analyze_pre", lambda: run_parallel(
        [lambda t=t: execute(f"VACUUM ANALYZE {t}") for t in BIG_TABLES[:3]], args.threads))
    phase("search_documents", lambda: search_index_build(n, args.threads))
    phase("search_gin", lambda: run_parallel(
        [lambda d=d: execute(d) for d in search_idx], args.threads))
    # One task per table: adding a foreign key locks both tables, so a table's own keys go
    # one after the other while different tables proceed in parallel.
    by_table: dict[str, list[str]] = {}
    for table, name, definition in fks:
        by_table.setdefault(table, []).append(
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    phase("foreign_keys", lambda: run_parallel(
        [lambda stmts=stmts: [execute(x) for x in stmts] for stmts in by_table.values()],
        args.threads))
    execute("DROP TABLE bench_topic, bench_sentence, bench_customer")
    execute("DROP FUNCTION bench_rand(bigint, int)")
    phase("vacuum_analyze", lambda: run_parallel(
        [lambda t=t: execute(f"VACUUM ANALYZE {t}") for t in [*BIG_TABLES, "accounts_user"]],
        args.threads))
    connection.close()
    long_numbers = [r[0] for r in fetch(
        "SELECT number FROM tickets_ticket WHERE message_count = 20 ORDER BY number LIMIT 20")]
    counts = dict(fetch(
        """SELECT 'tickets', count(*) FROM tickets_ticket UNION ALL
           SELECT 'messages', count(*) FROM tickets_message UNION ALL
           SELECT 'events', count(*) FROM tickets_ticketevent UNION ALL
           SELECT 'documents', count(*) FROM search_ticket_doc UNION ALL
           SELECT 'customers', count(*) FROM accounts_user WHERE role = 'customer' UNION ALL
           SELECT 'open', count(*) FROM tickets_ticket
             WHERE status_category IN ('new', 'open', 'pending', 'on_hold')"""))
    summary = {
        "seed_seconds": round(time.monotonic() - started, 1),
        "timings": timings,
        "counts": counts,
        "long_ticket_numbers": long_numbers,
        "database_bytes": fetch("SELECT pg_database_size(current_database())")[0][0],
    }
    log(f"done in {summary['seed_seconds']} s: {counts}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
