"""Stories about customers using the portal: filing, following and closing their requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from frontdesk.tickets.models import (
    CustomField,
    MessageKind,
    StatusCategory,
    Ticket,
    TicketType,
)
from frontdesk.tickets.services import message_add, status_default, ticket_update

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def detail_url(ticket: Ticket) -> str:
    return reverse("portal:request_detail", args=[ticket.number])


@pytest.fixture
def fields():
    """Incidents ask for the laptop model, service requests for a cost centre, all for a
    callback number; the internal code is for agents only."""
    incident = TicketType.objects.get(slug="incident")
    service = TicketType.objects.get(slug="service-request")
    laptop = CustomField.objects.create(
        key="laptop_model", label="Laptop model", field_type="text", customer_visible=True
    )
    laptop.ticket_types.set([incident])
    cost = CustomField.objects.create(
        key="cost_centre",
        label="Cost centre",
        field_type="choice",
        choices=["A1", "B2"],
        customer_visible=True,
    )
    cost.ticket_types.set([service])
    CustomField.objects.create(
        key="callback", label="Callback number", field_type="text", customer_visible=True
    )
    CustomField.objects.create(key="internal_code", label="Internal code", field_type="text")
    return {"incident": incident, "service": service}


# --- filing a request ----------------------------------------------------------------------


def test_dana_submits_request_with_attachment(client, people, fields):
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:request_new"),
        {
            "type": "incident",
            "subject": "Laptop will not boot",
            "body": "Black screen since this morning.",
            "urgency": "high",
            "cf_laptop_model": "ThinkPad X1",
            "cf_callback": "+46 70 123 45 67",
            "attachments": [SimpleUploadedFile("screen.png", PNG, content_type="image/png")],
        },
    )
    ticket = Ticket.objects.get(subject="Laptop will not boot")
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    assert ticket.requester == people["dana"]
    assert ticket.channel == "portal"
    assert ticket.ticket_type.slug == "incident"
    assert ticket.urgency == "high"
    assert ticket.custom_fields == {"laptop_model": "ThinkPad X1", "callback": "+46 70 123 45 67"}
    attachment = ticket.messages.get().attachments.get()
    assert attachment.filename == "screen.png"

    page = client.get(detail_url(ticket))
    assert page.status_code == 200
    assert b"Black screen since this morning." in page.content
    assert b"received" in page.content
    download = client.get(reverse("attachment", args=[attachment.pk, "screen.png"]))
    assert download.status_code == 200


def test_request_form_shows_only_type_fields(client, people, fields):
    client.force_login(people["dana"])
    incident = client.get(reverse("portal:request_new"), {"type": "incident"})
    assert incident.status_code == 200
    assert b"Laptop model" in incident.content
    assert b"Callback number" in incident.content
    assert b"Cost centre" not in incident.content
    assert b"Internal code" not in incident.content
    # htmx swaps in the questions of another type without reloading the page.
    fragment = client.get(
        reverse("portal:request_new"),
        {"type": "service-request"},
        headers={"HX-Request": "true", "HX-Target": "type-fields"},
    )
    assert fragment.status_code == 200
    assert b"Cost centre" in fragment.content
    assert b"Laptop model" not in fragment.content
    assert b"<html" not in fragment.content


def test_request_form_starts_with_choosing_a_type(client, people, fields):
    TicketType.objects.filter(slug="problem").update(customer_can_choose=False)
    client.force_login(people["dana"])
    response = client.get(reverse("portal:request_new"))
    assert response.status_code == 200
    assert b"?type=incident" in response.content
    assert b"?type=problem" not in response.content


def test_customer_cannot_choose_an_agent_only_type(client, people, fields):
    TicketType.objects.filter(slug="problem").update(customer_can_choose=False)
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:request_new"),
        {
            "type": "problem",
            "subject": "Root cause",
            "body": "Please investigate.",
            "urgency": "low",
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="Root cause").exists()


def test_bad_submission_keeps_text(client, people, fields):
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:request_new"),
        {
            "type": "incident",
            "subject": "",
            "body": "A long story about my broken laptop.",
            "urgency": "high",
            "cf_laptop_model": "ThinkPad X1",
            "attachments": [SimpleUploadedFile("screen.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "A long story about my broken laptop." in content
    assert 'value="ThinkPad X1"' in content
    assert re.search(r'value="high"[^>]*checked', content)
    assert "choose your attachments again" in content
    assert 'aria-invalid="true"' in content
    assert not Ticket.objects.exists()


def test_service_refusal_shows_next_to_the_field(client, people, fields):
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:request_new"),
        {
            "type": "incident",
            "subject": "Script",
            "body": "See attached.",
            "urgency": "low",
            "attachments": [SimpleUploadedFile("run.exe", b"MZ", content_type="application/x")],
        },
    )
    assert response.status_code == 400
    assert "run.exe: files of type .exe are not accepted." in response.content.decode()
    assert "See attached." in response.content.decode()
    assert not Ticket.objects.exists()


# --- who sees what -------------------------------------------------------------------------


def test_erik_cannot_open_danas_request(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["erik"])
    assert client.get(detail_url(ticket)).status_code == 404
    assert (
        client.post(
            reverse("portal:request_reply", args=[ticket.number]), {"body": "Hi"}
        ).status_code
        == 404
    )
    assert client.post(reverse("portal:request_solve", args=[ticket.number])).status_code == 404
    assert client.get(reverse("portal:request_detail", args=[999999])).status_code == 404
    assert detail_url(ticket) not in client.get(reverse("portal:requests")).content.decode()
    assert (
        detail_url(ticket)
        not in client.get(reverse("portal:home"), {"q": ticket.subject}).content.decode()
    )


def test_customer_never_sees_internal_notes(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"])
    note = message_add(
        ticket=ticket,
        author=people["alice"],
        kind=MessageKind.NOTE,
        body_text="Secret: she forgot to plug it in.",
    )
    message_add(ticket=ticket, author=people["alice"], body_text="Have you tried the plug?")
    client.force_login(people["dana"])
    page = client.get(detail_url(ticket)).content.decode()
    assert "Have you tried the plug?" in page
    assert "Secret" not in page
    assert f'id="m{note.pk}"' not in page


def test_dana_as_org_manager_sees_dans_request(client, people, make_ticket):
    dans = make_ticket(requester=people["dan"], subject="Dan's VPN is down")
    client.force_login(people["dana"])
    assert client.get(detail_url(dans)).status_code == 200
    organization = client.get(reverse("portal:requests"), {"scope": "organization"})
    assert b"Dan&#x27;s VPN is down" in organization.content
    assert b"requested by Dan Acme" in organization.content
    mine = client.get(reverse("portal:requests"))
    assert b"Dan&#x27;s VPN is down" not in mine.content
    assert b"All of Acme" in mine.content


def test_dan_does_not_see_danas_request(client, people, make_ticket):
    danas = make_ticket(requester=people["dana"], subject="Dana's budget sheet")
    client.force_login(people["dan"])
    assert client.get(detail_url(danas)).status_code == 404
    # Dan manages nothing: asking for the organization's list shows only his own.
    response = client.get(reverse("portal:requests"), {"scope": "organization"})
    assert response.status_code == 200
    assert b"budget sheet" not in response.content
    assert b"All of Acme" not in response.content


def test_cc_sees_request_they_are_copied_on(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"], subject="Shared printer", cc=[people["erik"]])
    client.force_login(people["erik"])
    assert client.get(detail_url(ticket)).status_code == 200
    assert b"Shared printer" in client.get(reverse("portal:requests")).content


ROUTES_FOR_DANAS_TICKET = [
    ("portal:home", False),
    ("portal:requests", False),
    ("portal:request_new", False),
    ("portal:request_detail", True),
    ("portal:profile", False),
]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            None,
            {
                "portal:home": 302,
                "portal:requests": 302,
                "portal:request_new": 302,
                "portal:request_detail": 302,
                "portal:profile": 302,
            },
        ),
        (
            "dana",
            {
                "portal:home": 200,
                "portal:requests": 200,
                "portal:request_new": 200,
                "portal:request_detail": 200,
                "portal:profile": 200,
            },
        ),
        (
            "erik",
            {
                "portal:home": 200,
                "portal:requests": 200,
                "portal:request_new": 200,
                "portal:request_detail": 404,
                "portal:profile": 200,
            },
        ),
        (
            "alice",
            {
                "portal:home": 200,
                "portal:requests": 200,
                "portal:request_new": 200,
                "portal:request_detail": 302,
                "portal:profile": 200,
            },
        ),
        (
            "carol",
            {
                "portal:home": 200,
                "portal:requests": 200,
                "portal:request_new": 200,
                "portal:request_detail": 404,
                "portal:profile": 200,
            },
        ),
        (
            "ada",
            {
                "portal:home": 200,
                "portal:requests": 200,
                "portal:request_new": 200,
                "portal:request_detail": 302,
                "portal:profile": 200,
            },
        ),
    ],
)
def test_permission_matrix_for_a_ticket_dana_created(
    client, people, make_ticket, persona, expected
):
    ticket = make_ticket(requester=people["dana"])
    if persona:
        client.force_login(people[persona])
    for name, takes_number in ROUTES_FOR_DANAS_TICKET:
        url = reverse(name, args=[ticket.number] if takes_number else [])
        response = client.get(url)
        assert response.status_code == expected[name], (persona, name)
        if persona is None:
            assert response["Location"].startswith(reverse("account_login"))
        elif response.status_code == 302:
            # Agents work on someone else's ticket in the workspace, not as a customer.
            assert response["Location"] == reverse("desk:ticket", args=[ticket.number])


def test_agent_previews_portal_as_a_requester(client, people, make_ticket):
    make_ticket(requester=people["dana"], subject="Dana's own request")
    own = make_ticket(requester=people["alice"], subject="Alice needs a new mouse")
    client.force_login(people["alice"])
    home = client.get(reverse("portal:home")).content.decode()
    assert "Alice needs a new mouse" in home
    assert "Dana&#x27;s own request" not in home
    assert client.get(detail_url(own)).status_code == 200


# --- following a request -------------------------------------------------------------------


def test_customer_replies_with_attachment(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:request_reply", args=[ticket.number]),
        {
            "body": "Here is the error.",
            "attachments": [SimpleUploadedFile("error.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    message = ticket.messages.order_by("-pk").first()
    assert message.body_text == "Here is the error."
    assert message.channel == "portal"
    assert [a.filename for a in message.attachments.all()] == ["error.png"]


def test_empty_reply_is_refused_and_says_why(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["dana"])
    response = client.post(reverse("portal:request_reply", args=[ticket.number]), {"body": " "})
    assert response.status_code == 400
    assert b"Write a message first." in response.content
    assert ticket.messages.count() == 1


def test_customer_marks_solved_then_reopens(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["dana"])
    assert b"Mark as solved" in client.get(detail_url(ticket)).content
    client.post(reverse("portal:request_solve", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.SOLVED
    page = client.get(detail_url(ticket))
    assert b"Reopen" in page.content
    assert b"solved" in page.content
    client.post(reverse("portal:request_reopen", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.reopened_count == 1


def test_reopen_is_not_offered_after_the_window(client, people, make_ticket, settings):
    # A short window, so the session (two weeks) outlives it.
    settings.REOPEN_WINDOW_DAYS = 2
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["dana"])
    client.post(reverse("portal:request_solve", args=[ticket.number]))
    later = ticket.created_at + timedelta(days=settings.REOPEN_WINDOW_DAYS + 1)
    with time_machine.travel(later):
        page = client.get(detail_url(ticket)).content.decode()
        assert "Reopen" not in page
        assert "follow-up" in page
        response = client.post(reverse("portal:request_reopen", args=[ticket.number]), follow=True)
    assert b"can no longer be reopened" in response.content
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.SOLVED


def test_reply_on_closed_request_starts_follow_up(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"], subject="Monitor flickers")
    ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={"status": status_default(StatusCategory.CLOSED)},
    )
    client.force_login(people["dana"])
    page = client.get(detail_url(ticket)).content.decode()
    assert "we start a follow-up request" in page
    assert "Mark as solved" not in page
    response = client.post(
        reverse("portal:request_reply", args=[ticket.number]), {"body": "It is flickering again."}
    )
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(follow_up)
    assert follow_up.subject == "Follow-up: Monitor flickers"
    assert follow_up.requester == people["dana"]
    assert ticket.messages.count() == 1
    assert b"follow-up request" in client.get(response["Location"]).content


# --- lists ---------------------------------------------------------------------------------


def test_home_lists_open_first_and_searches_own_requests(client, people, make_ticket):
    done = make_ticket(requester=people["dana"], subject="Old keyboard question")
    make_ticket(requester=people["dana"], subject="Broken keyboard")
    client.force_login(people["dana"])
    client.post(reverse("portal:request_solve", args=[done.number]))
    home = client.get(reverse("portal:home")).content.decode()
    # The help-center panel loads into the page once, never into the title.
    assert "<title>Help · Frontdesk</title>" in home
    assert home.count('id="kb-panel"') == 1
    assert home.index("Broken keyboard") < home.index("Old keyboard question")
    assert '<span class="badge status-new">received</span>' in home
    assert '<span class="badge status-solved">solved</span>' in home
    results = client.get(reverse("portal:home"), {"q": "broken"}).content.decode()
    assert "Results for" in results
    section = results.split('id="mine-title"')[0]
    assert "Broken keyboard" in section
    assert "Old keyboard question" not in section
    by_number = client.get(reverse("portal:home"), {"q": f"#{done.number}"}).content.decode()
    assert "Old keyboard question" in by_number.split('id="mine-title"')[0]
    assert client.get(reverse("portal:home"), {"q": "9" * 40}).status_code == 200


def test_home_pins_its_queries(client, people, make_ticket, django_assert_max_num_queries):
    for n in range(20):
        make_ticket(requester=people["dana"], subject=f"Case {n}")
    client.force_login(people["dana"])
    # Session, user, search results, open requests, recently finished ones.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("portal:home"), {"q": "case"})
    assert response.content.count(b'class="badge status-') == 20 + 10


def test_empty_portal_teaches_what_to_do(client, people):
    # Dan (English) has filed nothing yet.
    client.force_login(people["dan"])
    home = client.get(reverse("portal:home")).content.decode()
    assert "You have no requests yet." in home
    assert reverse("portal:request_new") in home


def test_requests_list_pages_and_pins_queries(
    client, people, make_ticket, django_assert_max_num_queries
):
    for n in range(30):
        make_ticket(requester=people["dan"] if n % 2 else people["dana"], subject=f"Case {n}")
    client.force_login(people["dana"])
    # Session, user, one page of tickets, Dana's organization (for the tab).
    with django_assert_max_num_queries(4):
        first = client.get(reverse("portal:requests"))
    assert first.status_code == 200
    assert first.content.count(b'class="badge status-') == 15
    with django_assert_max_num_queries(4):
        organization = client.get(reverse("portal:requests"), {"scope": "organization"})
    assert organization.content.count(b'class="badge status-') == 25
    older = re.search(rb'href="([^"]*after=[^"]*)"', organization.content).group(1)
    second = client.get(older.decode().replace("&amp;", "&"))
    assert second.content.count(b'class="badge status-') == 5
    assert b"scope=organization" in second.content
    assert client.get(reverse("portal:requests"), {"after": "garbage"}).status_code == 302


# --- profile, language, pages --------------------------------------------------------------


def test_profile_saves_name_zone_and_language_at_once(client, people):
    client.force_login(people["dana"])
    response = client.post(
        reverse("portal:profile"),
        {
            "first_name": "Dana",
            "last_name": "Katherine",
            "language": "sv",
            "timezone": "America/New_York",
        },
        follow=True,
    )
    dana = people["dana"]
    dana.refresh_from_db()
    assert (dana.last_name, dana.language, dana.timezone) == ("Katherine", "sv", "America/New_York")
    assert b'<html lang="sv">' in response.content


def test_profile_cleared_falls_back_to_browser_language(client, people):
    erik = people["erik"]
    client.force_login(erik)
    response = client.post(reverse("portal:profile"), {"first_name": "Erik"})
    assert response.status_code == 302
    erik.refresh_from_db()
    assert (erik.language, erik.timezone) == ("", "")
    page = client.get(reverse("portal:home"), headers={"accept-language": "en"})
    assert b'<html lang="en">' in page.content


def test_profile_refuses_unknown_time_zone(client, people):
    client.force_login(people["dana"])
    response = client.post(reverse("portal:profile"), {"timezone": "Mars/Olympus"})
    assert response.status_code == 400
    people["dana"].refresh_from_db()
    assert people["dana"].timezone == ""


def test_portal_in_swedish_for_erik(client, people):
    with translation.override("sv"):
        swedish = gettext("My requests")
    assert swedish != "My requests", "the Swedish catalog does not translate the portal yet"
    client.force_login(people["erik"])
    response = client.get(reverse("portal:home"))
    assert b'<html lang="sv">' in response.content
    assert swedish in response.content.decode()
    assert "Mina förfrågningar" in response.content.decode()


# Scripts load from our origin; a JSON data block (allauth's) is never executed.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)


def assert_csp_clean(html: str) -> None:
    assert " style=" not in html
    assert "<style" not in html
    assert not INLINE_SCRIPT.search(html)
    assert re.search(r"\son[a-z]+=", html) is None


def test_portal_pages_obey_the_strict_csp(client, people, make_ticket, fields):
    ticket = make_ticket(requester=people["dana"])
    client.force_login(people["dana"])
    for url in [
        reverse("portal:home"),
        reverse("portal:requests"),
        reverse("portal:request_new"),
        reverse("portal:request_new") + "?type=incident",
        detail_url(ticket),
        reverse("portal:profile"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_clean(response.content.decode())


# --- signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_request_login_code"])
def test_sign_in_pages_render_in_our_layout(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="portal-header"' in html
    assert 'class="auth-box"' in html
    assert "frontdesk/css/app.css" in html
    assert_csp_clean(html)


def test_login_by_code(client, people):
    response = client.post(reverse("account_request_login_code"), {"email": "dana@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert client.get(response["Location"]).status_code == 200
    body = mail.outbox[-1].body
    assert mail.outbox[-1].to == ["dana@example.com"]
    code = re.search(r"^\s*([A-Z0-9-]{6,})\s*$", body, re.M).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_wrong_login_code_does_not_sign_in(client, people):
    client.post(reverse("account_request_login_code"), {"email": "dana@example.com"})
    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})
    assert response.status_code == 200
    assert client.get(reverse("portal:home")).status_code == 302


def test_signup_lands_a_new_customer_in_the_portal(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@customer.example",
            "password1": "a-long-Passw0rd!",
            "password2": "a-long-Passw0rd!",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert b"You have no requests yet." in response.content


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "account_logout"])
def test_account_pages_render_in_our_layout_for_dana(client, people, name):
    client.force_login(people["dana"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="portal-header"' in html
    assert reverse("portal:home") in html
    assert_csp_clean(html)


def test_a_solved_request_asks_its_requester_how_it_went(client, people, make_ticket):
    ticket = make_ticket(requester=people["dana"], subject="Rate me")
    client.force_login(people["dana"])
    url = reverse("portal:request_detail", args=[ticket.number])
    assert "How did we do?" not in client.get(url).content.decode()
    client.post(reverse("portal:request_solve", args=[ticket.number]))
    assert "How did we do?" in client.get(url).content.decode()
