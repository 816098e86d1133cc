"""The KB answer bot: the best section of the best article for a question, or a decline.

Semantic mode ranks articles by the fusion of the lexical search and the similarity of the
question to each article and each of its sections; the answer is the best-matching section
of the top article with two alternatives. Its confidence is that similarity; below the
admin's threshold the bot declines and offers a person instead. Lexical mode (no model)
ranks with the help-center search and takes the share of the question's words the article
holds as its confidence. Only articles the asker may read are ever considered.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from frontdesk.ai import embeddings
from frontdesk.ai.hybrid import SEMANTIC_WINDOW, _resolve, semantic_scores
from frontdesk.ai.models import AiSettings, VectorKind
from frontdesk.ai.store import matrix_for
from frontdesk.ai.texts import passages_split

if TYPE_CHECKING:
    from frontdesk.accounts.models import User

ALTERNATIVES = 2
# Measured on the GNOME help center: any lexical bonus above 0 moved right answers down.
LEXICAL_BONUS = float(os.environ.get("FRONTDESK_AI_LEXICAL_BONUS", "0"))


def _lexical_bonus(rank: int | None) -> float:
    return 0.0 if rank is None else LEXICAL_BONUS / (1 + rank)


@dataclass
class Offer:
    article_id: int
    title: str
    url: str
    score: float
    heading: str = ""
    passage: str = ""


@dataclass
class BotResult:
    question: str
    language: str
    answered: bool
    confidence: float
    mode: str
    offers: list[Offer] = field(default_factory=list)

    @property
    def best(self) -> Offer | None:
        return self.offers[0] if self.offers else None

    @property
    def alternatives(self) -> list[Offer]:
        return self.offers[1:]

    def offered(self) -> list[dict[str, object]]:
        return [asdict(o) for o in self.offers]


def threshold() -> float:
    row = AiSettings.objects.filter(pk=1).values_list("bot_threshold", flat=True).first()
    return float(row) if row is not None else AiSettings._meta.get_field("bot_threshold").default


def _lexical(user: User | None, question: str, language: str) -> list:  # type: ignore[type-arg]
    """The word-index ranking alone: the bot fuses meaning itself (paused, the search's
    registered ranker would embed the question a second time)."""
    from frontdesk.knowledge.search import kb_search, rankers_paused

    with rankers_paused():
        return kb_search(
            user,
            question,
            kinds=["article"],
            reader_language=language or "en",
            limit=10,
            record_failure=False,
        ).hits


def bot_answer(
    user: User | None, question: str, *, language: str = "en", min_confidence: float | None = None
) -> BotResult:
    """Rank readable articles for ``question`` and pick the passage to show (no writes)."""
    question = " ".join(question.split())[:1000]
    cutoff = threshold() if min_confidence is None else min_confidence
    backend = embeddings.backend()
    if backend is None or not embeddings.covers(language):
        return _answer_lexical(user, question, language, cutoff)
    vector = backend.embed([question])[0]
    semantic = semantic_scores(vector, kinds=["article"], model=backend.name)[:SEMANTIC_WINDOW]
    lexical = _lexical(user, question, language)
    hits = {h.object_id: h for h in lexical}
    hits.update(
        _resolve(user, "article", [s.object_id for s in semantic if s.object_id not in hits], "")
    )
    sims = {s.object_id: s for s in semantic if s.object_id in hits}
    # The semantic similarity leads (measured: it alone puts the right article first far
    # more often than the word index); a lexical match adds a small bonus by its rank.
    lexical_rank = {h.object_id: n for n, h in enumerate(lexical)}
    ranked = sorted(
        sims.values(),
        key=lambda s: -(s.similarity + _lexical_bonus(lexical_rank.get(s.object_id))),
    )
    fused = [("article", s.object_id, s.similarity) for s in ranked[:12]]
    fused += [("article", h.object_id, 0.0) for h in lexical if h.object_id not in sims][
        : max(0, 12 - len(fused))
    ]
    passages = matrix_for(VectorKind.PASSAGE, backend.name)
    passage_sims = passages.scores(vector) if len(passages) else None
    offers: list[Offer] = []
    groups: set[str] = set()
    for _kind, article_id, _score in fused:
        hit = hits[article_id]
        if hit.group_key in groups:
            continue
        groups.add(hit.group_key)
        scored = sims.get(article_id)
        offer = Offer(
            article_id=article_id,
            title=hit.title,
            url=hit.url,
            score=round(scored.similarity if scored else 0.0, 4),
        )
        if passage_sims is not None:
            rows = (passages.object_ids == article_id).nonzero()[0]
            if len(rows):
                row = int(rows[passage_sims[rows].argmax()])
                offer.heading, offer.passage = passages.headings[row], passages.texts[row]
        if not offer.passage:
            offer.heading, offer.passage = _passage_by_words(hit.title, hit.text, question)
        offers.append(offer)
        if len(offers) > ALTERNATIVES:
            break
    confidence = offers[0].score if offers else 0.0
    return BotResult(
        question=question,
        language=language,
        answered=bool(offers) and confidence >= cutoff,
        confidence=round(confidence, 4),
        mode=embeddings.SEMANTIC,
        offers=offers,
    )


def _passage_by_words(title: str, body: str, question: str) -> tuple[str, str]:
    from frontdesk.knowledge.markdown import query_terms

    terms = set(query_terms(question))
    parts = passages_split(title, body)
    if not parts:
        return "", body[:600]
    best = max(parts, key=lambda p: len(terms & set(query_terms(p.text))))
    return best.heading, best.text


def _answer_lexical(user: User | None, question: str, language: str, cutoff: float) -> BotResult:
    """No model (or a language it does not cover): the search ranking and word coverage."""
    from frontdesk.knowledge.markdown import query_terms

    terms = {t for t in query_terms(question) if len(t) > 2}
    offers = []
    for hit in _lexical(user, question, language)[: ALTERNATIVES + 1]:
        words = set(query_terms(hit.title + " " + hit.text))
        # Prefix match: the stemmer is not here, "printing" should count for "print".
        held = sum(1 for t in terms if t in words or any(w.startswith(t[:5]) for w in words))
        heading, passage = _passage_by_words(hit.title, hit.text, question)
        offers.append(
            Offer(
                article_id=hit.object_id,
                title=hit.title,
                url=hit.url,
                score=round(held / len(terms), 4) if terms else 0.0,
                heading=heading,
                passage=passage,
            )
        )
    confidence = offers[0].score if offers else 0.0
    return BotResult(
        question=question,
        language=language,
        answered=bool(offers) and confidence >= cutoff,
        confidence=confidence,
        mode=embeddings.LEXICAL,
        offers=offers,
    )
