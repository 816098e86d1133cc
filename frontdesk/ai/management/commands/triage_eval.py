"""Train the triage classifier on one CSV and score it on another (nothing is stored)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.ai import embeddings
from frontdesk.ai.classify import evaluate


def read(path: str, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and (text_col not in rows[0] or label_col not in rows[0]):
        raise CommandError(f"{path} has no column {text_col!r} or {label_col!r}")
    return [r[text_col] for r in rows], [r[label_col] for r in rows]


class Command(BaseCommand):
    help = 'Print {"accuracy", "precision_at_80_coverage", "n"} for --test after --train.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True)
        parser.add_argument("--test", required=True)
        parser.add_argument("--text-col", required=True)
        parser.add_argument("--label-col", required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        cols = (str(options["text_col"]), str(options["label_col"]))
        train_x, train_y = read(str(options["train"]), *cols)
        test_x, test_y = read(str(options["test"]), *cols)
        train_v = embeddings.embed(train_x)
        test_v = embeddings.embed(test_x) if train_v is not None else None
        result = evaluate(
            train_x, train_y, test_x, test_y, train_vectors=train_v, test_vectors=test_v
        )
        result["mode"] = embeddings.mode()
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"accuracy {result['accuracy']:.4f}, precision at 80% coverage "
                f"{result['precision_at_80_coverage']:.4f}, n={result['n']} ({result['mode']})"
            )
