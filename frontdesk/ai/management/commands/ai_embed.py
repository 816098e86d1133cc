"""Embed what changed (articles, threads, tickets without a vector) and rebuild the index."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.ai import embeddings, indexing, store


class Command(BaseCommand):
    help = "Embed help-center content and tickets missing a vector; rebuild the ticket index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=10_000, help="at most this many")

    def handle(self, *args: object, **options: object) -> None:
        backend = embeddings.backend()
        if backend is None:
            self.stdout.write(json.dumps(embeddings.status()))
            return
        help_center = indexing.help_center_embed_all()
        tickets = 0
        left = int(options["tickets"])  # type: ignore[call-overload]
        while left > 0:
            ids = indexing.tickets_missing(limit=min(500, left))
            if not ids:
                break
            tickets += indexing.tickets_embed(ids)
            left -= len(ids)
        indexed = store.ticket_index_rebuild(model=backend.name)
        self.stdout.write(
            json.dumps({"help_center": help_center, "tickets": tickets, "indexed": indexed})
        )
