#!/usr/bin/env python
"""django-helpdesk's mail ingest on the same mails Frontdesk ingests (bench/mail_bench.py).

Run inside bench/peer/.venv with PEER_DATABASE_URL set (after seed.py migrated it):

    python bench/peer/mail_ingest.py --host 127.0.0.1 --port 10143 --user bench \
        --password secret --folder INBOX --expect 2000

Adds (or updates) one queue that reads that IMAP mailbox, then runs what `manage.py
get_email` runs (helpdesk.email.process_email) once and times it: log in, fetch every mail,
parse, thread, store, delete from the server. Prints one JSON object:
{"peer_mail_ingest_per_s": ..., "peer_mail_ingested": ..., "peer_mail_seconds": ...}.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peer_project"))
# Forced, not defaulted: the caller (bench/mail_bench.py) runs under Frontdesk settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "peer_project.settings"


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
            "logging_type": "none",
        },
    )
    # Only this queue reads mail during the measurement.
    Queue.objects.exclude(pk=queue.pk).update(email_box_type=None)
    tickets_before = Ticket.objects.count()
    followups_before = FollowUp.objects.count()
    started = time.perf_counter()
    process_email(quiet=True)
    seconds = time.perf_counter() - started
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
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
