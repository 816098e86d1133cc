"""``manage.py mail_import [--mailbox ADDRESS] FILE...``: .eml and mbox files, same pipeline."""

from __future__ import annotations

import mailbox as mbox
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.mail.models import InboundSource, InboundState, Mailbox
from frontdesk.mail.pipeline import ingest_raw


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def raw_mails(path: Path) -> list[bytes]:
    """Every mail in a file: one for .eml, each message for mbox."""
    if _is_mbox(path):
        box = mbox.mbox(str(path), create=False)
        try:
            return [box.get_bytes(key) for key in box.iterkeys()]
        finally:
            box.close()
    return [path.read_bytes()]


class Command(BaseCommand):
    help = "Import .eml or mbox files through the mail pipeline (idempotent by Message-ID)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--mailbox", help="Address of the mailbox the mail arrived at.")

    def handle(self, *args: object, **options: object) -> None:
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(address__iexact=str(options["mailbox"])).first()
            if mailbox is None:
                raise CommandError(f"No mailbox with the address {options['mailbox']}.")
        counts: dict[str, int] = {}
        new = 0
        for path in options["files"]:  # type: ignore[attr-defined]
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            for raw in raw_mails(path):
                inbound, created = ingest_raw(raw, mailbox=mailbox, source=InboundSource.FILE)
                inbound.refresh_from_db()
                new += int(created)
                counts[inbound.state] = counts.get(inbound.state, 0) + 1
        summary = ", ".join(
            f"{InboundState(state).label}: {count}" for state, count in sorted(counts.items())
        )
        self.stdout.write(f"{new} new mails. {summary}")
