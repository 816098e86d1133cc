#!/usr/bin/env python
"""Bulk-load django-helpdesk 2.6.1 with N tickets and 5*N follow-ups.

Run inside bench/peer/.venv with PEER_DATABASE_URL set:

    python bench/peer/seed.py --tickets 100000

What it does, in order:
  1. (unless --no-reset) DROP SCHEMA public CASCADE / CREATE SCHEMA public, so
     a re-run starts from an empty database; then `migrate`.
  2. Creates, through the ORM (so django-helpdesk's signals run and create the
     UserSettings rows): staff user `bench` (password `bench`, is_staff, sees
     every queue since per-queue permissions are off), 3 more agents, 5
     customer accounts, 3 queues.
  3. Loads tickets and follow-ups with INSERT ... SELECT generate_series, all
     server side. Text comes from small pools of random sentences built from
     a fixed word list, so a keyword hits some tickets but not all. The
     secondary indexes and foreign keys of the two big tables are dropped
     before the load and recreated (same definitions) after it.
  4. Every ticket has 5 follow-ups, except 100 "long" tickets spread over the
     id range that have 20, paid for by 500 tickets that have 2, so the total
     stays exactly 5*N (for N >= 600).
  5. ANALYZE; stores metadata (long ticket ids, counts, load time) in the table
     peer_bench_meta, which measure.py reads.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peer_project"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_project.settings")

BENCH_USER = "bench"
BENCH_PASSWORD = "bench"
LONG_TICKETS = 100  # tickets with 20 follow-ups
LONG_FOLLOWUPS = 20
SHORT_FOLLOWUPS = 2
FOLLOWUPS_PER_TICKET = 5

# Helpdesk-ish vocabulary. Words are chosen so that none is a substring of
# another in the list (icontains search), which keeps hit rates predictable.
WORDS = [
    "account",
    "address",
    "admin",
    "alert",
    "android",
    "apple",
    "backup",
    "badge",
    "balance",
    "bank",
    "battery",
    "billing",
    "blank",
    "browser",
    "budget",
    "bug",
    "cable",
    "calendar",
    "camera",
    "card",
    "cart",
    "certificate",
    "charge",
    "chrome",
    "client",
    "cloud",
    "code",
    "company",
    "computer",
    "contract",
    "cookie",
    "copy",
    "crash",
    "customer",
    "dashboard",
    "database",
    "deadline",
    "delivery",
    "desk",
    "device",
    "discount",
    "display",
    "domain",
    "download",
    "driver",
    "duplicate",
    "email",
    "error",
    "export",
    "failure",
    "fax",
    "feature",
    "firewall",
    "folder",
    "font",
    "form",
    "freeze",
    "gateway",
    "guest",
    "hardware",
    "headset",
    "help",
    "holiday",
    "icon",
    "image",
    "import",
    "install",
    "invoice",
    "keyboard",
    "label",
    "laptop",
    "latency",
    "license",
    "link",
    "login",
    "logo",
    "manager",
    "meeting",
    "memory",
    "menu",
    "message",
    "migration",
    "mobile",
    "modem",
    "monitor",
    "mouse",
    "network",
    "notebook",
    "office",
    "order",
    "outage",
    "package",
    "parcel",
    "partner",
    "password",
    "payment",
    "phone",
    "plan",
    "plugin",
    "policy",
    "portal",
    "price",
    "printer",
    "profile",
    "project",
    "proxy",
    "quota",
    "receipt",
    "refund",
    "region",
    "release",
    "reminder",
    "renewal",
    "report",
    "request",
    "reset",
    "router",
    "salary",
    "scanner",
    "schedule",
    "screen",
    "search",
    "server",
    "session",
    "setting",
    "share",
    "signal",
    "slow",
    "software",
    "spam",
    "speaker",
    "storage",
    "subscription",
    "supplier",
    "sync",
    "system",
    "tablet",
    "tax",
    "teams",
    "template",
    "ticket",
    "timeout",
    "token",
    "training",
    "transfer",
    "upgrade",
    "upload",
    "vendor",
    "video",
    "voucher",
    "wallet",
    "warranty",
    "webcam",
    "website",
    "wifi",
    "window",
    "yesterday",
    "tomorrow",
    "urgent",
    "please",
    "thanks",
    "again",
    "still",
    "cannot",
    "unable",
    "broken",
    "working",
    "since",
    "morning",
    "after",
    "before",
    "update",
]
# Rare word: in about 0.5% of the sentence pool.
RARE_WORD = "zeppelin"


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--no-reset", action="store_true", help="do not drop the schema first")
    p.add_argument("--json", help="also write the seed summary JSON to this file")
    return p.parse_args()


def log(msg):
    print(f"[peer seed] {msg}", file=sys.stderr, flush=True)


def ensure_database():
    """CREATE DATABASE if the one named in PEER_DATABASE_URL does not exist."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    kw = {
        k: v
        for k, v in (
            ("host", db["HOST"]),
            ("port", db["PORT"]),
            ("user", db["USER"]),
            ("password", db["PASSWORD"]),
        )
        if v
    }
    kw.update(db.get("OPTIONS", {}))
    try:
        psycopg.connect(dbname=db["NAME"], **kw).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    log(f"creating database {db['NAME']}")
    with psycopg.connect(dbname="postgres", autocommit=True, **kw) as conn:
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def reset_schema():
    from django.db import connection

    with connection.cursor() as cur:
        # Safety: only ever wipe a database that holds nothing but this peer.
        cur.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename !~ '^(helpdesk_|auth_|django_|peer_bench_meta$)'"
        )
        foreign = [r[0] for r in cur.fetchall()]
        if foreign:
            sys.exit(
                f"refusing to reset: database has tables that are not django-helpdesk's "
                f"({', '.join(foreign[:5])}); point PEER_DATABASE_URL at a database of its own"
            )
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cur.execute("CREATE SCHEMA public")
    connection.close()


