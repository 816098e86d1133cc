#!/usr/bin/env python
"""Mail ingest throughput from a local Dovecot through the whole pipeline, one worker.

    .venv/bin/python bench/mail_bench.py --database-url postgresql://... [--mails 2000]
        [--phases] [--profile FILE]

1. Starts a private Dovecot (frontdesk/mail/tests/servers.py) and appends ``--mails``
   realistic mails to one account: about two thirds new requests (text, HTML with a
   quoted reply, attachments, other charsets, a share taken from the shared corpus when
   it is present) and one third replies to earlier ones (In-Reply-To), from 300 senders.
2. Applies migrations if needed and creates one mailbox polling that account.
3. Times ``mailbox_poll``: fetch (sizes, then bodies), store raw, parse, noise and loop
   checks, threading and the ticket write with its outbox rows, all on this one process
   (the issue's "parse + thread + store"). The jobs those outbox rows start (search index,
   SLA, acknowledgement mail) belong to other workers and are not run; ``--with-jobs``
   runs them inline too (acknowledgements handed to a dummy mail backend).

4. With ``--peer``: appends the same mails to a second Dovecot account and runs
   django-helpdesk's ``get_email`` (``process_email``) on them through
   ``bench/peer/mail_ingest.py`` in bench/peer/.venv, against ``PEER_DATABASE_URL`` (the
   peer's migrated database; bench/run.py passes it). Its ``peer_mail_ingest_per_s`` is
   merged into the output; without ``PEER_DATABASE_URL`` or the peer venv, the peer part
   is skipped with a ``peer_mail_note``.

One JSON object on stdout, e.g. ``{"mail_ingest_per_s": 250.0, ...}``; progress on stderr.
``mail_ingest_cpu_s`` is this process's CPU time for the ingest (``mail_ingest_per_cpu_s``
the mails per second of it) and ``load_1m`` the machine's load when it ended: on a shared
machine, wall-clock throughput depends on both. ``--phases`` splits that CPU time by step
(parse, raw store, ticket write, live push, ...) with plain ``time.process_time`` counters;
``--profile`` writes a cProfile (whose overhead inflates pure-Python code) and the queries
per mail.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("FRONTDESK_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("FRONTDESK_DEBUG", "0")
os.environ.setdefault("FRONTDESK_EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

CORPUS = Path(os.environ.get("FRONTDESK_CORPUS", ROOT.parent / "shared" / "corpus")) / "email"
WORDS = [
    "printer",
    "invoice",
    "password",
    "login",
    "vpn",
    "laptop",
    "screen",
    "slow",
    "error",
    "crash",
    "report",
    "export",
    "meeting",
    "calendar",
    "license",
    "update",
    "install",
    "network",
    "wifi",
    "account",
    "access",
    "billing",
    "order",
    "skrivare",
    "faktura",
    "lösenord",
    "inloggning",
    "nätverk",
    "fungerar",
    "inte",
    "hjälp",
    "tack",
]


def log(message: str) -> None:
    print(f"[mail-bench] {message}", file=sys.stderr, flush=True)


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generated(rng: random.Random, i: int, previous: list[tuple[str, str, str]]) -> bytes:
    msg = EmailMessage()
    sender = f"customer{i % 300}@example{i % 7}.net"
    reply_to = previous[rng.randrange(len(previous))] if previous and i % 3 == 0 else None
    if reply_to:
        sender, subject, parent = reply_to
        msg["Subject"] = f"Re: {subject}"
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = f"<{parent}>"
    else:
        subject = sentence(rng, 5)[:-1]
        msg["Subject"] = subject
    msg["From"] = f"Customer {i % 300} <{sender}>"
    msg["To"] = "support@example.com"
    msg["Date"] = formatdate(localtime=True)
    msgid = f"bench-{i}-{rng.randrange(10**9)}@mail.example.net"
    msg["Message-ID"] = f"<{msgid}>"
    body = "\n\n".join(sentence(rng, rng.randint(8, 40)) for _ in range(rng.randint(1, 5)))
    if reply_to:
        body += "\n\nOn Monday, Support wrote:\n> " + sentence(rng, 20)
    msg.set_content(body, charset="iso-8859-1" if i % 5 == 0 else "utf-8")
    if i % 2 == 0:
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        msg.add_alternative(
            f"<html><body>{paragraphs}<div class='gmail_quote'>quoted</div></body></html>",
            subtype="html",
        )
    if i % 6 == 0:
        msg.add_attachment(
            b"%PDF-1.4\n" + os.urandom(20_000),
            maintype="application",
            subtype="pdf",
            filename=f"report-{i}.pdf",
        )
    previous.append((sender, subject, msgid))
    return bytes(msg)


def corpus_mails() -> list[bytes]:
    index = CORPUS / "INDEX.tsv"
    if not index.exists():
        return []
    with index.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["kind"] == "message"]
    return [(CORPUS / r["path"]).read_bytes() for r in rows]


def mails(n: int) -> list[bytes]:
    rng = random.Random(42)
    corpus = corpus_mails()
    previous: list[tuple[str, str, str]] = []
    out = []
    for i in range(n):
        if corpus and i % 10 == 9:
            # A real mail, made unique: its own Message-ID in front of its headers.
            raw = corpus[i % len(corpus)]
            out.append(f"Message-ID: <corpus-{i}@bench.example>\r\n".encode() + raw)
        else:
            out.append(generated(rng, i, previous))
    return out


PEER_PYTHON = ROOT / "bench" / "peer" / ".venv" / "bin" / "python"
PEER_SCRIPT = ROOT / "bench" / "peer" / "mail_ingest.py"


def peer_run(dovecot, raws: list[bytes]) -> dict:  # type: ignore[no-untyped-def]
    """django-helpdesk's get_email on the same mails, from its own Dovecot account."""
    import imaplib

    url = os.environ.get("PEER_DATABASE_URL")
    if not url:
        return {"peer_mail_note": "PEER_DATABASE_URL is not set: the peer was not measured."}
    if not PEER_PYTHON.exists():
        return {"peer_mail_note": "bench/peer/.venv is missing: the peer was not measured."}
    user = dovecot.account()
    password = dovecot.users[user]
    log(f"appending the same {len(raws)} mails for django-helpdesk")
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(user, password)
    for raw in raws:
        client.append("INBOX", None, None, raw)
    client.logout()
    cmd = [
        str(PEER_PYTHON),
        str(PEER_SCRIPT),
        "--port",
        str(dovecot.port),
        "--user",
        user,
        "--password",
        password,
        "--folder",
        "INBOX",
        "--expect",
        str(len(raws)),
    ]
    log("django-helpdesk get_email")
    done = subprocess.run(  # noqa: S603 - our own script in the peer's venv
        cmd,
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FRONTDESK_"))},
            "PEER_DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "peer_project.settings",
        },
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"peer_mail_note": f"bench/peer/mail_ingest.py failed (exit {done.returncode})."}
    return json.loads(lines[-1])


