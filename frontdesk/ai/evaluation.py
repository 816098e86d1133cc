"""Measuring the bot and triage on data with known answers (proof, calibration, bench).

``kb_questions_score`` asks the bot each question (as a signed-out reader) and compares
with the expected articles: top-1, top-3, how often it declines what the help center does
not answer, and how often it declines what it does. ``kb_threshold_table`` gives the same
per threshold, so an admin can pick the threshold on their own question set.
``cross_validate`` runs k-fold triage evaluation on a labelled CSV.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from frontdesk.ai import embeddings
from frontdesk.ai.bot import bot_answer
from frontdesk.ai.classify import TextClassifier, precision_at_coverage
from frontdesk.ai.models import ImportedArticle

THRESHOLDS = tuple(round(0.25 + 0.025 * i, 3) for i in range(19))


def questions_read(path: Path) -> list[dict[str, Any]]:
    """JSON Lines: {"q": question, "ids": [acceptable external ids]} ([] = unanswerable)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def kb_questions_run(questions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each question with the bot's confidence and its top three external ids."""
    external = dict(ImportedArticle.objects.values_list("article_id", "external_id"))
    out = []
    for item in questions:
        started = time.perf_counter()
        result = bot_answer(None, item["q"], language="en", min_confidence=0.0)
        out.append(
            {
                "q": item["q"],
                "expected": list(item["ids"]),
                "confidence": result.confidence,
                "top": [external.get(o.article_id, "") for o in result.offers[:3]],
                "ms": (time.perf_counter() - started) * 1000,
            }
        )
    return out


def kb_questions_score(runs: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    answerable = [r for r in runs if r["expected"]]
    unanswerable = [r for r in runs if not r["expected"]]

    def share(rows: list[dict[str, Any]], test: Any) -> float:
        return round(sum(1 for r in rows if test(r)) / len(rows), 3) if rows else 0.0

    return {
        "threshold": threshold,
        "top1": share(answerable, lambda r: r["top"][:1] and r["top"][0] in r["expected"]),
        "top3": share(answerable, lambda r: bool(set(r["top"][:3]) & set(r["expected"]))),
        # Answered (above the threshold) with a right article in first place.
        "answered_right": share(
            answerable,
            lambda r: (
                r["confidence"] >= threshold and r["top"][:1] and r["top"][0] in r["expected"]
            ),
        ),
        "declined_when_unanswerable": share(unanswerable, lambda r: r["confidence"] < threshold),
        "false_decline": share(answerable, lambda r: r["confidence"] < threshold),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }


def kb_threshold_table(runs: list[dict[str, Any]]) -> list[dict[str, float]]:
    return [kb_questions_score(runs, t) for t in THRESHOLDS]


def csv_read(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r[text_col] for r in rows], [r[label_col] for r in rows]


def cross_validate(
    texts: list[str],
    labels: list[str],
    *,
    folds: int = 5,
    vectors: Any = None,
    seed: int = 0,
    finetune: bool = True,
    only: int | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Stratified k-fold: mean accuracy, precision at 80% coverage, wall and CPU seconds of
    training per fold (the CPU seconds of all the process's threads: on a shared machine
    the wall time grows with the load, the CPU time much less). ``only``: run that fold
    alone (a quick check); ``progress(fold, figures)`` is told after each fold."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    accuracies, precisions, seconds, cpu_seconds = [], [], [], []
    methods = set()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (train, test) in enumerate(splitter.split(texts, y)):
        if only is not None and number != only:
            continue
        started, cpu = time.perf_counter(), time.process_time()
        classifier = TextClassifier(use_embeddings=vectors is not None, finetune=finetune)
        classifier.fit(
            [texts[i] for i in train],
            list(y[train]),
            vectors[train] if vectors is not None else None,
        )
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu)
        methods.add(classifier.method())
        predicted, margins = classifier.margins(
            [texts[i] for i in test], vectors[test] if vectors is not None else None
        )
        correct = np.array(predicted) == y[test]
        accuracies.append(float(correct.mean()))
        precisions.append(precision_at_coverage(margins, correct, 0.8))
        if progress is not None:
            progress(
                number,
                {
                    "accuracy": round(accuracies[-1], 4),
                    "precision_at_80_coverage": round(precisions[-1], 4),
                    "train_s": round(seconds[-1], 1),
                    "train_cpu_s": round(cpu_seconds[-1], 1),
                },
            )
    return {
        "accuracy": round(float(np.mean(accuracies)), 4),
        "precision_at_80_coverage": round(float(np.mean(precisions)), 4),
        "train_seconds_per_fold": round(float(np.mean(seconds)), 1),
        "train_cpu_seconds_per_fold": round(float(np.mean(cpu_seconds)), 1),
        "train_cpu_seconds_max_fold": round(float(np.max(cpu_seconds)), 1),
        "folds": len(accuracies),
        "n": len(texts),
        "mode": embeddings.SEMANTIC if vectors is not None else embeddings.LEXICAL,
        "method": "+".join(sorted(methods)),
    }
