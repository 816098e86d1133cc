"""The demo help center and forum load through the services and can be searched."""

from __future__ import annotations

import io

import pytest

from frontdesk.community import demo as community_demo
from frontdesk.community.models import Topic
from frontdesk.knowledge import demo as knowledge_demo
from frontdesk.knowledge.models import Article, Status
from frontdesk.knowledge.search import kb_search

pytestmark = pytest.mark.django_db


def test_demo_content_loads_in_both_languages(people, django_capture_on_commit_callbacks):
    context = {
        "staff": {
            "alice@example.com": people["alice"],
            "bob@example.com": people["bob"],
            "supervisor@example.com": people["sam"],
        },
        "people": {p.email: p for p in (people["dana"], people["dan"], people["erik"])},
        "stdout": io.StringIO(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_demo.after_tickets(context)
        community_demo.after_tickets(context)
    assert Article.objects.filter(language="sv", status=Status.PUBLISHED).count() >= 3
    assert Topic.objects.filter(pinned=True).exists()
    titles = [h.title for h in kb_search(None, "paper jam").hits]
    assert "Clear a paper jam" in titles and "Printer jams on thick paper" in titles
    swedish = kb_search(people["erik"], "lösenord", reader_language="sv").hits
    assert swedish and swedish[0].language == "sv"
