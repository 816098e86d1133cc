"""Hybrid retrieval for the help center: the lexical ranking fused with semantic similarity.

``fuse_hits`` is registered as the help-center search's ranker (``knowledge.search.
ranker_register``, in ``AiConfig.ready``), so every ``kb_search`` fuses: the portal's search,
the suggestions shown while a customer writes a request, the composer's article picker. The
lexical side is the search's own ranking (FTS5 / tsvector, already filtered to what the
reader may see). The semantic side scores every article (its whole text and its best
section) and forum thread against the question; the ones it adds are resolved through
``kind_resolve`` (each kind's own visibility rules, and the search checks them again), so an
article the reader may not see never comes back. The score is the similarity plus a small
bonus by lexical rank. The semantic side applies only to text in a language the model
covers (English for all-MiniLM); other languages get the lexical ranking unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from frontdesk.ai import embeddings
from frontdesk.ai.models import VectorKind
from frontdesk.ai.store import matrix_for

if TYPE_CHECKING:
    import numpy as np

    from frontdesk.accounts.models import User
    from frontdesk.knowledge.search import Hit

# A lexical match adds at most this much to the cosine similarity (first hit; less by rank).
# Semantic similarity leads: on the GNOME help center it alone put the right article first
# for every question of our set, where word matching did for 64%. Rank fusion (RRF) was
# tried first and lost to this whenever few documents matched (rank ignores how close).
LEXICAL_WEIGHT = 0.1
SEMANTIC_WINDOW = 40
# A document no word of the query matched joins the results only this similar to it: a
# search (or a suggestion while typing) must not list the whole help center.
SEMANTIC_FLOOR = 0.3


@dataclass
class Scored:
    kind: str
    object_id: int
    similarity: float
    part: int = -1  # the best passage of an article (-1: the whole text)


def semantic_scores(
    query: np.ndarray, *, kinds: list[str], model: str, language: str = ""
) -> list[Scored]:
    """Every article (best of its whole text and its sections) and thread, best first."""
    import numpy as np

    best: dict[tuple[str, int], Scored] = {}
    wanted = [VectorKind.ARTICLE, VectorKind.PASSAGE] if "article" in kinds else []
    if "thread" in kinds:
        wanted.append(VectorKind.THREAD)
    for vector_kind in wanted:
        matrix = matrix_for(vector_kind, model)
        if not len(matrix):
            continue
        sims = matrix.scores(query)
        kind = "thread" if vector_kind == VectorKind.THREAD else "article"
        for row in np.argsort(-sims)[: SEMANTIC_WINDOW * 8]:
            if language and matrix.languages[row] and matrix.languages[row] != language:
                continue
            key = (kind, int(matrix.object_ids[row]))
            sim = float(sims[row])
            part = matrix.parts[row] if vector_kind == VectorKind.PASSAGE else -1
            if key not in best or sim > best[key].similarity:
                best[key] = Scored(kind, key[1], sim, part)
    return sorted(best.values(), key=lambda s: -s.similarity)


def _resolve(user: User | None, kind: str, ids: list[int], category: str) -> dict[int, Hit]:
    """What this reader may read of ``ids``: the help-center search's own resolver."""
    from frontdesk.knowledge.search import kind_resolve

    return kind_resolve(user, kind, ids, category)


def fuse(
    lexical: list[tuple[str, int]], semantic: list[tuple[tuple[str, int], float]], *, limit: int
) -> list[tuple[str, int, float]]:
    """Fuse a lexical ranking of (kind, id) with semantic similarities, best first (pure):
    similarity plus a lexical bonus that halves, thirds... down the lexical ranking."""
    scores: dict[tuple[str, int], float] = dict(semantic)
    for rank, key in enumerate(lexical):
        scores[key] = scores.get(key, 0.0) + LEXICAL_WEIGHT / (rank + 1)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return [(kind, object_id, score) for (kind, object_id), score in ranked]


def fuse_hits(
    user: User | None,
    query: str,
    hits: list[Hit],
    *,
    kinds: list[str] | None = None,
    category: str = "",
    reader_language: str = "en",
    limit: int = 20,
) -> list[Hit]:
    """Re-rank lexical help-center hits with the semantic score, adding semantic-only ones.

    ``hits`` are ``kb_search`` results (already readable for ``user``). In lexical mode, or
    for a language the model does not cover, they come back unchanged.
    """
    kinds = kinds or ["article", "thread"]
    backend = embeddings.backend()
    if backend is None or not query.strip() or not embeddings.covers(reader_language):
        return hits[:limit]
    vector = backend.embed([query])[0]
    semantic = semantic_scores(vector, kinds=kinds, model=backend.name)[:SEMANTIC_WINDOW]
    known = {(h.kind, h.object_id): h for h in hits}
    missing: dict[str, list[int]] = {}
    for s in semantic:
        if (s.kind, s.object_id) not in known and s.similarity >= SEMANTIC_FLOOR:
            missing.setdefault(s.kind, []).append(s.object_id)
    for kind, ids in missing.items():
        for object_id, hit in _resolve(user, kind, ids, category).items():
            known[(kind, object_id)] = hit
    semantic_keys = [
        ((s.kind, s.object_id), s.similarity) for s in semantic if (s.kind, s.object_id) in known
    ]
    fused = fuse([(h.kind, h.object_id) for h in hits], semantic_keys, limit=limit * 2)
    out: list[Hit] = []
    groups: set[str] = set()
    for kind, object_id, score in fused:
        hit = known[(kind, object_id)]
        if hit.group_key and hit.group_key in groups:
            continue  # one result per article, as the lexical search does
        if hit.group_key:
            groups.add(hit.group_key)
        hit.rank = score
        out.append(hit)
        if len(out) >= limit:
            break
    return out


def hybrid_search(
    user: User | None,
    query: str,
    *,
    kinds: list[str] | None = None,
    category: str = "",
    reader_language: str = "en",
    limit: int = 8,
) -> list[Hit]:
    """Help-center search ranked by the fusion: ``kb_search`` once, whose registered ranker
    (``fuse_hits``) fuses; nothing is fused twice, and nothing fuses inside
    ``rankers_paused()``."""
    from frontdesk.knowledge.search import kb_search

    return kb_search(
        user,
        query,
        kinds=kinds,
        category=category,
        reader_language=reader_language,
        limit=limit,
        record_failure=False,
    ).hits
