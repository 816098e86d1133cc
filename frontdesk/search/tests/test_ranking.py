"""Ranking looks at the newest matches only, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from frontdesk.search import backends
from frontdesk.search.backends import PostgresBackend, backend, last_is_prefix
from frontdesk.search.selectors import ticket_search

pytestmark = pytest.mark.django_db


def test_short_last_word_is_a_prefix_long_words_are_whole_words():
    assert last_is_prefix(["printer", "inv"])
    assert not last_is_prefix(["inv", "printer"])
    assert not last_is_prefix([])


@pytest.fixture
def zebras(make_ticket, people, django_capture_on_commit_callbacks):
    """30 tickets; every third one mentions zebras (ids ascending = oldest first)."""
    tickets = []
    # The index is kept current by the outbox, which runs after commit.
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(30):
            body = f"Ticket {i} about zebras in the office" if i % 3 == 0 else f"Ticket {i} ink"
            tickets.append(make_ticket(subject=f"Case {i}", body=body))
    return tickets


# (ranked, first window): the first pass over the newest few tickets finds too few and must
# widen, to everything (4, 5) or to a window sized from what it found (2, 3).
@pytest.mark.parametrize(("rank_window", "first_window"), [(4, 5), (2, 3)])
def test_results_are_the_newest_matches_when_more_match_than_are_ranked(
    zebras, people, monkeypatch, rank_window, first_window
):
    monkeypatch.setattr(backends, "RANK_WINDOW", rank_window)
    monkeypatch.setattr(PostgresBackend, "FIRST_WINDOW", first_window)
    matching = [t for t in zebras if "zebras" in t.messages.get().body_text]
    newest = {t.pk for t in matching[-rank_window:]}
    assert set(backend().ranked_ids("zebras", limit=10)) == newest
    assert {t.pk for t in ticket_search(people["alice"], "zebras")} == newest


def test_every_match_is_found_when_fewer_match_than_are_ranked(zebras, people, monkeypatch):
    monkeypatch.setattr(PostgresBackend, "FIRST_WINDOW", 5)
    matching = {t.pk for t in zebras if "zebras" in t.messages.get().body_text}
    assert set(backend().ranked_ids("zebras", limit=50)) == matching
    # A short last word matches as a prefix: "zeb" finds the zebras.
    assert set(backend().ranked_ids("zeb", limit=50)) == matching
    assert backend().ranked_ids("zebrasx", limit=50) == []


def test_full_reindex_rebuilds_every_document_and_search_still_finds_them(zebras, people):
    from django.db import connection

    from frontdesk.search.services import search_reindex

    backend().delete_all()
    assert ticket_search(people["alice"], "zebras") == []
    done: list[tuple[int, int]] = []
    assert search_reindex(batch_size=7, progress=lambda n, total: done.append((n, total))) == 30
    assert done[-1] == (30, 30)
    found = {t.pk for t in ticket_search(people["alice"], "zebras")}
    assert found == {t.pk for t in zebras[::3]}
    if connection.vendor == "postgresql":
        # The GIN index dropped for the rebuild is back.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_ticket_doc_gin'"
            )
            assert "gin (document)" in cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_reindex_on_two_connections_builds_the_same_index(people, make_ticket):
    from io import StringIO

    from django.core.management import call_command

    from frontdesk.search.services import search_reindex

    tickets = [make_ticket(subject=f"Case {i}", body=f"zebras {i}") for i in range(9)]
    search_reindex(batch_size=2)  # the documents, one connection
    backend().delete_all()
    out = StringIO()
    call_command("search_reindex", "--batch-size", "2", "--jobs", "2", stdout=out)
    assert "rebuilt over" in out.getvalue()
    found = {t.pk for t in ticket_search(people["alice"], "zebras")}
    assert found == {t.pk for t in tickets}
