"""The help center and the editor through their pages, as customers and agents use them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from frontdesk.knowledge.models import Article, DeflectionEvent, Feedback, Status, Visibility
from frontdesk.knowledge.selectors import deflection_stats
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.services import message_add

pytestmark = pytest.mark.django_db


def _url(article: Article) -> str:
    return reverse(
        "knowledge:article", args=[article.language, article.group.section.slug, article.slug]
    )


def test_signed_out_reader_browses_searches_and_answers_helpful(publish, client):
    article = publish(title="Clear a paper jam", body="Open the **tray** and pull the paper.")
    publish(title="Internal escalation list", body="Call L2.", visibility=Visibility.AGENTS)
    home = client.get(reverse("knowledge:home")).content.decode()
    assert "Printing" in home and "Internal" not in home
    results = client.get(reverse("knowledge:search"), {"q": "paper tray"}).content.decode()
    assert "Clear a paper jam" in results and "<mark>tray</mark>" in results
    page = client.get(_url(article)).content.decode()
    assert "<strong>tray</strong>" in page
    response = client.post(
        reverse("knowledge:feedback", args=["en", article.group.section.slug, article.slug]),
        {"helpful": "yes", "comment": "Great"},
    )
    assert response.status_code == 302
    client.post(
        reverse("knowledge:feedback", args=["en", article.group.section.slug, article.slug]),
        {"helpful": "yes"},
    )
    assert Feedback.objects.get().comment == "Great"  # one answer per reader
    article.refresh_from_db()
    assert article.helpful_yes == 1
    assert article.view_shards.first().count >= 1


def test_signed_out_feedback_is_rate_limited(publish, client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.KB_ANON_FEEDBACK_PER_HOUR = 2
    article = publish()
    url = reverse("knowledge:feedback", args=["en", article.group.section.slug, article.slug])
    codes = []
    for _ in range(3):
        client.cookies.clear()  # a new browser each time, same address
        codes.append(client.post(url, {"helpful": "no"}).status_code)
    assert codes == [302, 302, 429]


def test_customer_typing_a_request_sees_suggestions_and_a_deflection_is_counted(
    people, publish, client
):
    article = publish(title="Clear a paper jam", body="Open the tray and pull the paper.")
    client.force_login(people["dana"])
    form = client.get(reverse("portal:request_new") + "?type=incident").content.decode()
    session = re.search(r'name="form_session" id="form-session" value="(\w+)"', form).group(1)
    suggestions = client.get(
        reverse("knowledge:suggest"),
        {"subject": "paper jam", "body": "", "form_session": session},
    ).content.decode()
    assert "Clear a paper jam" in suggestions and f"?fs={session}" in suggestions
    client.get(_url(article) + f"?fs={session}")
    stats = deflection_stats()
    assert (stats.sessions, stats.deflected) == (1, 1)
    # Another session: she reads, then files anyway: not a deflection.
    client.get(_url(article) + "?fs=other")
    client.post(
        reverse("portal:request_new"),
        {"type": "incident", "subject": "Jam", "body": "Still jams", "urgency": "medium",
         "form_session": "other"},
    )  # fmt: skip
    assert Ticket.objects.filter(subject="Jam").exists()
    stats = deflection_stats()
    assert (stats.sessions, stats.deflected, stats.submitted) == (2, 1, 1)
    assert DeflectionEvent.objects.filter(session=session, kind="shown").count() == 1


def test_suggestions_never_offer_what_the_reader_may_not_read(people, publish, client):
    publish(
        title="Acme printer codes",
        body="Acme printer codes list.",
        visibility=Visibility.ORGANIZATIONS,
        organizations=[people["acme"]],
    )
    client.force_login(people["erik"])
    html = client.get(reverse("knowledge:suggest"), {"subject": "acme printer codes"}).content
    assert b"Acme printer codes" not in html
    client.force_login(people["dana"])
    html = client.get(reverse("knowledge:suggest"), {"subject": "acme printer codes"}).content
    assert b"Acme printer codes" in html


def test_alice_writes_previews_and_sam_publishes_through_the_editor(people, kb_section, client):
    client.force_login(people["alice"])
    preview = client.post(reverse("knowledge:preview"), {"body_md": "**hi** <b>x</b>"})
    assert b"<strong>hi</strong>" in preview.content and b"<b>" not in preview.content
    response = client.post(reverse("knowledge:new"), {
        "title": "Set up VPN", "body_md": "Install the client.", "language": "en",
        "section": kb_section.pk, "visibility": "public", "tags": "vpn, remote work",
    })  # fmt: skip
    article = Article.objects.get(title="Set up VPN")
    assert response["Location"] == reverse("knowledge:edit", args=[article.pk])
    assert sorted(t.name for t in article.group.tags.all()) == ["remote-work", "vpn"]
    client.post(reverse("knowledge:status", args=[article.pk]), {"to": "published"})
    article.refresh_from_db()
    assert article.status == Status.DRAFT  # Alice may not publish
    client.post(reverse("knowledge:status", args=[article.pk]), {"to": "review"})
    client.force_login(people["sam"])
    client.post(reverse("knowledge:status", args=[article.pk]), {"to": "published"})
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    client.post(
        reverse("knowledge:edit", args=[article.pk]),
        {"title": "Set up the VPN", "body_md": "Install the new client."},
    )
    page = client.get(reverse("knowledge:revisions", args=[article.pk])).content.decode()
    assert "Install the new client." in page and "kb-added" in page
    sv = client.post(
        reverse("knowledge:translate", args=[article.pk, "sv"]),
        {"title": "Installera VPN", "body_md": "Installera klienten."},
    )
    assert sv.status_code == 302
    assert article.group.translations.get(language="sv").status == Status.DRAFT
    assert client.get(reverse("knowledge:report")).status_code == 200


def test_agent_inserts_an_article_from_the_composer_and_drafts_from_a_ticket(
    people, publish, make_ticket, client
):
    publish(title="Reset your password", body="Choose *Forgot password*.")
    ticket = make_ticket(
        requester=people["dana"],
        subject="Locked out",
        body="I forgot my password and cannot sign in.",
    )
    message_add(ticket=ticket, author=people["alice"], body_text="Use Forgot password.")
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert 'id="kb-composer-q"' in page and "Create article from this ticket" in page
    tool = client.get(reverse("knowledge:composer_search"), {"kb_q": "password"}).content
    assert b'data-kb-insert="link"' in tool and b"Reset your password" in tool
    response = client.post(reverse("knowledge:from_ticket", args=[ticket.number]))
    draft = Article.objects.get(title="Locked out")
    assert response["Location"] == reverse("knowledge:edit", args=[draft.pk])
    assert "I forgot my password" in draft.body_md and "Use Forgot password." in draft.body_md
    assert draft.status == Status.DRAFT


def test_help_center_home_pins_its_queries(people, publish, client, django_assert_max_num_queries):
    for n in range(15):
        publish(title=f"Article number {n}", body="Text.")
    client.force_login(people["dana"])
    with django_assert_max_num_queries(9):
        response = client.get(reverse("knowledge:home"))
    assert response.content.count(b"Article number") >= 6


def test_the_editor_shows_what_readers_said(people, publish, client):
    article = publish("Clear a paper jam", "Open the tray.")
    url = reverse("knowledge:article", args=["en", article.group.section.slug, article.slug])
    client.post(url + "feedback/", {"helpful": "no", "comment": "The tray does not open"})
    client.force_login(people["alice"])
    page = client.get(reverse("knowledge:edit", args=[article.pk])).text
    assert "The tray does not open" in page


def test_the_composer_marks_an_article_customers_cannot_open(people, publish, client):
    publish("Reset a password for a customer", "Admin console.", visibility=Visibility.AGENTS)
    publish("Reset your password", "Choose Forgot.")
    client.force_login(people["alice"])
    tool = client.get(reverse("knowledge:composer_search"), {"kb_q": "reset password"}).text
    items = {item.split("</strong>")[0]: item for item in tool.split("<strong>")[1:]}
    assert "Agents only (internal)" in items["Reset a password for a customer"]
    assert 'class="badge"' not in items["Reset your password"]
