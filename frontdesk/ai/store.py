"""Vectors in the database, and nearest-neighbour search over them.

Small sets (articles, their passages, forum threads) are searched exactly with numpy over a
matrix loaded once per process and reloaded when the rows change (one aggregate query per
search tells). Tickets use an HNSW index (usearch) kept under ``VAR_DIR/ai/``, rebuilt by a
job; rows embedded after the last build (a new row id is written on every change) are
searched exactly on top, so results are right after a restart or before the next rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max

from frontdesk.ai.models import Vector, VectorKind
from frontdesk.core import clock

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Above this many rows past the HNSW build, searching them exactly gets slow: rebuild.
TAIL_REBUILD = 20_000
# The HNSW settings, chosen on 1M vectors on 2 cores (docs/ai.md): 8-bit cells, 16 links a
# node, a build search of 64 (half the default): the build takes about a quarter of the
# CPU of f16 / 128 at 0.95 recall of the 10 nearest, queries stay near 1-2 ms.
INDEX_OPTIONS = {"metric": "ip", "dtype": "i8", "connectivity": 16, "expansion_add": 64}


def index_threads() -> int:
    """The rebuild is a batch job: it may use the machine's cores (up to 4)."""
    return max(1, min(4, os.cpu_count() or 1))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_bytes(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(raw: bytes | memoryview) -> np.ndarray:
    import numpy as np

    return np.frombuffer(bytes(raw), dtype=np.float32)


@transaction.atomic
def vectors_replace(
    *,
    kind: str,
    object_id: int,
    model: str,
    rows: list[dict[str, object]],
) -> None:
    """Replace every vector of one object (delete, then insert: every change is a new row id,
    which is how the ticket index finds rows newer than its last build)."""
    Vector.objects.filter(kind=kind, object_id=object_id).delete()
    now = clock.now()
    Vector.objects.bulk_create(
        [
            Vector(
                kind=kind,
                object_id=object_id,
                part=int(row.get("part", 0)),  # type: ignore[call-overload]
                language=str(row.get("language", ""))[:10],
                text_hash=str(row["text_hash"]),
                model=model,
                vector=to_bytes(row["vector"]),  # type: ignore[arg-type]
                heading=str(row.get("heading", ""))[:250],
                text=str(row.get("text", "")),
                updated_at=now,
            )
            for row in rows
        ]
    )


def vectors_delete(*, kind: str, object_id: int) -> None:
    Vector.objects.filter(kind=kind, object_id=object_id).delete()


# --- exact search over small sets -------------------------------------------------------------


class Matrix:
    """Every vector of one kind in one model, as a matrix, with each row's identity."""

    def __init__(self, rows: list[tuple[int, int, int, str, str, str, bytes]]) -> None:
        import numpy as np

        self.object_ids = np.array([r[1] for r in rows], dtype=np.int64)
        self.parts = [r[2] for r in rows]
        self.languages = [r[3] for r in rows]
        self.headings = [r[4] for r in rows]
        self.texts = [r[5] for r in rows]
        width = len(from_bytes(rows[0][6])) if rows else 0
        self.matrix = (
            np.vstack([from_bytes(r[6]) for r in rows]).astype(np.float32)
            if rows
            else np.zeros((0, width), dtype=np.float32)
        )

    def __len__(self) -> int:
        return len(self.parts)

    def scores(self, query: np.ndarray) -> np.ndarray:
        return self.matrix @ query if len(self) else self.matrix[:, :0].sum(axis=1)


_matrices: dict[tuple[str, str], tuple[tuple[int, int], Matrix]] = {}
_matrix_lock = threading.Lock()


def matrix_for(kind: str, model: str) -> Matrix:
    """The current matrix of a kind; rebuilt in this process only when rows changed."""
    rows = Vector.objects.filter(kind=kind, model=model)
    stamp_row = rows.aggregate(n=Count("id"), top=Max("id"))
    stamp = (int(stamp_row["n"] or 0), int(stamp_row["top"] or 0))
    cached = _matrices.get((kind, model))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _matrix_lock:
        values = rows.order_by("id").values_list(
            "id", "object_id", "part", "language", "heading", "text", "vector"
        )
        matrix = Matrix(list(values))
        _matrices[(kind, model)] = (stamp, matrix)
    return matrix


def matrices_forget() -> None:
    _matrices.clear()


# --- tickets: HNSW index -------------------------------------------------------------------


def _index_dir() -> Path:
    path = Path(settings.VAR_DIR) / "ai"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model)[:80]


def index_paths(model: str) -> tuple[Path, Path]:
    base = _index_dir() / f"tickets-{_safe(model)}"
    return base.with_suffix(".usearch"), base.with_suffix(".json")


