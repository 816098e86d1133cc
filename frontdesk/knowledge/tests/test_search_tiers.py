"""Help-center search ranks in tiers on PostgreSQL: common words must not hide the answer."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from frontdesk.knowledge.markdown import query_terms
from frontdesk.knowledge.search import _COMMON_LEXEMES, backend, kb_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_statistics():
    """The cached word statistics belong to this test's help center only."""
    cache.delete(_COMMON_LEXEMES)
    yield
    cache.delete(_COMMON_LEXEMES)


def test_a_long_request_finds_the_article_sharing_its_rare_words(publish, fresh_statistics):
    for n in range(30):
        publish(f"VPN guide {n}", "Connect to the VPN from the office. The VPN works.")
    answer = publish(
        "Certificate warning when connecting",
        "If the VPN says the certificate expired, install the new certificate.",
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_search_doc")
    text = "Cannot connect to the VPN from home, it says certificate expired since this morning"
    if connection.vendor == "postgresql":
        # Only the answer holds one of the rarer words: the tier ranks it alone.
        terms = query_terms(text)
        ranked = backend().match(terms, kinds=["article"], language="", limit=50, require="rare")
        assert [object_id for _kind, object_id, _rank in ranked] == [answer.pk]
    hits = kb_search(None, text, kinds=["article"], limit=5).hits
    assert hits[0].object_id == answer.pk
    # A short common query still fills the page from the many VPN guides.
    assert len(kb_search(None, "vpn", kinds=["article"], limit=5).hits) == 5