def create_base_objects():
    from django.contrib.auth import get_user_model
    from django.contrib.sites.models import Site
    from helpdesk.models import Queue

    User = get_user_model()
    site = Site.objects.get_current()
    site.domain, site.name = "127.0.0.1", "peer"
    site.save()

    bench = User.objects.create_user(BENCH_USER, "bench@example.com", BENCH_PASSWORD, is_staff=True)
    agents = [bench.id]
    for i in range(1, 4):
        u = User.objects.create_user(
            f"agent{i}", f"agent{i}@example.com", BENCH_PASSWORD, is_staff=True
        )
        agents.append(u.id)
    for i in range(5):
        User.objects.create_user(f"customer{i}", f"customer{i}@example.com", BENCH_PASSWORD)

    queues = []
    for slug, title in (("support", "Support"), ("billing", "Billing"), ("sales", "Sales")):
        q = Queue.objects.create(
            title=title, slug=slug, allow_public_submission=False, allow_email_submission=False
        )
        queues.append(q.id)
    return agents, queues


def fk_and_index_defs(cur, tables):
    """Secondary indexes and FK constraints declared on `tables` (not the PKs)."""
    cur.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
        """,
        [tables],
    )
    fks = cur.fetchall()
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    idx = cur.fetchall()
    return fks, idx


def bulk_load(n, agents, queues):
    from django.db import connection, transaction

    long_step = max(1, n // LONG_TICKETS)
    long_ids = [i * long_step for i in range(1, LONG_TICKETS + 1) if i * long_step <= n]
    # The 5 tickets right before each long one get 2 follow-ups, paying for
    # its 15 extra, so the total stays 5*N.
    pay_per_long = (LONG_FOLLOWUPS - FOLLOWUPS_PER_TICKET) // (
        FOLLOWUPS_PER_TICKET - SHORT_FOLLOWUPS
    )
    exact = long_step > pay_per_long
    tables = ["helpdesk_ticket", "helpdesk_followup"]
    timings = {}

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL work_mem = '64MB'")
        fks, idx = fk_and_index_defs(cur, tables)
        for table, name, _ in fks:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in idx:
            cur.execute(f"DROP INDEX {name}")

        # Sentence pools, built from the word list with random().
        t0 = time.monotonic()
        cur.execute("CREATE TEMP TABLE peer_words (i int PRIMARY KEY, w text) ON COMMIT DROP")
        cur.execute(
            "INSERT INTO peer_words SELECT ord - 1, w FROM unnest(%s::text[]) WITH ORDINALITY AS t(w, ord)",
            [WORDS],
        )
        nw = len(WORDS)
        for name, size, lo, hi in (("peer_titles", 4000, 4, 8), ("peer_bodies", 20000, 8, 18)):
            cur.execute(f"CREATE TEMP TABLE {name} (i int PRIMARY KEY, s text) ON COMMIT DROP")
            cur.execute(
                f"""
                INSERT INTO {name}
                SELECT p.i, string_agg(w.w, ' ' ORDER BY k.k)
                FROM generate_series(0, {size - 1}) AS p(i)
                CROSS JOIN LATERAL generate_series(1, {lo} + (p.i * 7) % {hi - lo + 1}) AS k(k)
                JOIN LATERAL (SELECT (random() * {nw - 1})::int + 0 * p.i + 0 * k.k AS wi) r ON true
                JOIN peer_words w ON w.i = r.wi
                GROUP BY p.i
                """
            )
        # Sprinkle the rare word into ~0.5% of body sentences.
        cur.execute(f"UPDATE peer_bodies SET s = s || ' {RARE_WORD}' WHERE i % 200 = 17")
        # Capitalise titles.
        cur.execute("UPDATE peer_titles SET s = upper(left(s, 1)) || substr(s, 2)")
        cur.execute("ANALYZE peer_titles; ANALYZE peer_bodies")
        timings["pools_s"] = round(time.monotonic() - t0, 2)

        t0 = time.monotonic()
        cur.execute(
            """
            INSERT INTO helpdesk_ticket
              (id, title, created, modified, submitter_email, status, on_hold,
               description, resolution, priority, due_date, last_escalation,
               assigned_to_id, queue_id, secret_key, kbitem_id, merged_to_id)
            SELECT r.g, t.s, r.created, r.created + interval '2 hours',
                   'customer' || (r.g %% 500) || '@example.com',
                   r.status, false,
                   d1.s || '. ' || d2.s || '. ' || d3.s || '.',
                   CASE WHEN r.status IN (3, 4) THEN 'Resolved: ' || d3.s ELSE NULL END,
                   1 + (r.g %% 5), NULL, NULL,
                   CASE WHEN r.a < 0.2 THEN NULL
                        ELSE (%(agents)s::int[])[1 + (r.g %% cardinality(%(agents)s::int[]))] END,
                   (%(queues)s::int[])[1 + (r.g %% cardinality(%(queues)s::int[]))],
                   md5(r.g::text || random()::text)::uuid::text, NULL, NULL
            FROM (
              SELECT g,
                     now() - interval '730 days' * (1 - g::float8 / %(n)s) - random() * interval '1 hour' AS created,
                     CASE WHEN g > %(n)s * 0.9 THEN (ARRAY[1,1,1,2,3])[1 + (g %% 5)]
                          ELSE (ARRAY[1,3,4,4,4,4,4,4,4,2])[1 + (g %% 10)] END AS status,
                     random() AS a,
                     (random() * 3999)::int AS ti,
                     (random() * 19999)::int AS b1,
                     (random() * 19999)::int AS b2,
                     (random() * 19999)::int AS b3
              FROM generate_series(1, %(n)s) AS g
            ) r
            JOIN peer_titles t ON t.i = r.ti
            JOIN peer_bodies d1 ON d1.i = r.b1
            JOIN peer_bodies d2 ON d2.i = r.b2
            JOIN peer_bodies d3 ON d3.i = r.b3
            """,
            {"agents": agents, "queues": queues, "n": n},
        )
        timings["tickets_s"] = round(time.monotonic() - t0, 2)

        # Follow-ups: per ticket count 5, 20 for long tickets, 2 for the
        # `pay_per_long` tickets following each long ticket.
        t0 = time.monotonic()
        cur.execute(
            """
            INSERT INTO helpdesk_followup
              (date, title, comment, public, new_status, ticket_id, user_id,
               message_id, time_spent, email_recipients)
            SELECT c.created + k.k * interval '37 minutes',
                   CASE WHEN k.k = 1 THEN 'Ticket Opened'
                        WHEN k.k %% 2 = 0 THEN 'Comment' ELSE 'Reply from customer' END,
                   b1.s || '. ' || b2.s || '.',
                   true, NULL, c.id,
                   CASE WHEN k.k %% 2 = 0
                        THEN (%(agents)s::int[])[1 + ((c.id + k.k) %% cardinality(%(agents)s::int[]))]
                        ELSE NULL END,
                   NULL, NULL, NULL
            FROM (
              SELECT t.id, t.created,
                     CASE WHEN t.id %% %(step)s = 0 AND t.id / %(step)s <= %(nlong)s THEN %(long)s
                          WHEN %(exact)s AND t.id %% %(step)s >= %(step)s - %(pay)s
                               AND t.id / %(step)s < %(nlong)s THEN %(short)s
                          ELSE %(per)s END AS cnt
              FROM helpdesk_ticket t
            ) c
            CROSS JOIN LATERAL generate_series(1, c.cnt) AS k(k)
            CROSS JOIN LATERAL (SELECT (random() * 19999)::int + 0 * k.k AS r1,
                                       ((c.id * 31 + k.k * 7919) %% 20000) AS r2) r
            JOIN peer_bodies b1 ON b1.i = r.r1
            JOIN peer_bodies b2 ON b2.i = r.r2
            """,
            {
                "agents": agents,
                "step": long_step,
                "nlong": LONG_TICKETS,
                "long": LONG_FOLLOWUPS,
                "short": SHORT_FOLLOWUPS,
                "per": FOLLOWUPS_PER_TICKET,
                "pay": pay_per_long,
                "exact": exact,
            },
        )
        timings["followups_s"] = round(time.monotonic() - t0, 2)

        t0 = time.monotonic()
        for _, definition in idx:
            cur.execute(definition)
        for table, name, definition in fks:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in tables:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        timings["indexes_s"] = round(time.monotonic() - t0, 2)

    return long_ids, timings


def main():
    args = parse_args()
    n = args.tickets
    if n < 1:
        sys.exit("--tickets must be >= 1")
    t_start = time.monotonic()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    ensure_database()
    if not args.no_reset:
        log("resetting schema")
        reset_schema()
    log("migrate")
    call_command("migrate", verbosity=0, interactive=False)

    agents, queues = create_base_objects()
    log(f"loading {n} tickets, {FOLLOWUPS_PER_TICKET * n} follow-ups")
    long_ids, timings = bulk_load(n, agents, queues)

    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    timings["analyze_s"] = round(time.monotonic() - t0, 2)

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM helpdesk_ticket")
        n_tickets = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM helpdesk_followup")
        n_followups = cur.fetchone()[0]
        cur.execute(
            "SELECT ticket_id, count(*) FROM helpdesk_followup WHERE ticket_id = ANY(%s) GROUP BY 1",
            [long_ids],
        )
        long_counts = dict(cur.fetchall())

    summary = {
        "tickets": n_tickets,
        "followups": n_followups,
        "long_ticket_ids": [i for i in long_ids if long_counts.get(i) == LONG_FOLLOWUPS],
        "queues": queues,
        "user": BENCH_USER,
        "rare_word": RARE_WORD,
        "seed_seconds": round(time.monotonic() - t_start, 2),
        "timings": timings,
    }
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS peer_bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
        cur.execute(
            "INSERT INTO peer_bench_meta VALUES ('seed', %s::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(summary)],
        )
    log(
        f"done in {summary['seed_seconds']} s: {n_tickets} tickets, {n_followups} follow-ups {timings}"
    )
    out = json.dumps(summary)
    if args.json:
        Path(args.json).write_text(out + "\n")
    print(out)


if __name__ == "__main__":
    main()