class TicketIndex:
    """A loaded HNSW index and the last vector row id it holds."""

    def __init__(self, index: object, watermark: int, stamp: float) -> None:
        self.index = index
        self.watermark = watermark
        self.stamp = stamp


_ticket_indexes: dict[str, TicketIndex | None] = {}


def _usearch() -> object | None:
    try:
        from usearch import index as usearch_index
    except ImportError:
        return None
    return usearch_index


def ticket_index_rebuild(*, model: str, chunk: int = 20_000) -> int:
    """Build the HNSW index from every ticket vector of ``model``; swap it in atomically."""
    import numpy as np

    usearch_index = _usearch()
    if usearch_index is None:
        return 0
    data, meta = index_paths(model)
    rows = Vector.objects.filter(kind=VectorKind.TICKET, model=model)
    watermark = int(rows.aggregate(top=Max("id"))["top"] or 0)
    index = None
    count = 0
    last = 0
    while True:
        batch = list(
            rows.filter(id__gt=last, id__lte=watermark)
            .order_by("id")
            .values_list("id", "object_id", "vector")[:chunk]
        )
        if not batch:
            break
        last = batch[-1][0]
        vectors = np.vstack([from_bytes(v) for _i, _o, v in batch])
        if index is None:
            index = usearch_index.Index(ndim=vectors.shape[1], **INDEX_OPTIONS)
        keys = np.array([o for _i, o, _v in batch], dtype=np.uint64)
        index.add(keys, vectors, threads=index_threads())
        count += len(batch)
    if index is None:
        for path in (data, meta):
            path.unlink(missing_ok=True)
        _ticket_indexes.pop(model, None)
        return 0
    tmp = data.with_suffix(f".tmp{os.getpid()}")
    index.save(str(tmp))
    tmp.replace(data)
    meta_tmp = meta.with_suffix(f".tmp{os.getpid()}")
    meta_tmp.write_text(json.dumps({"watermark": watermark, "count": count, "model": model}))
    meta_tmp.replace(meta)
    _ticket_indexes.pop(model, None)
    return count


def _ticket_index(model: str) -> TicketIndex | None:
    usearch_index = _usearch()
    if usearch_index is None:
        return None
    data, meta = index_paths(model)
    try:
        stamp = meta.stat().st_mtime
    except FileNotFoundError:
        return None
    loaded = _ticket_indexes.get(model)
    if loaded is not None and loaded.stamp == stamp:
        return loaded
    try:
        info = json.loads(meta.read_text())
        index = usearch_index.Index.restore(str(data), view=True)
    except (OSError, ValueError):
        log.warning("ticket index %s unreadable: searching exactly until it is rebuilt", data)
        return None
    if index is None:
        return None
    loaded = TicketIndex(index, int(info["watermark"]), stamp)
    _ticket_indexes[model] = loaded
    return loaded


def ticket_neighbours(
    query: np.ndarray, *, model: str, limit: int = 50, exclude: int | None = None
) -> list[tuple[int, float]]:
    """(ticket_id, cosine similarity) of the nearest tickets, best first."""
    import numpy as np

    found: dict[int, float] = {}
    loaded = _ticket_index(model)
    watermark = 0
    if loaded is not None:
        watermark = loaded.watermark
        matches = loaded.index.search(query.astype(np.float32), limit + 1)
        for key, distance in zip(matches.keys, matches.distances, strict=False):
            found[int(key)] = 1.0 - float(distance)
    # Rows embedded since the build (new tickets, changed ones) are searched exactly.
    tail = list(
        Vector.objects.filter(kind=VectorKind.TICKET, model=model, id__gt=watermark)
        .order_by("-id")
        .values_list("object_id", "vector")[:TAIL_REBUILD]
    )
    if tail:
        matrix = np.vstack([from_bytes(v) for _o, v in tail])
        sims = matrix @ query
        for (object_id, _v), sim in zip(tail, sims, strict=True):
            found[int(object_id)] = float(sim)
    found.pop(exclude, None)  # type: ignore[arg-type]
    return sorted(found.items(), key=lambda kv: -kv[1])[:limit]


def ticket_index_status(model: str) -> dict[str, object]:
    _data, meta = index_paths(model)
    info: dict[str, object] = {}
    if meta.exists():
        try:
            info = json.loads(meta.read_text())
        except ValueError:
            info = {}
    watermark = int(info.get("watermark", 0))  # type: ignore[call-overload]
    pending = Vector.objects.filter(kind=VectorKind.TICKET, model=model, id__gt=watermark).count()
    return {"indexed": int(info.get("count", 0)), "pending": pending}  # type: ignore[call-overload]
