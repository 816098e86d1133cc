"""Import articles from JSON Lines: one article per line; a re-import updates them."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.accounts.models import Role, User
from frontdesk.ai import indexing
from frontdesk.ai.services import ImportRecord, kb_import_record


class Command(BaseCommand):
    help = (
        "Import KB articles from FILE.jsonl (external_id, title, summary, body, language, "
        "category), published; re-importing updates changed articles."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--author", default="", help="email of the publishing admin")

    def handle(self, *args: object, **options: object) -> None:
        author = self._author(str(options["author"]))
        counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        path = Path(str(options["file"]))
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    record = ImportRecord(
                        external_id=str(row["external_id"]),
                        title=str(row["title"]),
                        body=str(row.get("body", "")),
                        language=str(row.get("language") or "en"),
                        summary=str(row.get("summary") or ""),
                        category=str(row.get("category") or ""),
                    )
                    counts[kb_import_record(record=record, actor=author)] += 1
                except (ValueError, KeyError, ValidationError) as exc:
                    counts["failed"] += 1
                    self.stderr.write(f"line {number}: {exc}")
        # The outbox embeds each article as it commits; this catches a worker that is off.
        indexing.help_center_embed_all()
        self.stdout.write(json.dumps(counts))

    @staticmethod
    def _author(email: str) -> User:
        users = User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.SUPERVISOR])
        author = users.filter(email=email).first() if email else users.order_by("pk").first()
        if author is None:
            raise CommandError("No active admin or supervisor to publish as (use --author).")
        return author
