"""Backfill or refresh the daily reporting rollups."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand

from frontdesk.reporting.metrics import today
from frontdesk.reporting.rollups import rollup_days


class Command(BaseCommand):
    help = "Recompute the daily reporting rollups of the last N complete days."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--days", type=int, default=7, help="How many days back (default 7).")

    def handle(self, *args: object, **options: object) -> None:
        days = max(1, int(options["days"]))  # type: ignore[call-overload]
        end = today() - timedelta(days=1)
        start = end - timedelta(days=days - 1)
        started = time.monotonic()
        rows = rollup_days(start=start, end=end)
        self.stdout.write(
            f"Rolled up {start}..{end}: {rows} rows in {time.monotonic() - started:.1f} s."
        )
