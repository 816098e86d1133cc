"""Bad input is a 400 that names the field; tokens are personal and stored hashed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
import time_machine

from frontdesk.accounts.models import ApiToken
from frontdesk.accounts.services import api_token_create, api_token_revoke
from frontdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no subject"}, "subject"),
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "x" * 251, "body": "x"}, "subject"),
        ({"subject": {"nested": 1}, "body": "x"}, "subject"),
        ({"subject": "x", "body": "x" * 200_001}, "body"),
        ({"subject": "x"}, "body"),
        ({"subject": "x", "body": "x", "urgency": "apocalyptic"}, "urgency"),
        ({"subject": "x", "body": "x", "ticket_type": "no-such-type"}, "ticket_type"),
        ({"subject": "x", "body": "x", "ticket_type": ["incident"]}, "ticket_type"),
        ({"subject": "x", "body": "x", "team": "abc"}, "team"),
        ({"subject": "x", "body": "x", "team": 10**30}, "team"),
        ({"subject": "x", "body": "x", "team": 999_999}, "team"),
        ({"subject": "x", "body": "x", "assignee": True}, "assignee"),
        ({"subject": "x", "body": "x", "requester": "not-an-email"}, "requester"),
        ({"subject": "x", "body": "x", "cc": ["ok@example.com", "@@"]}, "cc"),
        ({"subject": "x", "body": "x", "tags": "one,two"}, "tags"),
        ({"subject": "x", "body": "x", "tags": ["x" * 61]}, "tags"),
        ({"subject": "x", "body": "x", "custom_fields": ["a"]}, "custom_fields"),
        ({"subject": "x", "body": "x", "custom_fields": {"nope": 1}}, "custom_fields.nope"),
        ({"subject": "x", "body": "x", "stauts": "open"}, "stauts"),
    ],
)
def test_bad_payload_names_the_field(api_as, people, payload, field):
    response = api_as("alice").post(TICKETS, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"priority": 3}, "priority"),
        ({"assignee": 10**20}, "assignee"),
        ({"assignee": "dana"}, "assignee"),
        ({"due_at": "soon"}, "due_at"),
        ({"version": "two"}, "version"),
        ({"version": 0}, "version"),
        ({"requester": "x@"}, "requester"),
        ({"organization": -1}, "organization"),
        ({"language": "tlh"}, "language"),
        ({"subject": "   "}, "subject"),
    ],
)
def test_bad_patch_names_the_field(api_as, dana_ticket, payload, field):
    response = api_as("alice").patch(f"{TICKETS}{dana_ticket.number}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_assigning_a_customer_is_refused_by_the_service(api_as, dana_ticket, people):
    response = api_as("alice").patch(
        f"{TICKETS}{dana_ticket.number}/", {"assignee": people["dana"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_malformed_json_is_a_400(api_as):
    response = api_as("dana").generic(
        "POST", TICKETS, '{"subject": "x", ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    not_an_object = api_as("dana").post(TICKETS, ["subject"], format="json")
    assert not_an_object.status_code == 400


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        base64.b64encode(b"p=abc").decode(),
        base64.b64encode(b"p=" + b"9" * 40).decode(),
        base64.b64encode(b"o=-5&p=1").decode(),
        base64.b64encode(b"r=x").decode(),
    ],
)
def test_bad_cursor_is_a_400_naming_cursor(api_as, dana_ticket, cursor):
    response = api_as("alice").get(TICKETS, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()


def test_pages_follow_the_cursor(api_as, make_ticket):
    made = [make_ticket(subject=f"t{n}").number for n in range(5)]
    client = api_as("alice")
    first = client.get(TICKETS, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [r["number"] for page in (first, second, third) for r in page["results"]]
    assert seen == sorted(made, reverse=True)
    assert third["next"] is None


def test_unknown_numbers_and_ids_are_404(api_as):
    client = api_as("ada")
    assert client.get(f"{TICKETS}999999/").status_code == 404
    assert client.get(f"{TICKETS}{'9' * 30}/").status_code == 404
    assert client.get("/api/v1/users/999999/").status_code == 404
    assert client.get("/api/v1/macros/999999/").status_code == 404
    assert client.get("/api/v1/views/999999/tickets/").status_code == 404


def test_anonymous_caller_is_told_to_authenticate(api_as, dana_ticket):
    response = api_as(None).get(TICKETS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert api_as(None).get(f"{TICKETS}{dana_ticket.number}/").status_code == 401


def test_token_is_stored_hashed(api_as, people):
    token, key = api_token_create(user=people["dana"], name="laptop")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(v) for v in stored.values()]
    assert stored["digest"] != key and len(stored["digest"]) == 64

    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["email"] == "dana@example.com"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me/").status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}x")
    assert client.get("/api/v1/me/").status_code == 401


def test_token_of_a_deactivated_person_is_refused_and_use_is_recorded(api_as, people):
    token, key = api_token_create(user=people["alice"], name="ci")
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with time_machine.travel("2026-12-07 09:00:00+00:00", tick=False):
        assert client.get("/api/v1/me/").json()["email"] == "alice@example.com"
    token.refresh_from_db()
    assert token.last_used_at == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with time_machine.travel("2026-12-07 09:00:30+00:00", tick=False):
        assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()  # within the minute: not written again
    assert token.last_used_at == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with time_machine.travel("2026-12-07 09:02:00+00:00", tick=False):
        assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == datetime(2026, 12, 7, 9, 2, tzinfo=UTC)
    people["alice"].is_active = False
    people["alice"].save(update_fields=["is_active"])
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_session_login_works_too_with_csrf(people, dana_ticket):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people["dana"])
    assert client.get(TICKETS).status_code == 200
    # A session is a browser: unsafe methods need the CSRF token.
    assert client.post(TICKETS, {"subject": "x", "body": "y"}, format="json").status_code == 403
