"""Hybrid ranking everywhere the help center is searched: the portal's search, the articles
suggested while a customer writes a request, and the agent composer's article picker find
an article by its meaning (no word in common with the question) when the model runs, are
plainly lexical without it, and never show a customer an internal article."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.ai import embeddings

pytestmark = pytest.mark.django_db

WIFI = (
    "## When the connection keeps dropping\n\n"
    "Move closer to the router, turn the router off and on again, and forget the network "
    "then join it again. Interference from microwaves can drop the signal."
)
INVOICE = "## Change the billing address\n\nOpen Billing, choose Address and save the new one."
VPN_INTERNAL = (
    "## Reset the office VPN appliance\n\nLog in to the appliance console with the admin "
    "password from the vault and restart the tunnel service. Customers never do this."
)
# No word of these is in the article it should find (nor a stem of one).
WIFI_QUESTION = "laptop internet cuts out constantly"
VPN_QUESTION = "reboot corporate remote access gateway"


@pytest.fixture
def help_center(publish, settle):
    """Published while the model runs, so every article has its vectors."""
    return {
        "wifi": publish("Wireless networking", WIFI),
        "invoice": publish("Billing address", INVOICE),
        "vpn": publish("VPN appliance runbook", VPN_INTERNAL, visibility="agents"),
    }


def _portal_search(client, query):
    return client.get(reverse("knowledge:search"), {"q": query}).content.decode()


def _suggestions(client, subject):
    return client.get(reverse("knowledge:suggest"), {"subject": subject}).content.decode()


def _composer(client, query):
    return client.get(reverse("knowledge:composer_search"), {"kb_q": query}).content.decode()


def test_every_help_center_search_finds_an_article_by_its_meaning(
    semantic, help_center, people, client
):
    client.force_login(people["dana"])
    for page in (_portal_search(client, WIFI_QUESTION), _suggestions(client, WIFI_QUESTION)):
        assert "Wireless networking" in page
        assert "Billing address" not in page  # unrelated: below the similarity floor
    client.force_login(people["alice"])
    assert "Wireless networking" in _composer(client, WIFI_QUESTION)


def test_without_the_model_the_same_searches_are_lexical(semantic, help_center, people, client):
    # The articles were embedded while the model ran (fixture order); now it is gone.
    embeddings.backend_set(None, "the [ai] extra is not installed")
    client.force_login(people["dana"])
    assert "Wireless networking" not in _portal_search(client, WIFI_QUESTION)
    assert "Wireless networking" not in _suggestions(client, WIFI_QUESTION)
    assert "Wireless networking" in _portal_search(client, "router interference")
    client.force_login(people["alice"])
    assert "Wireless networking" not in _composer(client, WIFI_QUESTION)
    assert "Wireless networking" in _composer(client, "microwaves signal")


@pytest.fixture
def help_center_semantic(semantic, help_center):
    return help_center


def test_an_internal_article_found_by_meaning_reaches_agents_only(
    help_center_semantic, people, client
):
    for reader in (None, people["dana"], people["erik"]):
        if reader:
            client.force_login(reader)
        else:
            client.logout()
        assert "VPN appliance runbook" not in _portal_search(client, VPN_QUESTION)
        assert "VPN appliance runbook" not in _suggestions(client, VPN_QUESTION)
    client.force_login(people["alice"])
    assert "VPN appliance runbook" in _composer(client, VPN_QUESTION)


def test_hybrid_search_and_the_bot_embed_the_question_once(
    semantic, help_center, people, monkeypatch
):
    from frontdesk.ai.bot import bot_answer
    from frontdesk.ai.hybrid import hybrid_search

    calls = []
    real_embed = semantic.embed
    monkeypatch.setattr(semantic, "embed", lambda texts: calls.append(texts) or real_embed(texts))
    hits = hybrid_search(people["dana"], WIFI_QUESTION, kinds=["article"])
    assert hits[0].object_id == help_center["wifi"].pk
    assert len(calls) == 1  # the question is embedded once: one search, one fusion
    calls.clear()
    assert bot_answer(people["dana"], WIFI_QUESTION).best.title == "Wireless networking"
    assert len(calls) == 1  # the bot's word ranking does not fuse on its own
