"""Ask the answer bot from the command line (admins evaluate before switching it on)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.ai.bot import bot_answer
from frontdesk.ai.models import ImportedArticle


class Command(BaseCommand):
    help = 'Print {"answered", "confidence", "results": [{"external_id", "title", "score"}]}.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--language", default="en")

    def handle(self, *args: object, **options: object) -> None:
        # Answered as a signed-out reader would be: only public articles.
        result = bot_answer(None, str(options["question"]), language=str(options["language"]))
        external = dict(
            ImportedArticle.objects.filter(
                article_id__in=[o.article_id for o in result.offers]
            ).values_list("article_id", "external_id")
        )
        out = {
            "answered": result.answered,
            "confidence": result.confidence,
            "results": [
                {
                    "external_id": external.get(o.article_id, str(o.article_id)),
                    "title": o.title,
                    "score": o.score,
                }
                for o in result.offers[:3]
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(("answered" if result.answered else "declined") + f" {result.confidence}")
        for row in out["results"]:
            self.stdout.write(f"  {row['score']:.3f}  {row['title']}  ({row['external_id']})")
