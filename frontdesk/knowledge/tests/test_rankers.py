"""Other apps re-rank help-center search through the ranker hook; readers' rights still hold."""

from __future__ import annotations

import pytest

from frontdesk.knowledge.models import Visibility
from frontdesk.knowledge.search import (
    Hit,
    kb_search,
    kind_resolve,
    ranker_register,
    ranker_unregister,
    rankers_paused,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranker():
    """Register a fake ranker for one test and take it away after."""
    registered = []

    def register(fn):
        ranker_register(fn)
        registered.append(fn)
        return fn

    yield register
    for fn in registered:
        ranker_unregister(fn)


def test_a_ranker_reorders_results_and_gets_snippets(people, publish, ranker):
    first = publish("Paper jam in tray one", "Open tray one and pull the jammed paper out.")
    second = publish("Paper jam in tray two", "Tray two: lift the lever, then the paper.")
    calls = []

    def reverse(user, query, hits, *, kinds, category, reader_language, limit):
        calls.append((user, query, [h.object_id for h in hits], kinds, reader_language, limit))
        return list(reversed(hits))

    assert [h.object_id for h in kb_search(None, "paper jam").hits] == [first.pk, second.pk]
    ranker(reverse)
    ranker(reverse)  # registering twice ranks once
    hits = kb_search(None, "paper jam", reader_language="sv", limit=5).hits
    assert [h.object_id for h in hits] == [second.pk, first.pk]
    assert len(calls) == 1
    assert calls[0] == (None, "paper jam", [first.pk, second.pk], ["article", "thread"], "sv", 5)
    assert all("<mark>" in h.snippet for h in hits)
    with rankers_paused():
        assert [h.object_id for h in kb_search(None, "paper jam").hits] == [first.pk, second.pk]
    assert len(calls) == 1  # paused: not asked


def test_a_ranker_adds_a_hit_only_it_found_and_a_failed_search_is_not_recorded(
    people, publish, ranker
):
    from frontdesk.knowledge.models import FailedSearch

    toner = publish("Replace the toner", "Open the front cover and swap the cartridge.")

    def meaning(user, query, hits, *, kinds, category, reader_language, limit):
        # "ink" shares no word with the article; only the meaning links them.
        found = kind_resolve(user, "article", [toner.pk], category)
        return hits + list(found.values())

    ranker(meaning)
    results = kb_search(people["dana"], "printer ink ran out")
    assert [h.object_id for h in results.hits] == [toner.pk]
    assert results.hits[0].url.endswith("/replace-the-toner/")
    assert results.hits[0].snippet  # the start of the text, though no word matched
    assert not FailedSearch.objects.exists()


def test_a_ranker_can_never_show_an_internal_article(people, publish, ranker):
    public = publish("Reset your password", "Choose Forgot on the sign-in page.")
    internal = publish(
        "Reset a password for a customer (agents)",
        "Use the admin console.",
        visibility=Visibility.AGENTS,
    )
    assert kind_resolve(people["dana"], "article", [internal.pk]) == {}
    assert kind_resolve(people["dana"], "nonsense", [internal.pk]) == {}

    def forged(user, query, hits, *, kinds, category, reader_language, limit):
        # A buggy ranker: an internal id as a hand-made hit, and one resolved for an agent.
        made = Hit("article", internal.pk, "Secret", "/x/", "en", "admin console")
        as_agent = kind_resolve(people["alice"], "article", [internal.pk], category)
        return [made, *as_agent.values(), *hits]

    ranker(forged)
    for reader in (None, people["dana"]):
        hits = kb_search(reader, "reset password").hits
        assert [h.object_id for h in hits] == [public.pk]
        assert "admin console" not in hits[0].snippet
    # An agent may read it: the ranker's id is resolved again, with the real title.
    hits = kb_search(people["alice"], "reset password").hits
    assert {h.object_id for h in hits} == {public.pk, internal.pk}
    assert next(h for h in hits if h.object_id == internal.pk).title == internal.title


def test_a_failing_ranker_leaves_the_lexical_ranking(people, publish, ranker):
    article = publish("Clear a paper jam", "Open the tray.")

    def broken(user, query, hits, **options):
        raise RuntimeError("vector store gone")

    ranker(broken)
    assert [h.object_id for h in kb_search(None, "paper jam").hits] == [article.pk]


def test_every_help_center_search_goes_through_the_rankers(people, publish, ranker, client):
    """Search page, forum search, request-form suggestions, the composer and the API."""
    toner = publish("Replace the toner", "Open the front cover and swap the cartridge.")
    seen = []

    def meaning(user, query, hits, *, kinds, category, reader_language, limit):
        seen.append(query)
        return hits + list(kind_resolve(user, "article", [toner.pk], category).values())

    ranker(meaning)
    client.force_login(people["dana"])
    assert "Replace the toner" in client.get("/kb/search/", {"q": "ink empty"}).text
    assert "Replace the toner" in client.get("/kb/search/", {"q": "ink", "type": "article"}).text
    page = client.get("/kb/suggest/", {"subject": "printer ink empty", "form_session": "s1"})
    assert "Replace the toner" in page.text
    api = client.get("/api/v1/kb/search/", {"q": "ink empty"})
    assert [r["id"] for r in api.json()["results"]] == [toner.pk]
    client.force_login(people["alice"])
    assert "Replace the toner" in client.get("/kb/manage/composer/", {"kb_q": "ink"}).text
    assert len(seen) == 5
