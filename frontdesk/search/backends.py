"""Ticket full-text search behind one small protocol, with SQLite FTS5 and PostgreSQL.

The index holds one document per ticket: subject, requester, organization, tags and the
text of every message. Handlers rebuild a ticket's document after each change (outbox);
``manage.py search_reindex`` rebuilds everything in batches.
"""

from __future__ import annotations

import re
from typing import Protocol

from django.db import connection, transaction

# How many of the newest matching tickets are ranked by relevance.
RANK_WINDOW = 1000

# Ticket language -> PostgreSQL text search configuration for stemming.
PG_CONFIGS = {"en": "english", "sv": "swedish"}


class SearchBackend(Protocol):
    """What the ticket search needs from a database."""

    def index_tickets(
        self, *, ticket_ids: list[int] | None, id_range: tuple[int, int] | None
    ) -> None:
        """(Re)build the documents of these tickets (or of an id range)."""

    def delete_all(self) -> None:
        """Empty the index (before a full rebuild)."""

    def rebuild_begin(self) -> None:
        """A full rebuild starts: drop what makes bulk writes slow (rebuilt at the end)."""

    def rebuild_end(self) -> None:
        """A full rebuild ended (or failed): put back what ``rebuild_begin`` dropped."""

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        """SQL returning (ticket_id, rank) of every matching ticket, or None for an empty query."""

    def ranked_ids(self, query: str, *, limit: int) -> list[int]:
        """Ids of the best ``limit`` matches among the newest ``RANK_WINDOW``, best first."""


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """Words of a query, lowercased; punctuation and operators are dropped (pure)."""
    return [w.lower() for w in _WORD_RE.findall(query)][:12]


# The last word of a query also matches as a prefix when it is this short or shorter (a word
# still being typed: "inv" finds "invoice"). Longer words match whole words and their stems:
# a prefix scan over a common long word costs more than it finds.
PREFIX_MAX_LEN = 5


def last_is_prefix(terms: list[str]) -> bool:
    return bool(terms) and len(terms[-1]) <= PREFIX_MAX_LEN


# The text that represents one ticket. Messages are concatenated in order; bounded so a
# ticket with a huge mail thread does not make an unbounded document.
_DOCUMENT_SELECT = """
SELECT t.id,
       t.subject,
       COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, '') || ' ' || u.email
         || ' ' || COALESCE(o.name, '') AS people,
       COALESCE((SELECT {agg} FROM tickets_message m WHERE m.ticket_id = t.id), '') AS body,
       t.language
FROM tickets_ticket t
JOIN accounts_user u ON u.id = t.requester_id
LEFT JOIN customers_organization o ON o.id = t.organization_id
"""


def _where(
    ticket_ids: list[int] | None, id_range: tuple[int, int] | None
) -> tuple[str, list[object]]:
    if ticket_ids is not None:
        placeholders = ", ".join(["%s"] * len(ticket_ids))
        return f"WHERE t.id IN ({placeholders})", list(ticket_ids)
    if id_range is not None:
        return "WHERE t.id BETWEEN %s AND %s", [id_range[0], id_range[1]]
    return "", []


class SqliteFtsBackend:
    """SQLite FTS5 with the porter stemmer (English) and diacritic folding."""

    def index_tickets(
        self, *, ticket_ids: list[int] | None = None, id_range: tuple[int, int] | None = None
    ) -> None:
        where, params = _where(ticket_ids, id_range)
        delete_where = where.replace("t.id", "rowid")
        sql = _DOCUMENT_SELECT.format(agg="substr(group_concat(m.body_text, ' '), 1, 200000)")
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM search_ticket_fts {delete_where}", params)  # noqa: S608
            cursor.execute(
                "INSERT INTO search_ticket_fts(rowid, subject, people, body) "  # noqa: S608
                f"SELECT id, subject, people, body FROM ({sql} {where})",
                params,
            )

    def delete_all(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_ticket_fts")

    def rebuild_begin(self) -> None:
        """FTS5 keeps its own index; nothing to drop."""

    def rebuild_end(self) -> None:
        """Nothing was dropped."""

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Each word must match; a short last word may be a prefix (search while typing).
        expression = " ".join(f'"{t}"' for t in terms[:-1])
        star = "*" if last_is_prefix(terms) else ""
        expression = (expression + f' "{terms[-1]}"{star}').strip()
        return (
            "SELECT rowid AS ticket_id, -bm25(search_ticket_fts, 10.0, 2.0, 1.0) AS rank "
            "FROM search_ticket_fts WHERE search_ticket_fts MATCH %s",
            [expression],
        )

    def ranked_ids(self, query: str, *, limit: int) -> list[int]:
        match = self.match_ids_sql(query)
        if match is None:
            return []
        sql, params = match
        # The same contract as PostgreSQL: the best of the newest RANK_WINDOW matches.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ticket_id FROM ({sql} ORDER BY rowid DESC LIMIT %s) m "  # noqa: S608
                "ORDER BY rank DESC, ticket_id DESC LIMIT %s",
                [*params, RANK_WINDOW, limit],
            )
            return [row[0] for row in cursor.fetchall()]


