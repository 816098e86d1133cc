"""Stories about the conversation through the API: replies, notes and attachments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.tickets.models import Message, MessageKind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def messages_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.number}/messages/"


def test_note_is_hidden_from_customer(api_as, dana_ticket):
    note = api_as("alice").post(
        messages_url(dana_ticket),
        {"body": "Customer is on the old firmware", "kind": "note"},
        format="json",
    )
    assert note.status_code == 201, note.content
    assert note.json()["kind"] == "note"

    seen_by_dana = api_as("dana").get(messages_url(dana_ticket)).json()["results"]
    assert [m["kind"] for m in seen_by_dana] == ["public"]
    assert "firmware" not in str(seen_by_dana)
    seen_by_bob = api_as("bob").get(messages_url(dana_ticket)).json()["results"]
    assert [m["kind"] for m in seen_by_bob] == ["public", "note"]


def test_customer_cannot_write_internal_note(api_as, dana_ticket):
    response = api_as("dana").post(
        messages_url(dana_ticket), {"body": "psst", "kind": "note"}, format="json"
    )
    assert response.status_code == 403
    assert not Message.objects.filter(kind=MessageKind.NOTE).exists()


def test_outsiders_get_404_for_the_conversation(api_as, dana_ticket):
    assert api_as("erik").get(messages_url(dana_ticket)).status_code == 404
    assert (
        api_as("carol").post(messages_url(dana_ticket), {"body": "hi"}, format="json").status_code
        == 404
    )


def test_agent_reply_with_status_opens_pending(api_as, dana_ticket):
    response = api_as("alice").post(
        messages_url(dana_ticket), {"body": "Which model?", "status": "pending"}, format="json"
    )
    assert response.status_code == 201
    dana_ticket.refresh_from_db()
    assert dana_ticket.status.slug == "pending"
    assert dana_ticket.first_response_at is not None
    refused = api_as("dana").post(
        messages_url(dana_ticket), {"body": "x", "status": "solved"}, format="json"
    )
    assert refused.status_code == 400 and "status" in refused.json()


def test_customer_reply_with_attachment_has_download_url(api_as, dana_ticket, people, client):
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    response = api_as("dana").post(
        messages_url(dana_ticket),
        {"body": "Here is a screenshot", "attachments": [upload]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["filename"] == "screen.png"
    assert attachment["size"] == len(PNG)
    assert attachment["url"].startswith("http://testserver/attachments/")
    listed = api_as("alice").get(messages_url(dana_ticket)).json()["results"]
    assert listed[-1]["attachments"] == [attachment]

    client.force_login(people["dana"])
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG


def test_blocked_attachment_names_the_field(api_as, dana_ticket):
    upload = SimpleUploadedFile("setup.exe", b"MZ...", content_type="application/octet-stream")
    response = api_as("dana").post(
        messages_url(dana_ticket), {"body": "run this", "attachments": [upload]}, format="multipart"
    )
    assert response.status_code == 400
    assert "attachments" in response.json()


def test_customer_reply_on_closed_ticket_starts_follow_up(api_as, dana_ticket, people):
    from frontdesk.tickets.models import Status
    from frontdesk.tickets.services import ticket_update

    ticket_update(
        ticket=dana_ticket,
        actor=people["alice"],
        changes={"status": Status.objects.get(slug="closed")},
    )
    response = api_as("dana").post(messages_url(dana_ticket), {"body": "It is back"}, format="json")
    assert response.status_code == 201
    assert response.json()["ticket"] != dana_ticket.number


def test_message_list_query_count_is_fixed(api_as, dana_ticket, django_assert_max_num_queries):
    client = api_as("alice")
    for n in range(15):
        client.post(
            messages_url(dana_ticket),
            {"body": f"update {n}", "attachments": [SimpleUploadedFile(f"log{n}.txt", b"line")]},
            format="multipart",
        )
    # token, ticket, team ids, messages with authors, attachments.
    with django_assert_max_num_queries(6):
        assert len(client.get(messages_url(dana_ticket)).json()["results"]) == 16


def test_token_client_downloads_attachment_only_where_it_may_see_it(api_as, dana_ticket):
    upload = SimpleUploadedFile("notes.txt", b"internal detail")
    note = api_as("alice").post(
        messages_url(dana_ticket),
        {"body": "see file", "kind": "note", "attachments": [upload]},
        format="multipart",
    )
    api_url = note.json()["attachments"][0]["api_url"]
    download = api_as("bob").get(api_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"internal detail"
    assert download["Content-Disposition"].startswith("attachment")
    assert api_as("dana").get(api_url).status_code == 404  # a file on a note
    assert api_as("carol").get(api_url).status_code == 404
    assert api_as(None).get(api_url).status_code == 401