class QueryLog:
    """Records the SQL of every query on ``connection`` while entered."""

    def __init__(self, connection) -> None:  # type: ignore[no-untyped-def]
        self.connection = connection
        self.captured: list[dict] = []
        self._context = None

    def _wrapper(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.captured.append({"sql": sql})
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryLog:
        self._context = self.connection.execute_wrapper(self._wrapper)
        self._context.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)


def query_report(captured: list[dict], mails: int) -> None:
    """Queries per mail, grouped by shape (literals replaced), most frequent first."""
    import re
    from collections import Counter

    shapes: Counter[str] = Counter()
    for query in captured:
        sql = re.sub(r'"s\d+_x\d+"', '"sp"', query["sql"])  # savepoint names
        sql = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
        sql = re.sub(r"\((?:\?, )+\?\)", "(?...)", sql)
        shapes[sql[:160]] += 1
    log(f"{len(captured)} queries for {mails} mails ({len(captured) / max(mails, 1):.1f} per mail)")
    for sql, count in shapes.most_common(40):
        log(f"{count / max(mails, 1):6.2f}/mail  {sql}")


class Phases:
    """CPU time (``time.process_time``) spent in each named step of the ingest, without a
    profiler: cProfile's per-call overhead inflates pure-Python code (the MIME feed parser
    looked like a quarter of the CPU under it, a tenth without), and a thread hop (a live
    push through ``async_to_sync``) shows as lock waits. Steps nest: a step's time includes
    the steps it calls (``process_batch`` includes ``deliver``, which includes
    ``message_receive``)."""

    STEPS = (
        # (module, attribute, step) - the names the pipeline calls, patched where it looks
        # them up.
        ("frontdesk.mail.pipeline", "message_id_for", "message_id"),
        ("frontdesk.mail.pipeline", "_raw_store", "raw_store"),
        ("frontdesk.mail.pipeline", "ingest_batch", "ingest_batch (with the parse job)"),
        ("frontdesk.mail.pipeline", "inbound_process_batch", "process_batch"),
        ("frontdesk.mail.pipeline", "raw_read", "raw_read"),
        ("frontdesk.mail.pipeline", "mail_parse", "parse"),
        ("frontdesk.mail.pipeline", "_deliver", "deliver"),
        ("frontdesk.mail.pipeline", "thread_resolve", "thread_resolve"),
        ("frontdesk.mail.pipeline", "message_receive", "message_receive (tickets)"),
        ("frontdesk.mail.pipeline", "_outcomes_save", "outcomes_save"),
        ("frontdesk.desk.live", "push_many", "live_push (desk)"),
        ("frontdesk.mail.imap", "_sizes", "imap sizes"),
        ("frontdesk.mail.imap", "_fetch", "imap fetch"),
        ("frontdesk.mail.imap", "_after_import", "imap flag"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def _timed(self, function, step: str):  # type: ignore[no-untyped-def]
        seconds, wall = self.seconds, self.wall

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started, clock = time.process_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[step] = seconds.get(step, 0.0) + time.process_time() - started
                wall[step] = wall.get(step, 0.0) + time.perf_counter() - clock

        return timed

    def __enter__(self) -> Phases:
        import importlib

        for module_name, attribute, step in self.STEPS:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute)
            self._undo.append((module, attribute, original))
            setattr(module, attribute, self._timed(original, step))
        from frontdesk.mail.pipeline import _Batch

        load = _Batch.__dict__["load"]
        self._undo.append((_Batch, "load", load))
        _Batch.load = classmethod(self._timed(load.__func__, "batch_lookups"))  # type: ignore[method-assign]
        from frontdesk.tickets.services import _Writes

        self._undo.append((_Writes, "write", _Writes.write))
        _Writes.write = self._timed(_Writes.write, "batch writes (messages, events, outbox)")  # type: ignore[method-assign]
        from django.db import connection

        # A commit's wait (the WAL flush) shows in the wall column only.
        self._undo.append((connection, "commit", connection.commit))
        connection.commit = self._timed(connection.commit, "commit")  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)

    def report(self, mails: int, cpu: float, elapsed: float) -> None:
        log(
            f"CPU and wall time by step ({mails} mails, {cpu:.2f} s of CPU and {elapsed:.2f} s "
            "in all; steps nest):"
        )
        log("  CPU s  share  CPU ms/mail  wall ms/mail  step")
        for step, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            share = 100 * seconds / max(cpu, 1e-9)
            per_mail = 1000 / max(mails, 1)
            log(
                f"{seconds:7.3f} {share:5.1f} %  {seconds * per_mail:11.3f}  "
                f"{self.wall[step] * per_mail:12.3f}  {step}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the Dovecot data directory")
    parser.add_argument(
        "--with-jobs",
        action="store_true",
        help="also run every outbox job (indexing, acknowledgement) inline on the same worker",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also time django-helpdesk's get_email on the same mails (needs PEER_DATABASE_URL)",
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="print the CPU time of each ingest step to stderr (no profiler overhead)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write a cProfile of the ingest to FILE and the queries per mail to stderr",
    )
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("FRONTDESK_VAR_DIR", tempfile.mkdtemp(prefix="fd-mail-bench-"))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    from frontdesk.mail.imap import mailbox_connect, mailbox_poll
    from frontdesk.mail.models import InboundMail, InboundState, Mailbox
    from frontdesk.mail.tests.servers import dovecot_start

    HUEY.immediate = True  # the parse job and the outbox run here: one worker does it all
    settings.MAIL_SENDER_RATE_PER_HOUR = 10**6
    call_command("migrate", verbosity=0)
    dovecot = dovecot_start()
    try:
        user = dovecot.account()
        # A rerun starts from an empty mailbox (its earlier mail rows go with it).
        InboundMail.objects.filter(mailbox__address="support@example.com").delete()
        Mailbox.objects.filter(address="support@example.com").delete()
        box = Mailbox(
            address="support@example.com",
            imap_host="127.0.0.1",
            imap_port=dovecot.port,
            imap_ssl=False,
            username=user,
        )
        box.password = dovecot.users[user]
        box.save()
        raws = mails(args.mails)
        log(f"appending {len(raws)} mails to Dovecot")
        with mailbox_connect(box) as client:
            for raw in raws:
                client.append(raw, "INBOX")
        if not args.with_jobs:
            # The outbox rows are written with the ticket (that is the store); the jobs they
            # start (search index, SLA, acknowledgement, ...) belong to other workers.
            import frontdesk.core.tasks

            frontdesk.core.tasks.outbox_process = lambda entry_id: None
        before = InboundMail.objects.count()
        log("polling")
        profiler = queries = None
        if args.profile:
            import cProfile

            from django.db import connection

            # CPU time, not wall time: on a shared machine the wall clock mostly measures
            # the neighbours.
            profiler = cProfile.Profile(time.process_time)
            # Every query, not only the last 9,000 (CaptureQueriesContext keeps no more).
            queries = QueryLog(connection)
            queries.__enter__()
            profiler.enable()
        phases = Phases() if args.phases else None
        if phases is not None:
            phases.__enter__()
        started = time.perf_counter()
        cpu_started = time.process_time()
        fetched = 0
        while True:
            result = mailbox_poll(box)
            if result.error:
                raise SystemExit(result.error)
            fetched += result.fetched + result.quarantined
            if not result.fetched and not result.quarantined:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if phases is not None:
            phases.__exit__(None, None, None)
            phases.report(fetched, cpu, elapsed)
        if profiler is not None and queries is not None:
            profiler.disable()
            queries.__exit__(None, None, None)
            profiler.dump_stats(args.profile)
            query_report(queries.captured, fetched)
        stored = InboundMail.objects.count() - before
        states = {
            s: InboundMail.objects.filter(mailbox=box, state=s).count() for s in InboundState.values
        }
        output = {
            ("mail_ingest_with_jobs_per_s" if args.with_jobs else "mail_ingest_per_s"): round(
                fetched / elapsed, 1
            ),
            "mail_ingest_mails": fetched,
            "mail_ingest_seconds": round(elapsed, 2),
            "mail_ingest_cpu_s": round(cpu, 2),
            # Mails per second of this process's CPU: what one worker does when it has a
            # core to itself (the database's own CPU not counted).
            "mail_ingest_per_cpu_s": round(fetched / max(cpu, 1e-9), 1),
            "mail_ingest_stored": stored,
            "mail_ingest_states": states,
            "load_1m": round(os.getloadavg()[0], 2),
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        }
        if args.peer:
            output.update(peer_run(dovecot, raws))
            if output.get("peer_mail_ingest_per_s"):
                output["mail_ingest_vs_peer"] = round(
                    output.get("mail_ingest_per_s", output.get("mail_ingest_with_jobs_per_s", 0))
                    / output["peer_mail_ingest_per_s"],
                    2,
                )
        print(json.dumps(output))
        if args.keep:
            log(f"Dovecot data kept in {dovecot.root}")
    finally:
        if args.keep:
            dovecot.process.terminate()
        else:
            dovecot.stop()


if __name__ == "__main__":
    main()
