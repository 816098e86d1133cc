"""``manage.py smtpd [--host H] [--port P] [--lmtp]``: the inbound listener for an MTA."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from frontdesk.mail.smtpd import controller_make


class Command(BaseCommand):
    help = "Accept mail for the configured mailboxes over SMTP or LMTP (e.g. from Postfix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SMTPD_HOST)
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT)
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")

    def handle(self, *args: object, **options: object) -> None:
        controller = controller_make(
            host=str(options["host"]), port=int(options["port"]), lmtp=bool(options["lmtp"])
        )
        controller.start()
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"Listening for {protocol} on {options['host']}:{options['port']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()
