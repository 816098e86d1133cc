"""Help-center search: KB articles and forum threads in one ranked index.

Like ``frontdesk.search`` (tickets), the index sits behind one small protocol with a
SQLite FTS5 backend (porter stemming, diacritics folded) and a PostgreSQL backend
(tsvector with english, swedish and simple lexemes, GIN index). Documents are derived
data keyed by (kind, object id), rebuilt at will; what a reader may see is decided after
ranking by each kind's resolver, so a hidden or internal document never shows.

Other apps add a kind with ``kind_register`` (the forum adds "thread"), and may re-rank every
search with ``ranker_register`` (the AI app fuses semantic similarity in) without this app
importing them. A ranker's new hits are accepted only when they were resolved for the same
reader through ``kind_resolve`` during the search, or pass the kind's resolver again.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from frontdesk.accounts.models import User
from frontdesk.knowledge.markdown import query_terms, snippet
from frontdesk.knowledge.models import Article, Status

# How many ranked matches are checked against what the reader may see.
MATCH_WINDOW = 200
# Ranked documents checked against the reader's rights at a time (at least).
RESOLVE_CHUNK = 20
PG_CONFIGS = {"en": "english", "sv": "swedish"}
# The "rare" tier's candidates: the rarest words, together in at most about this share of
# the help center's documents (PostgreSQL's statistics; unlisted words count as none).
RARE_SHARE = 0.05
# The "most" tier (all words but one) is tried for texts of up to this many words.
MOST_MAX_WORDS = 4
_COMMON_LEXEMES = "kb-search:common-lexemes"
# With rankers registered, the lexical side hands them this many times the page as candidates.
RANKER_WINDOW = 2

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    object_id: int
    language: str
    title: str
    body: str
    tags: str = ""


@dataclass
class Hit:
    kind: str
    object_id: int
    title: str
    url: str
    language: str
    text: str
    label: str = ""
    group_key: str = ""
    snippet: str = ""
    rank: float = 0.0


@dataclass
class SearchResults:
    query: str
    hits: list[Hit] = field(default_factory=list)
    corrected: str = ""


Resolver = Callable[[User | None, list[int], str], dict[int, Hit]]


@dataclass(frozen=True)
class Kind:
    code: int
    resolve: Resolver
    reindex_all: Callable[[], int]
    vocabulary: Callable[[User | None], Iterable[str]]


_kinds: dict[str, Kind] = {}


def kind_register(
    kind: str,
    *,
    code: int,
    resolve: Resolver,
    reindex_all: Callable[[], int],
    vocabulary: Callable[[User | None], Iterable[str]],
) -> None:
    """Add a kind of document (code 0-7 is part of the SQLite row id)."""
    _kinds[kind] = Kind(code, resolve, reindex_all, vocabulary)


def kind_resolve(
    user: User | None, kind: str, ids: list[int], category: str = ""
) -> dict[int, Hit]:
    """The hits of ``ids`` this reader may read (the kind's own resolver); ``{}`` for a kind
    nobody registered. Rankers resolve the documents they add through this."""
    registered = _kinds.get(kind)
    if registered is None or not ids:
        return {}
    hits = registered.resolve(user, ids, category)
    vouched = _vouched.get()
    if vouched is not None and vouched.reader is user and vouched.category == category:
        vouched.hits.update(id(hit) for hit in hits.values())
    return hits


# --- rankers ---------------------------------------------------------------------------------

Ranker = Callable[..., list[Hit]]
"""``fn(user, query, hits, *, kinds, category, reader_language, limit) -> list[Hit]``: the
hits re-ordered, some dropped or added (added ones resolved through ``kind_resolve``)."""

_rankers: list[Ranker] = []
_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("kb_rankers_paused", default=False)


@dataclass
class _Vouched:
    """Hits ``kind_resolve`` returned during one search, for its reader and category."""

    reader: User | None
    category: str
    hits: set[int] = field(default_factory=set)


_vouched: contextvars.ContextVar[_Vouched | None] = contextvars.ContextVar(
    "kb_rankers_vouched", default=None
)


def ranker_register(fn: Ranker) -> None:
    """Re-rank every help-center search with ``fn`` (registering it again changes nothing)."""
    if fn not in _rankers:
        _rankers.append(fn)


def ranker_unregister(fn: Ranker) -> None:
    """Stop ranking with ``fn`` (tests, or an app switching its ranking off)."""
    if fn in _rankers:
        _rankers.remove(fn)


@contextlib.contextmanager
def rankers_paused() -> Iterator[None]:
    """Searches inside this block are purely lexical (in this thread or task only)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _rankers_active() -> list[Ranker]:
    return [] if _paused.get() else list(_rankers)


def _ranked(
    user: User | None,
    query: str,
    hits: list[Hit],
    *,
    kinds: list[str],
    category: str,
    reader_language: str,
    limit: int,
    language: str = "",
) -> list[Hit]:
    """The lexical hits through every registered ranker, cut to ``limit``, one per article.

    A ranker may add hits; one it did not get from ``kind_resolve`` for this reader and
    category during this search is resolved again, so a ranker can never put an article in
    front of a reader who may not read it (a ranker bug, a cached id, another reader's list).
    """
    rankers = _rankers_active()
    if not rankers:
        return hits[:limit]
    lexical = {id(hit) for hit in hits}
    vouched = _Vouched(reader=user, category=category)
    token = _vouched.set(vouched)
    try:
        for fn in rankers:
            try:
                ranked = fn(
                    user,
                    query,
                    hits,
                    kinds=kinds or ["article", "thread"],
                    category=category,
                    reader_language=reader_language,
                    limit=limit,
                )
            except Exception:
                # A ranker (semantic model, vector store) failing must not take the help
                # center's search down: the ranking so far stands.
                logger.exception("help-center ranker %r failed; ranking without it", fn)
                continue
            hits = _checked(user, ranked, trusted=lexical | vouched.hits, category=category)
            lexical = {id(hit) for hit in hits}
            vouched.hits.clear()
    finally:
        _vouched.reset(token)
    out: list[Hit] = []
    groups: set[str] = set()
    for hit in hits:
        if (kinds and hit.kind not in kinds) or (language and hit.language != language):
            continue  # the reader's filters hold for a ranker's hits too
        if hit.group_key and hit.group_key in groups:
            continue  # one result per article, whatever a ranker returned
        if hit.group_key:
            groups.add(hit.group_key)
        out.append(hit)
        if len(out) >= limit:
            break
    return out


def _checked(user: User | None, hits: list[Hit], *, trusted: set[int], category: str) -> list[Hit]:
    """``hits`` without any this reader may not read: hits not in ``trusted`` (the lexical
    ones and those resolved for this reader) are resolved again and replaced by the result."""
    unknown: dict[str, list[int]] = {}
    for hit in hits:
        if id(hit) not in trusted:
            unknown.setdefault(hit.kind, []).append(hit.object_id)
    if not unknown:
        return list(hits)
    resolved: dict[tuple[str, int], Hit] = {}
    for kind, ids in unknown.items():
        registered = _kinds.get(kind)
        if registered is not None:
            for object_id, hit in registered.resolve(user, ids, category).items():
                resolved[(kind, object_id)] = hit
    out = []
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        key = (hit.kind, hit.object_id)
        if id(hit) not in trusted:
            fresh = resolved.get(key)
            if fresh is None:
                continue  # not for this reader (or not a document at all)
            fresh.rank = hit.rank
            hit = fresh
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


class KbSearchBackend(Protocol):
    """What help-center search needs from a database."""

    def docs_upsert(self, docs: list[SearchDoc]) -> None:
        """Add or replace these documents."""

    def docs_delete(self, kind: str, object_ids: list[int]) -> None:
        """Remove documents (unpublished, hidden, deleted)."""

    def delete_all(self) -> None:
        """Empty the index (before a full rebuild)."""

    tiers: tuple[str, ...]
    """Which ``require`` values are worth trying, narrowest first, ending with "any"."""

    def match(
        self,
        terms: list[str],
        *,
        kinds: list[str],
        language: str,
        limit: int,
        require: str = "any",
    ) -> list[tuple[str, int, float]]:
        """(kind, object_id, rank) of matching documents, best first.

        ``require``: "any" (a document holding any term), "every" (every term), "most"
        (all terms but one at least), "rare" (any of the terms few documents hold),
        "every_in_title" or "any_in_title" (every or any term in the title or tags).
        """


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', "") + '"'


class SqliteFtsBackend:
    """FTS5 with the porter stemmer; bm25 weighs title over tags over body."""

    def docs_upsert(self, docs: list[SearchDoc]) -> None:
        with connection.cursor() as cursor:
            for doc in docs:
                rowid = doc.object_id * 8 + _kinds[doc.kind].code
                cursor.execute("DELETE FROM knowledge_search_fts WHERE rowid = %s", [rowid])
                cursor.execute(
                    "INSERT INTO knowledge_search_fts(rowid, title, tags, body, kind, object_id, "
                    "language) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [rowid, doc.title, doc.tags, doc.body, doc.kind, doc.object_id, doc.language],
                )

    def docs_delete(self, kind: str, object_ids: list[int]) -> None:
        code = _kinds[kind].code
        with connection.cursor() as cursor:
            for object_id in object_ids:
                cursor.execute(
                    "DELETE FROM knowledge_search_fts WHERE rowid = %s", [object_id * 8 + code]
                )

    def delete_all(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_search_fts")

    # bm25 over FTS5 runs in C and help centers on SQLite are small: always rank them all.
    tiers = ("any",)

    def match(
        self,
        terms: list[str],
        *,
        kinds: list[str],
        language: str,
        limit: int,
        require: str = "any",
    ) -> list[tuple[str, int, float]]:
        # Any word may match (questions are long); bm25 ranks documents matching more of
        # them, and rarer ones, first. The last word may be unfinished (typing).
        parts = [_fts_phrase(t) for t in terms[:-1]] + [_fts_phrase(terms[-1]) + "*"]
        expression = " OR ".join(parts)
        where, params = "knowledge_search_fts MATCH %s", [expression]
        if kinds:
            where += f" AND kind IN ({', '.join(['%s'] * len(kinds))})"
            params += kinds
        if language:
            where += " AND language = %s"
            params.append(language)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT kind, object_id, -bm25(knowledge_search_fts, 8.0, 4.0, 1.0) AS rank "  # noqa: S608
                f"FROM knowledge_search_fts WHERE {where} ORDER BY rank DESC LIMIT {int(limit)}",
                params,
            )
            return [(row[0], int(row[1]), float(row[2])) for row in cursor.fetchall()]


class PostgresBackend:
    """tsvector documents: title (A), tags (B), body (C stemmed, D simple)."""

    def docs_upsert(self, docs: list[SearchDoc]) -> None:
        rows = []
        for d in docs:
            config = PG_CONFIGS.get(d.language, "english")
            rows.append(
                [d.kind, d.object_id, d.language, d.title, d.title, d.tags, d.body, d.body, config]
            )
        with connection.cursor() as cursor:
            cursor.executemany(
                """
                INSERT INTO knowledge_search_doc (kind, object_id, language, document)
                SELECT %s, %s, %s,
                       setweight(to_tsvector(cfg.name, %s), 'A')
                       || setweight(to_tsvector('simple', %s), 'A')
                       || setweight(to_tsvector('simple', %s), 'B')
                       || setweight(to_tsvector(cfg.name, %s), 'C')
                       || setweight(to_tsvector('simple', %s), 'D')
                FROM (SELECT %s::regconfig AS name) cfg
                ON CONFLICT (kind, object_id)
                DO UPDATE SET language = EXCLUDED.language, document = EXCLUDED.document
                """,
                rows,
            )

    def docs_delete(self, kind: str, object_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM knowledge_search_doc WHERE kind = %s AND object_id = ANY(%s)",
                [kind, list(object_ids)],
            )

    def delete_all(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE knowledge_search_doc")

    # Results are gathered in tiers, narrowest first, and only the first tier that fills
    # the page is ranked, so a query with a common word ("vpn", "not working") does not
    # score thousands of documents. Documents with every word in the title (or tags), or
    # anywhere, rank first anyway (coverage outweighs ts_rank). The "rare" tier is the
    # one trade: for a long text it ranks only documents holding one of its rarer words,
    # so a document sharing just the common words with it can be left out.
    tiers = ("every_in_title", "every", "rare", "most", "any_in_title", "any")

    def match(
        self,
        terms: list[str],
        *,
        kinds: list[str],
        language: str,
        limit: int,
        require: str = "any",
    ) -> list[tuple[str, int, float]]:
        words = [t for t in terms if t.replace("_", "").isalnum()]
        if not words:
            return []
        words = words[:-1] + [words[-1] + ":*"]
        # Title and tags are the A and B lexemes; an expression index holds just those
        # (migration 0003), so a title tier never reads documents that merely mention the
        # words in their text.
        in_title = "ts_filter(document, '{a,b}') @@ q"
        every, any_ = " & ".join(words), " | ".join(words)
        if require == "rare":
            # Candidates hold at least one of the words few documents hold; the ranking
            # still counts every word. A long text (a request being typed) then ranks a
            # few hundred documents instead of all that share a common word.
            common = self._common_lexemes()
            # A word the statistics do not list is in fewer documents than they track: it
            # costs nothing. Then the rarest listed words, at least one, within the budget.
            share = {w: common.get(w.removesuffix(":*"), 0.0) for w in words}
            rare, total = [], 0.0
            for word in sorted(words, key=share.__getitem__):
                if total and total + share[word] > RARE_SHARE:
                    break
                rare.append(word)
                total += share[word]
            if len(rare) == len(words):
                return []  # nothing to narrow by: the "any" tier says the same
            any_ = " | ".join(rare)
        # All words but one: the documents that come right after those holding every word.
        most = " | ".join(
            "(" + " & ".join(w for j, w in enumerate(words) if j != i) + ")"
            for i in range(len(words))
        )
        text, where = {
            "every_in_title": (every, in_title),
            "every": (every, ""),
            "most": (most, ""),
            "rare": (any_, ""),
            "any_in_title": (any_, in_title),
            "any": (any_, ""),
        }[require]
        return self._match(
            words,
            text,
            counted=require not in ("every", "every_in_title") and len(words) > 1,
            kinds=kinds,
            language=language,
            limit=limit,
            where=where,
        )

    @staticmethod
    def _common_lexemes() -> dict[str, float]:
        """Lexemes in many documents and the share of documents holding each: PostgreSQL's
        own statistics of the index (``ANALYZE``), cached for a few minutes."""
        found = cache.get(_COMMON_LEXEMES)
        if found is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT u.lexeme, u.share
                    FROM pg_stats s,
                         unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
                           AS u(lexeme, share)
                    WHERE s.tablename = 'knowledge_search_doc' AND s.attname = 'document'
                      AND u.lexeme IS NOT NULL AND u.share >= %s
                    """,
                    [RARE_SHARE / 20],
                )
                found = {lexeme: float(share) for lexeme, share in cursor.fetchall()}
            cache.set(_COMMON_LEXEMES, found, timeout=600)
        return found

    @staticmethod
    def _match(
        words: list[str],
        text: str,
        *,
        counted: bool,
        kinds: list[str],
        language: str,
        limit: int,
        where: str = "",
    ) -> list[tuple[str, int, float]]:
        # Each word's query is parsed once (in the one-row subquery), not once per document.
        per_word = ", ".join(
            f"to_tsquery('english', %s) || to_tsquery('swedish', %s) "
            f"|| to_tsquery('simple', %s) AS w{n}"
            for n in range(len(words))
        )
        # ts_rank has no notion of how rare a word is; counting how many of the words a
        # document holds (each in any configuration) keeps "more of my words" on top.
        coverage = " + ".join(f"(document @@ w{n})::int" for n in range(len(words)))
        if not counted:  # every match holds every word
            coverage = str(len(words))
        params: list[object] = [text, text, text]
        for word in words:
            params += [word, word, word]
        where = where or "document @@ q"
        if kinds:
            where += " AND kind = ANY(%s)"
            params.append(kinds)
        if language:
            where += " AND language = %s"
            params.append(language)
        sql = f"""
            SELECT kind, object_id,
                   ({coverage}) * 0.5
                   + ts_rank('{{0.05, 0.2, 0.5, 1.0}}', document, q, 1) AS rank
            FROM knowledge_search_doc, (
                SELECT to_tsquery('english', %s) || to_tsquery('swedish', %s)
                       || to_tsquery('simple', %s) AS q, {per_word}
            ) query
            WHERE {where}
            ORDER BY rank DESC, object_id LIMIT {int(limit)}
        """  # noqa: S608 - built from constants; every value is a parameter
        with connection.cursor() as cursor:
            if _statements_in_one_go():
                # PostgreSQL guesses how many documents hold a word it has no statistics
                # for (or a word prefix) far too high and then reads every document,
                # testing each (22-40 ms at 10,000 documents, for a search that finds
                # few or none); through the GIN index it takes well under a millisecond.
                # The setting holds for this one query (reset in the same round trip).
                cursor.execute(
                    f"SET LOCAL enable_seqscan = off; {sql}; RESET enable_seqscan", params
                )
                cursor.nextset()
            else:
                cursor.execute(sql, params)
            return [(row[0], int(row[1]), float(row[2])) for row in cursor.fetchall()]


def _statements_in_one_go() -> bool:
    """Whether one execute may hold several statements (psycopg's client-side binding,
    Django's default; not with the ``server_side_binding`` option)."""
    return not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")


def backend() -> KbSearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteFtsBackend()


# --- articles as documents -------------------------------------------------------------------


def _article_doc(article: Article) -> SearchDoc:
    return SearchDoc(
        kind="article",
        object_id=article.pk,
        language=article.language,
        title=article.title,
        body=article.body_text,
        tags=" ".join(t.name.replace("-", " ") for t in article.group.tags.all()),
    )


def article_index(article_id: int) -> None:
    """Index a published (or scheduled) article; remove anything else from the index."""
    article = (
        Article.objects.select_related("group")
        .prefetch_related("group__tags")
        .filter(pk=article_id)
    ).first()
    with transaction.atomic():
        if article is None or article.status != Status.PUBLISHED:
            backend().docs_delete("article", [article_id])
        else:
            backend().docs_upsert([_article_doc(article)])
    vocabulary_changed()


def _articles_reindex_all() -> int:
    articles = Article.objects.filter(status=Status.PUBLISHED).select_related("group")
    articles = articles.prefetch_related("group__tags").order_by("pk")
    docs = [_article_doc(a) for a in articles.iterator(chunk_size=500)]
    for start in range(0, len(docs), 500):
        backend().docs_upsert(docs[start : start + 500])
    return len(docs)


def _articles_resolve(user: User | None, ids: list[int], category: str) -> dict[int, Hit]:
    from frontdesk.knowledge.selectors import article_list_visible

    articles = article_list_visible(user).filter(pk__in=ids)
    if category:
        articles = articles.filter(group__section__category__slug=category)
    hits = {}
    articles = articles.select_related("group__section").only(
        "pk", "language", "title", "slug", "body_text", "group_id",
        "group__section__slug", "group__section__name",
    )  # fmt: skip
    for a in articles:
        hits[a.pk] = Hit(
            kind="article",
            object_id=a.pk,
            title=a.title,
            url=reverse("knowledge:article", args=[a.language, a.group.section.slug, a.slug]),
            language=a.language,
            text=a.body_text,
            label=a.group.section.name,
            group_key=f"article-group:{a.group_id}",
        )
    return hits


def _articles_vocabulary(user: User | None) -> Iterable[str]:
    from frontdesk.knowledge.selectors import article_list_visible

    return article_list_visible(user).values_list("title", flat=True)[:5000]


kind_register(
    "article",
    code=0,
    resolve=_articles_resolve,
    reindex_all=_articles_reindex_all,
    vocabulary=_articles_vocabulary,
)


def kb_reindex() -> int:
    """Rebuild the whole help-center index (every registered kind)."""
    with transaction.atomic():
        backend().delete_all()
        count = sum(kind.reindex_all() for kind in _kinds.values())
    vocabulary_changed()
    return count


# --- searching -------------------------------------------------------------------------------


def _corrected(terms: list[str], words: list[str]) -> list[str]:
    """Each unknown word replaced by the closest known one, when one is close (pure)."""
    known = set(words)
    out = []
    for term in terms:
        if term in known or len(term) < 3:
            out.append(term)
            continue
        close = difflib.get_close_matches(term, words, n=1, cutoff=0.75)
        out.append(close[0] if close else term)
    return out


# Title words for spelling correction, per audience, kept briefly: building them reads
# thousands of titles, and a minute-old list only changes which spelling is tried (the
# corrected search itself goes through the resolvers like any other).
VOCABULARY_SECONDS = 60
_VOCABULARY_GENERATION = "kb-search:vocabulary-generation"


def _audience_key(user: User | None) -> str:
    if user is None or not user.is_authenticated:
        return "anon"
    if user.is_agent:
        return "agents"
    return f"org-{user.organization_id or 0}"


def vocabulary_changed() -> None:
    """The index changed: lists built before now are not reused (in this cache)."""
    try:
        cache.incr(_VOCABULARY_GENERATION)
    except ValueError:
        cache.set(_VOCABULARY_GENERATION, 1, timeout=None)


def _vocabulary(user: User | None, kinds: list[str]) -> list[str]:
    generation = cache.get(_VOCABULARY_GENERATION, 0)
    key = f"kb-search:vocabulary:{generation}:{_audience_key(user)}:{','.join(sorted(kinds))}"
    words = cache.get(key)
    if words is None:
        found: set[str] = set()
        for kind in kinds:
            for title in _kinds[kind].vocabulary(user):
                found.update(query_terms(title))
        words = sorted(found)
        cache.set(key, words, timeout=VOCABULARY_SECONDS)
    return words


def _run(
    user: User | None,
    terms: list[str],
    *,
    kinds: list[str],
    language: str,
    category: str,
    limit: int,
    reader_language: str,
) -> list[Hit]:
    search = backend()
    # With one word, "every" is "any" (and so for the title tiers); with two, "most" is.
    skip = {1: {"every", "most", "rare", "any_in_title"}, 2: {"most"}}.get(len(terms), set())
    if len(terms) > MOST_MAX_WORDS:
        # "All words but one" of a long text (a request being typed) almost never matches,
        # and asking costs as much as ranking every document holding any of them.
        skip = skip | {"most"}
    tiers = [t for t in search.tiers if t not in skip]
    previous: list[tuple[str, int, float]] = []
    for require in tiers:
        ranked = search.match(
            terms,
            kinds=kinds or list(_kinds),
            language=language,
            limit=MATCH_WINDOW,
            require=require,
        )
        if require != "any" and (len(ranked) < limit or ranked == previous):
            continue  # too few to fill the page (or the same as before): try a wider tier
        previous = ranked
        hits = _readable(
            user, ranked, category=category, limit=limit, reader_language=reader_language
        )
        # A narrow tier whose documents are mostly not for this reader (or in another
        # category) leaves the page short: widen.
        if len(hits) >= limit or require == "any":
            return hits
    return []


def _readable(
    user: User | None,
    ranked: list[tuple[str, int, float]],
    *,
    category: str,
    limit: int,
    reader_language: str,
) -> list[Hit]:
    """The best ``limit`` ranked documents this reader may see, one per article.

    Resolved a chunk at a time, best first: most searches fill the page from the first
    chunk, so the rest of the window is never loaded.
    """
    hits: list[Hit] = []
    seen_groups: dict[str, int] = {}
    chunk = max(limit * 2, RESOLVE_CHUNK)
    for start in range(0, len(ranked), chunk):
        part = ranked[start : start + chunk]
        by_kind: dict[str, list[int]] = {}
        for kind, object_id, _rank in part:
            by_kind.setdefault(kind, []).append(object_id)
        resolved: dict[tuple[str, int], Hit] = {}
        for kind, ids in by_kind.items():
            if kind in _kinds:
                for object_id, hit in _kinds[kind].resolve(user, ids, category).items():
                    resolved[(kind, object_id)] = hit
        for kind, object_id, rank in part:
            hit = resolved.get((kind, object_id))
            if hit is None:
                continue
            hit.rank = rank
            # One result per article: the reader's language wins over another translation.
            if hit.group_key and hit.group_key in seen_groups:
                index = seen_groups[hit.group_key]
                if hit.language == reader_language and hits[index].language != reader_language:
                    hits[index] = hit
                continue
            if hit.group_key:
                seen_groups[hit.group_key] = len(hits)
            hits.append(hit)
            if len(hits) >= limit:
                return hits
    return hits


def kb_search(
    user: User | None,
    query: str,
    *,
    kinds: list[str] | None = None,
    language: str = "",
    category: str = "",
    reader_language: str = "en",
    limit: int = 20,
    record_failure: bool = True,
) -> SearchResults:
    """Ranked, readable results with highlighted snippets; a near spelling when nothing
    matches a short query; searches that find nothing are recorded for the report."""
    from frontdesk.knowledge.services import search_failed_record

    results = SearchResults(query=query)
    terms = query_terms(query)
    if not terms:
        return results
    options = {
        "kinds": kinds or [],
        "language": language,
        "category": category,
        "limit": limit,
        "reader_language": reader_language,
    }
    rank_options = {
        "kinds": kinds or [],
        "language": language,
        "category": category,
        "reader_language": reader_language,
        "limit": limit,
    }
    # Rankers fuse other scores in; they get a wider lexical window to choose from.
    window = limit * RANKER_WINDOW if _rankers_active() else limit
    hits = _run(user, terms, **{**options, "limit": window})
    hits = _ranked(user, query, hits, **rank_options)
    if not hits and len(terms) <= 3:
        better = _corrected(terms, _vocabulary(user, options["kinds"] or list(_kinds)))
        if better != terms:
            hits = _run(user, better, **{**options, "limit": window})
            hits = _ranked(user, " ".join(better), hits, **rank_options)
            if hits:
                results.corrected = " ".join(better)
                terms = better
    if not hits and record_failure:
        search_failed_record(query=query, language=reader_language)
    for hit in hits:  # after ranking: a ranker's hits get one too
        hit.snippet = snippet(hit.text, terms)
    results.hits = hits
    return results
