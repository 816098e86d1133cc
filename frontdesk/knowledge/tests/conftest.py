"""Fixtures for knowledge-base stories: a help center with one category and section."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from frontdesk.knowledge.models import Status
from frontdesk.knowledge.services import (
    article_create,
    article_transition,
    category_save,
    section_save,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Spelling lists and "suggestions shown" marks belong to one test's help center."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kb_section(db):
    category = category_save(name="Printing")
    return section_save(category=category, name="Printers")


@pytest.fixture
def publish(people, kb_section, django_capture_on_commit_callbacks):
    """Write an article as Alice and have Sam publish it (indexed for search)."""

    def make(title="Clear a paper jam", body="Open the tray and pull the paper out.", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            article = article_create(
                section=extra.pop("section", kb_section),
                language=extra.pop("language", "en"),
                title=title,
                body_md=body,
                author=people["alice"],
                **extra,
            )
            article = article_transition(article=article, to=Status.PUBLISHED, actor=people["sam"])
        return article

    return make
