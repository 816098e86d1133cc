"""Train ticket triage on this desk's solved tickets and show the held-out report."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from frontdesk.ai.triage import triage_train


class Command(BaseCommand):
    help = "Train triage (type, priority, team, chosen fields) on solved tickets."

    def handle(self, *args: object, **options: object) -> None:
        model = triage_train()
        if model is None:
            self.stdout.write("Not enough solved tickets to learn from yet.")
            return
        self.stdout.write(
            json.dumps({"n_train": model.n_train, "mode": model.mode, **model.report})
        )
