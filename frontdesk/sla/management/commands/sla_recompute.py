"""Recompute the SLA clocks of every open ticket (e.g. after changing policies)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from frontdesk.sla.services import sla_recompute_open


class Command(BaseCommand):
    help = "Recompute SLA targets of all open tickets from their history."

    def handle(self, *args: object, **options: object) -> None:
        count = sla_recompute_open()
        self.stdout.write(self.style.SUCCESS(f"Recomputed {count} open tickets."))