class PostgresBackend:
    """tsvector documents with a GIN index; english, swedish and simple lexemes."""

    def index_tickets(
        self, *, ticket_ids: list[int] | None = None, id_range: tuple[int, int] | None = None
    ) -> None:
        where, params = _where(ticket_ids, id_range)
        sql = _DOCUMENT_SELECT.format(agg="left(string_agg(m.body_text, ' '), 200000)")
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO search_ticket_doc (ticket_id, document)
                SELECT d.id,
                       setweight(to_tsvector('simple', d.subject), 'A')
                       || setweight(to_tsvector(cfg.name, d.subject), 'A')
                       || setweight(to_tsvector('simple', d.people), 'B')
                       || setweight(to_tsvector(cfg.name, d.body), 'C')
                       || setweight(to_tsvector('simple', d.body), 'D')
                FROM ({sql} {where}) d
                CROSS JOIN LATERAL (SELECT (CASE d.language WHEN 'sv' THEN 'swedish'
                                            WHEN 'en' THEN 'english' ELSE 'english' END
                                           )::regconfig AS name) cfg
                ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document
                """,  # noqa: S608
                params,
            )

    def delete_all(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE search_ticket_doc")

    # The GIN index of the documents, as the search migration creates it.
    GIN_INDEX = "search_ticket_doc_gin"

    def rebuild_begin(self) -> None:
        """Writing a million documents into a GIN index costs several times building the
        index once over them: drop it for the rebuild (searches meanwhile scan the table,
        which is being refilled anyway)."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {self.GIN_INDEX}")

    def rebuild_end(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {self.GIN_INDEX} "
                "ON search_ticket_doc USING gin(document)"
            )
            cursor.execute("ANALYZE search_ticket_doc")

    # The first pass looks among the newest this many tickets (by id).
    FIRST_WINDOW = 10_000

    @staticmethod
    def _tsquery(terms: list[str]) -> tuple[str, list[object]]:
        text = " ".join(terms)
        words = [t for t in terms if t.replace("_", "").isalnum()]
        simple = " & ".join(
            f"{t}:*" if i == len(words) - 1 and last_is_prefix(words) else t
            for i, t in enumerate(words)
        )
        sql = "(plainto_tsquery('english', %s) || plainto_tsquery('swedish', %s)"
        params: list[object] = [text, text]
        if simple:
            sql += " || to_tsquery('simple', %s)"
            params.append(simple)
        return sql + ")", params

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        terms = query_terms(query)
        if not terms:
            return None
        q, params = self._tsquery(terms)
        return (
            f"SELECT ticket_id, ts_rank_cd(document, {q}) AS rank "  # noqa: S608
            f"FROM search_ticket_doc WHERE document @@ {q}",
            [*params, *params],
        )

    def ranked_ids(self, query: str, *, limit: int) -> list[int]:
        """Rank only the newest matches: ranking reads every matching document.

        Finding "the newest N matches" by walking the primary key backwards reads a whole
        document per row; one GIN scan over everything reads every matching row. So: look
        among the newest 10,000 tickets first (the GIN bitmap ANDed with an id range: only
        matching rows in that range are read); if that finds fewer than RANK_WINDOW, widen to
        a window sized from the matches found so far, or search everything when the word is
        rare. Plain index scans are off for these statements so the planner cannot pick the
        backwards walk.
        """
        terms = query_terms(query)
        if not terms:
            return []
        q, params = self._tsquery(terms)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT max(ticket_id) FROM search_ticket_doc")
            top = cursor.fetchone()[0]
            if top is None:
                return []
            cursor.execute("SET LOCAL enable_indexscan = off")

            def newest(window: int | None) -> list[int]:
                bounded = window is not None and top - window > 0
                cursor.execute(
                    f"SELECT ticket_id FROM search_ticket_doc WHERE document @@ {q}"  # noqa: S608
                    + (" AND ticket_id > %s" if bounded else "")
                    + " ORDER BY ticket_id DESC LIMIT %s",
                    [*params, *([top - window] if bounded else []), RANK_WINDOW],
                )
                return [row[0] for row in cursor.fetchall()]

            recent = newest(self.FIRST_WINDOW)
            if len(recent) < RANK_WINDOW and top > self.FIRST_WINDOW:
                # Size the second window from the first one's density of matches (twice
                # what should hold RANK_WINDOW); a rare word is cheaper to find everywhere.
                density = len(recent) / self.FIRST_WINDOW
                window = int(2 * RANK_WINDOW / density) if density else top
                recent = newest(window if window < top // 2 else None)
                if len(recent) < RANK_WINDOW and window < top // 2:
                    recent = newest(None)
            if not recent:
                return []
            cursor.execute(
                f"SELECT ticket_id FROM search_ticket_doc CROSS JOIN (SELECT {q} AS q) query "  # noqa: S608
                "WHERE ticket_id = ANY(%s) "
                "ORDER BY ts_rank_cd(document, query.q) DESC, ticket_id DESC LIMIT %s",
                [*params, recent, limit],
            )
            return [row[0] for row in cursor.fetchall()]


def backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteFtsBackend()
