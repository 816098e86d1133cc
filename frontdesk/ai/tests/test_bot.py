"""Stories of the answer bot in the portal: an answer from the right section, a decline, a
hand-over to a person in the customer's language, and internal articles kept internal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.ai.bot import bot_answer
from frontdesk.ai.models import BotAnswer
from frontdesk.ai.services import ai_settings_save

pytestmark = pytest.mark.django_db

WIFI = (
    "Wireless networks need the right password.\n\n"
    "## Connect to a wireless network\n\n"
    "Open the system menu, choose Wi-Fi, pick your network and type its password. "
    "The icon shows bars when you are connected.\n\n"
    "## When the connection keeps dropping\n\n"
    "Move closer to the router, turn the router off and on again, and forget the network "
    "then join it again. Interference from microwaves can drop the signal."
)
PRINTER = (
    "## Clear a paper jam\n\nOpen the printer's cover, pull the stuck sheet out slowly with "
    "both hands and close the cover. Print a test page."
)
VPN_INTERNAL = (
    "## Reset the office VPN appliance\n\nLog in to the appliance console with the admin "
    "password from the vault and restart the tunnel service. Customers never do this."
)


@pytest.fixture
def help_center(semantic, publish):
    return {
        "wifi": publish("Wireless networking", WIFI),
        "printer": publish("Printer problems", PRINTER),
        "vpn": publish("VPN appliance runbook", VPN_INTERNAL, visibility="agents"),
    }


def test_customer_gets_the_section_that_answers_the_question(help_center, people):
    result = bot_answer(people["dana"], "my internet keeps cutting out every few minutes")
    assert result.answered
    assert result.best.article_id == help_center["wifi"].pk
    assert result.best.heading == "When the connection keeps dropping"
    assert "router" in result.best.passage
    assert result.best.url.endswith(f"/{help_center['wifi'].slug}/")


def test_bot_declines_below_the_admin_threshold(help_center, people):
    ai_settings_save(changes={"bot_threshold": 0.9})
    result = bot_answer(people["dana"], "how do I get a refund for my yearly subscription")
    assert not result.answered


def test_internal_article_never_reaches_a_customer(help_center, people):
    question = "how do I restart the VPN appliance tunnel service"
    for_dana = bot_answer(people["dana"], question, min_confidence=0.0)
    assert help_center["vpn"].pk not in [o.article_id for o in for_dana.offers]
    for_alice = bot_answer(people["alice"], question, min_confidence=0.0)
    assert for_alice.best.article_id == help_center["vpn"].pk


def test_portal_ask_then_that_did_not_help_opens_a_ticket_with_what_was_offered(
    help_center, people, client
):
    dana = people["dana"]
    dana.language = "sv"
    dana.save(update_fields=["language"])
    client.force_login(dana)
    page = client.post(
        reverse("ai:ask"), {"question": "wifi drops all the time"}, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert "Wireless networking" in page.content.decode()
    answer = BotAnswer.objects.get()
    assert answer.user == dana
    response = client.post(
        reverse("ai:answer_feedback", args=[answer.pk]), {"helped": "no"}, HTTP_HX_REQUEST="true"
    )
    answer.refresh_from_db()
    assert answer.helped is False
    ticket = answer.ticket
    assert ticket.requester == dana
    assert ticket.channel == "portal"
    assert ticket.language == "sv"
    body = ticket.messages.get().body_text
    assert "wifi drops all the time" in body
    assert "Wireless networking" in body
    assert f"#{ticket.number}" in response.content.decode()
    # Asking twice for a person is one ticket.
    client.post(reverse("ai:answer_feedback", args=[answer.pk]), {"helped": "no"})
    assert BotAnswer.objects.get().ticket_id == ticket.pk


def test_it_helped_is_recorded_and_counts_as_deflection(help_center, people, client):
    from frontdesk.ai.selectors import bot_stats

    client.force_login(people["dana"])
    client.post(reverse("ai:ask"), {"question": "paper stuck in the printer"})
    answer = BotAnswer.objects.get()
    client.post(reverse("ai:answer_feedback", args=[answer.pk]), {"helped": "yes"})
    answer.refresh_from_db()
    assert answer.helped is True and answer.ticket is None
    assert bot_stats()["deflection_rate"] == 1.0


def test_someone_else_cannot_answer_for_the_asker(help_center, people, client):
    client.force_login(people["dana"])
    client.post(reverse("ai:ask"), {"question": "paper stuck in the printer"})
    answer = BotAnswer.objects.get()
    client.force_login(people["erik"])
    response = client.post(reverse("ai:answer_feedback", args=[answer.pk]), {"helped": "no"})
    assert response.status_code == 404
    assert BotAnswer.objects.get().ticket is None


def test_unanswered_question_becomes_an_article_draft(help_center, people, client):
    from frontdesk.knowledge.models import Article, Status

    ai_settings_save(changes={"bot_threshold": 0.95})
    client.force_login(people["dana"])
    client.post(reverse("ai:ask"), {"question": "can I pay with an invoice"})
    answer = BotAnswer.objects.get()
    assert not answer.answered
    client.force_login(people["alice"])
    page = client.get(reverse("ai:unanswered"))
    assert "can I pay with an invoice" in page.content.decode()
    response = client.post(reverse("ai:answer_draft", args=[answer.pk]))
    draft = Article.objects.get(title="can I pay with an invoice")
    assert draft.status == Status.DRAFT
    assert response["Location"] == reverse("knowledge:edit", args=[draft.pk])


def test_hybrid_search_finds_by_meaning_and_keeps_internal_articles_internal(help_center, people):
    from frontdesk.ai.hybrid import hybrid_search

    found = hybrid_search(people["dana"], "internet cutting out constantly", kinds=["article"])
    assert found and found[0].object_id == help_center["wifi"].pk
    internal = help_center["vpn"].pk
    for user in (people["dana"], None):
        hits = hybrid_search(user, "restart the VPN appliance tunnel", kinds=["article"])
        assert internal not in [h.object_id for h in hits]
    hits = hybrid_search(people["alice"], "restart the VPN appliance tunnel", kinds=["article"])
    assert hits[0].object_id == internal
