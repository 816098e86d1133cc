"""Ticket full-text search behind one small protocol, with SQLite FTS5 and PostgreSQL.

The index holds one document per ticket: subject, requester, organization, tags and the
text of every message. Handlers rebuild a ticket's document after each change (outbox);
``manage.py search_reindex`` rebuilds everything in batches.
"""

from __future__ import annotations

import re
from typing import Protocol

from django.db import connection

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

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        """SQL returning (ticket_id, rank) of matching tickets, or None for an empty query."""


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """Words of a query, lowercased; punctuation and operators are dropped (pure)."""
    return [w.lower() for w in _WORD_RE.findall(query)][:12]


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

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Each word must match; the last may be a prefix (search while typing).
        expression = " ".join(f'"{t}"' for t in terms[:-1])
        expression = (expression + f' "{terms[-1]}"*').strip()
        return (
            "SELECT rowid AS ticket_id, -bm25(search_ticket_fts, 10.0, 2.0, 1.0) AS rank "
            "FROM search_ticket_fts WHERE search_ticket_fts MATCH %s",
            [expression],
        )


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

    def match_ids_sql(self, query: str) -> tuple[str, list[object]] | None:
        terms = query_terms(query)
        if not terms:
            return None
        text = " ".join(terms)
        prefix = " & ".join(f"{t}:*" for t in terms if t.replace("_", "").isalnum())
        # Rank only the newest matches: ranking reads every matching document, and a
        # common word matches tens of thousands. "+ 0" stops PostgreSQL from walking the
        # primary key backwards through every non-matching row.
        return (
            f"""
            WITH query AS (
                SELECT plainto_tsquery('english', %s) || plainto_tsquery('swedish', %s)
                       || to_tsquery('simple', %s) AS q
            ),
            recent AS MATERIALIZED (
                SELECT ticket_id FROM search_ticket_doc, query
                WHERE document @@ q ORDER BY ticket_id + 0 DESC LIMIT {RANK_WINDOW}
            )
            SELECT d.ticket_id, ts_rank_cd(d.document, query.q) AS rank
            FROM search_ticket_doc d JOIN recent USING (ticket_id), query
            """,  # noqa: S608 - RANK_WINDOW is a constant
            [text, text, prefix],
        )


def backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteFtsBackend()
