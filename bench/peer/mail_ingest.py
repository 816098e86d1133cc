#!/usr/bin/env python
"""django-helpdesk's mail ingest on the same mails Frontdesk ingests (bench/mail_bench.py).

Run inside bench/peer/.venv with PEER_DATABASE_URL set (after seed.py migrated it):

    python bench/peer/mail_ingest.py --host 127.0.0.1 --port 10143 --user bench \
        --password secret --folder INBOX --expect 2000

Adds (or updates) one queue that reads that IMAP mailbox, then runs what `manage.py
get_email` runs (helpdesk.email.process_email) once and times it: log in, fetch every mail,
parse, thread, store, delete from the server. A mail that makes it raise would stop every
later run at the same place; such a mail is set aside (deleted outside the timing) and
get_email run again, and the count is reported (``peer_mail_stuck``, with the errors it
logged in ``peer_mail_errors``). Prints one JSON object:
{"peer_mail_ingest_per_s": ..., "peer_mail_ingested": ..., "peer_mail_seconds": ...}.
"""

import argparse
import imaplib
import json
import logging
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peer_project"))
# Forced, not defaulted: the caller (bench/mail_bench.py) runs under Frontdesk settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "peer_project.settings"


class _ErrorLog(logging.Handler):
    """Keeps the first line of each error django-helpdesk logs for the queue."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.messages.append(text[:300])


def _first_left(args: argparse.Namespace) -> str | None:
    """Delete the first mail still on the server; its Message-ID, or None if none is left."""
    client = imaplib.IMAP4(args.host, args.port)
    try:
        client.login(args.user, args.password)
        client.select(args.folder)
        found = client.search(None, "NOT", "DELETED")[1]
        numbers = found[0].split() if found and found[0] else []
        if not numbers:
            return None
        data = client.fetch(numbers[0], "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")[1]
        header = data[0][1].decode(errors="replace") if data and data[0] else ""
        client.store(numbers[0], "+FLAGS", "\\Deleted")
        client.expunge()
        value = header.partition(":")[2].strip()
        return value.splitlines()[0].strip() if value else numbers[0].decode()
    finally:
        client.logout()


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--folder", default="INBOX")
    p.add_argument("--expect", type=int, help="mails waiting in the folder (for the log)")
    args = p.parse_args()

    import django

    django.setup()
    from helpdesk.email import process_email
    from helpdesk.models import FollowUp, Queue, Ticket

    queue, _ = Queue.objects.update_or_create(
        slug="bench-mail",
        defaults={
            "title": "Bench mail",
            "email_address": "support@example.com",
            "allow_email_submission": True,
            "email_box_type": "imap",
            "email_box_ssl": False,
            "email_box_host": args.host,
            "email_box_port": args.port,
            "email_box_user": args.user,
            "email_box_pass": args.password,
            "email_box_imap_folder": args.folder,
            "email_box_interval": 0,
            "email_box_last_check": None,
            "logging_type": "error",
        },
    )
    # Only this queue reads mail during the measurement.
    Queue.objects.exclude(pk=queue.pk).update(email_box_type=None)
    errors = _ErrorLog()
    logging.getLogger("django.helpdesk.queue." + queue.slug).addHandler(errors)
    tickets_before = Ticket.objects.count()
    followups_before = FollowUp.objects.count()
    seconds = 0.0
    stuck: list[str] = []
    # A mail that makes get_email raise stays on the server and stops every later run at
    # the same place (cron would retry it forever). To time the whole set, the harness
    # sets such a mail aside (deletes it, outside the timing) and runs get_email again;
    # how many it had to set aside is reported.
    while True:
        started = time.perf_counter()
        process_email(quiet=True)
        seconds += time.perf_counter() - started
        left = _first_left(args)
        if left is None or len(stuck) >= 50:
            break
        stuck.append(left)
    tickets = Ticket.objects.count() - tickets_before
    followups = FollowUp.objects.count() - followups_before
    # Each ingested mail is a new ticket or a follow-up on one.
    ingested = max(followups, tickets)
    result = {
        "peer_mail_ingest_per_s": round(ingested / seconds, 1) if seconds else None,
        "peer_mail_ingested": ingested,
        "peer_mail_tickets_created": tickets,
        "peer_mail_seconds": round(seconds, 2),
    }
    if args.expect:
        result["peer_mail_expected"] = args.expect
    if stuck:
        result["peer_mail_stuck"] = len(stuck)
        result["peer_mail_stuck_ids"] = stuck[:10]
    if errors.messages:
        result["peer_mail_errors"] = errors.messages[:5]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
