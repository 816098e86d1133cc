"""Stories of agents working the queue in the workspace."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.models import Macro, MessageKind, SavedView, Status, StatusCategory, Ticket
from frontdesk.tickets.services import message_add

pytestmark = pytest.mark.django_db


def view(key: str) -> SavedView:
    return SavedView.objects.get(key=key, owner__isnull=True)


def login(client: Client, user) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def test_alice_finds_new_ticket_in_unassigned_and_assigns_herself(client, people, make_ticket):
    ticket = make_ticket(subject="Cannot print labels")
    login(client, people["alice"])
    page = client.get(reverse("desk:view", args=[view("unassigned").pk]))
    assert "Cannot print labels" in page.content.decode()
    response = client.post(reverse("desk:ticket_assign_me", args=[ticket.number]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == people["alice"]
    page = client.get(reverse("desk:view", args=[view("unassigned").pk]))
    assert "Cannot print labels" not in page.content.decode()
    mine = client.get(reverse("desk:view", args=[view("my-open").pk]))
    assert "Cannot print labels" in mine.content.decode()


def test_carol_of_another_team_gets_404_for_l1_ticket(client, people, make_ticket):
    ticket = make_ticket()
    login(client, people["carol"])
    assert client.get(reverse("desk:ticket", args=[ticket.number])).status_code == 404


def test_queue_page_query_count_does_not_grow_with_rows(
    client, people, make_ticket, django_assert_num_queries
):
    for i in range(3):
        make_ticket(subject=f"few {i}", assignee=people["alice"])
    login(client, people["alice"])
    url = reverse("desk:view", args=[view("my-open").pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(25):
        make_ticket(subject=f"many {i}", assignee=people["alice"], team="l2")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("data-ticket-url") == 28
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_ticket_page_query_count_does_not_grow_with_messages(client, people, make_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket()
    login(client, people["alice"])
    url = reverse("desk:ticket", args=[ticket.number])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    png = b"\x89PNG\r\n\x1a\n" + b"2" * 10
    for i in range(20):
        message_add(
            ticket=ticket,
            author=people["dana"] if i % 2 else people["alice"],
            body_text=f"message {i}",
            attachments=[IncomingFile(name=f"f{i}.png", content=png + bytes([i]))],
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('class="message ') == 21
    assert len(many.captured_queries) == len(few.captured_queries)


def test_reply_and_internal_note_look_different_and_note_is_not_public(client, people, make_ticket):
    ticket = make_ticket()
    login(client, people["alice"])
    url = reverse("desk:ticket_reply", args=[ticket.number])
    client.post(url, {"kind": "public", "body": "We are on it"})
    client.post(url, {"kind": "note", "body": "Customer is on the old plan"})
    note = ticket.messages.get(body_text="Customer is on the old plan")
    assert note.kind == MessageKind.NOTE
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert 'class="message note"' in page
    assert 'class="message from-agent"' in page


def test_reply_with_attachment_and_pending_status(client, people, make_ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket()
    login(client, people["alice"])
    pending = Status.objects.get(slug="pending")
    client.post(
        reverse("desk:ticket_reply", args=[ticket.number]),
        {
            "kind": "public",
            "body": "Log attached",
            "status": pending.pk,
            "attachments": [SimpleUploadedFile("log.txt", b"line one\n")],
        },
    )
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.PENDING
    assert ticket.messages.last().attachments.get().filename == "log.txt"


def test_empty_reply_is_refused_with_message_and_nothing_lost(client, people, make_ticket):
    ticket = make_ticket()
    login(client, people["alice"])
    response = client.post(
        reverse("desk:ticket_reply", args=[ticket.number]), {"kind": "public", "body": "  "}
    )
    assert response.status_code == 400
    assert "Write a message first." in response.content.decode()


def test_saving_over_newer_change_is_refused_and_keeps_input(client, people, make_ticket):
    ticket = make_ticket()
    stale_version = ticket.version
    bob = Client()
    login(bob, people["bob"])
    bob.post(reverse("desk:ticket_assign_me", args=[ticket.number]))
    login(client, people["alice"])
    response = client.post(
        reverse("desk:ticket_properties", args=[ticket.number]),
        {
            "subject": "My better subject",
            "ticket_type": ticket.ticket_type.pk,
            "status": ticket.status.pk,
            "urgency": "high",
            "impact": "high",
            "tags": "",
            "version": stale_version,
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed ticket" in body
    assert "My better subject" in body
    ticket.refresh_from_db()
    assert ticket.subject != "My better subject"


def test_bulk_assign_and_tag_many_tickets(client, people, make_ticket):
    tickets = [make_ticket(subject=f"bulk {i}") for i in range(3)]
    login(client, people["alice"])
    response = client.post(
        reverse("desk:bulk"),
        {
            "tickets": [t.number for t in tickets],
            "action": "update",
            "assignee": "me",
            "add_tag": "billing",
            "next": "/desk/",
        },
    )
    assert response.status_code == 302
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == people["alice"]
        assert list(ticket.tags.values_list("name", flat=True)) == ["billing"]


def test_bulk_merge_into_lowest_number(client, people, make_ticket):
    tickets = [make_ticket(subject=f"dup {i}") for i in range(3)]
    login(client, people["alice"])
    client.post(
        reverse("desk:bulk"),
        {"tickets": [t.number for t in tickets], "action": "merge", "next": "/desk/"},
    )
    survivor = Ticket.objects.get(pk=tickets[0].pk)
    assert survivor.message_count == 3
    assert Ticket.objects.filter(merged_into=survivor).count() == 2


def test_bulk_cannot_touch_tickets_agent_cannot_see(client, people, make_ticket):
    ticket = make_ticket(team="l1")
    login(client, people["carol"])
    client.post(
        reverse("desk:bulk"),
        {"tickets": [ticket.number], "action": "update", "assignee": "me", "next": "/desk/"},
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_keyset_pages_walk_every_ticket_once(client, people, make_ticket):
    numbers = {make_ticket(subject=f"page {i}").number for i in range(120)}
    login(client, people["sam"])
    url = reverse("desk:view", args=[view("all-open").pk])
    seen: list[int] = []
    import re

    while url:
        page = client.get(url).content.decode()
        seen += [int(n) for n in re.findall(r'name="tickets" value="(\d+)"', page)]
        nxt = re.search(r'href="(\?sort=[^"]+after=[^"]+)" rel="next"', page)
        url = (
            reverse("desk:view", args=[view("all-open").pk]) + nxt.group(1).replace("&amp;", "&")
            if nxt
            else None
        )
    assert sorted(seen) == sorted(numbers)


def test_search_by_word_number_and_requester(
    client, people, make_ticket, django_capture_on_commit_callbacks
):
    # The index is kept current by the outbox, which runs after commit.
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(subject="Webhook signature mismatch", body="HMAC differs")
        make_ticket(subject="Printer jam")
    login(client, people["alice"])
    page = client.get(reverse("desk:search"), {"q": "signature"}).content.decode()
    assert "Webhook signature mismatch" in page
    assert "Printer jam" not in page
    assert "Webhook signature" in client.get(reverse("desk:search"), {"q": "hmac"}).content.decode()
    response = client.get(reverse("desk:search"), {"q": f"#{ticket.number}"})
    assert response.status_code == 302
    assert "Webhook" in client.get(reverse("desk:search"), {"q": "scully"}).content.decode()


def test_search_never_shows_tickets_outside_the_agents_scope(
    client, people, make_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(subject="Secret payroll question", team="l1")
    login(client, people["carol"])
    page = client.get(reverse("desk:search"), {"q": "payroll"}).content.decode()
    assert "Secret payroll" not in page


def test_macro_preview_fills_the_composer(client, people, make_ticket):
    ticket = make_ticket()
    macro = Macro.objects.create(name="Greet", body="Hello {{requester.first_name}}")
    login(client, people["alice"])
    response = client.get(
        reverse("desk:macro_preview", args=[ticket.number]),
        {"macro": macro.pk},
    )
    assert "Hello Dana" in response.content.decode()


def test_presence_tells_alice_that_bob_is_replying(client, people, make_ticket):
    ticket = make_ticket()
    bob = Client()
    login(bob, people["bob"])
    bob.post(reverse("desk:presence", args=[ticket.number]), {"replying": "1"})
    login(client, people["alice"])
    response = client.post(
        reverse("desk:presence", args=[ticket.number]), {"version": ticket.version}
    )
    assert "Bob Agent is replying" in response.content.decode()


def test_agent_creates_own_view_that_others_do_not_see(client, people, make_ticket):
    make_ticket(subject="VIP thing", urgency="high", impact="high")
    login(client, people["alice"])
    response = client.post(
        reverse("desk:view_new"),
        {
            "name": "Urgent ones",
            "priority": ["urgent"],
            "status_category": ["new", "open"],
            "sort": "-created_at",
        },
    )
    created = SavedView.objects.get(name="Urgent ones")
    assert response.status_code == 302
    assert created.owner == people["alice"]
    assert "VIP thing" in client.get(reverse("desk:view", args=[created.pk])).content.decode()
    login(client, people["bob"])
    assert client.get(reverse("desk:view", args=[created.pk])).status_code == 404


def test_agent_logs_phone_call_as_ticket_for_new_customer(client, people):
    login(client, people["alice"])
    response = client.post(
        reverse("desk:ticket_new"),
        {
            "requester": "newcaller@example.net",
            "requester_name": "Nora Caller",
            "subject": "Called about invoice",
            "body": "Wants a copy",
            "channel": "phone",
            "ticket_type": 3,
            "urgency": "low",
            "impact": "low",
            "team": people["l1"].pk,
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Called about invoice")
    assert ticket.requester.email == "newcaller@example.net"
    assert ticket.channel == "phone"
    assert ticket.messages.get().author == people["alice"]


def test_history_lists_each_change(client, people, make_ticket):
    ticket = make_ticket()
    login(client, people["alice"])
    client.post(reverse("desk:ticket_assign_me", args=[ticket.number]))
    page = client.get(reverse("desk:ticket_history", args=[ticket.number])).content.decode()
    assert "assignee" in page
    assert "alice@example.com" in page


def test_admin_adds_a_status_and_edits_the_matrix(client, people):
    login(client, people["ada"])
    response = client.post(
        reverse("desk:settings_new", args=["statuses"]),
        {
            "name": "Waiting for parts",
            "slug": "waiting-parts",
            "category": "on_hold",
            "position": 9,
        },
    )
    assert response.status_code == 302
    assert Status.objects.filter(slug="waiting-parts", category="on_hold").exists()
    cells = {
        f"{u}__{i}": "urgent" for u in ("low", "medium", "high") for i in ("low", "medium", "high")
    }
    client.post(reverse("desk:priority_matrix"), cells)
    from frontdesk.tickets.models import PriorityMatrixCell

    assert set(PriorityMatrixCell.objects.values_list("priority__slug", flat=True)) == {"urgent"}


def test_note_attachment_is_never_served_to_customer(client, people, make_ticket):
    ticket = make_ticket()
    note = message_add(
        ticket=ticket,
        author=people["alice"],
        body_text="internal",
        kind=MessageKind.NOTE,
        attachments=[IncomingFile(name="secret.txt", content=b"x")],
    )
    attachment = note.attachments.get()
    url = reverse("attachment", args=[attachment.pk, attachment.filename])
    login(client, people["dana"])
    assert client.get(url).status_code == 404
    login(client, people["alice"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_page_sends_a_strict_content_security_policy(client, people):
    login(client, people["alice"])
    response = client.get(reverse("desk:search"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_agent_copies_a_colleague_of_the_requester(client, people, make_ticket):
    ticket = make_ticket()
    login(client, people["alice"])
    response = client.post(
        reverse("desk:ticket_properties", args=[ticket.number]),
        {
            "subject": ticket.subject,
            "ticket_type": ticket.ticket_type.pk,
            "status": ticket.status.pk,
            "urgency": "medium",
            "impact": "medium",
            "tags": "",
            "cc": "dan@acme.example, newperson@acme.example",
            "version": ticket.version,
        },
    )
    assert response.status_code == 302
    assert sorted(ticket.cc.values_list("email", flat=True)) == [
        "dan@acme.example",
        "newperson@acme.example",
    ]
    bad = client.post(
        reverse("desk:ticket_properties", args=[ticket.number]),
        {
            "subject": ticket.subject,
            "ticket_type": ticket.ticket_type.pk,
            "status": ticket.status.pk,
            "urgency": "medium",
            "impact": "medium",
            "tags": "",
            "cc": "not-an-address",
            "version": ticket.version + 1,
        },
    )
    assert bad.status_code == 400
    assert "is not an email address" in bad.content.decode()


def test_customer_api_search_never_matches_words_only_in_internal_notes(people, make_ticket):
    from frontdesk.search.selectors import ticket_search

    ticket = make_ticket(subject="Invoice wrong")
    message_add(
        ticket=ticket,
        author=people["alice"],
        body_text="customer is a grumbler",
        kind=MessageKind.NOTE,
    )
    message_add(ticket=ticket, author=people["alice"], body_text="We corrected the total")
    assert ticket_search(people["dana"], "grumbler") == []
    assert ticket_search(people["dana"], "corrected") == [ticket]
    assert ticket_search(people["erik"], "corrected") == []


def test_ticket_updated_after_alice_saw_it_stands_out_as_unread(client, people, make_ticket):
    ticket = make_ticket(subject="Watch me", assignee=people["alice"])
    login(client, people["alice"])
    queue = reverse("desk:view", args=[view("my-open").pk])
    assert 'class="unread"' in client.get(queue).content.decode()
    client.get(reverse("desk:ticket", args=[ticket.number]))
    ticket.refresh_from_db()
    client.post(reverse("desk:presence", args=[ticket.number]), {"version": ticket.version})
    assert 'class="unread"' not in client.get(queue).content.decode()
    message_add(ticket=ticket, author=people["dana"], body_text="Any news?")
    assert 'class="unread"' in client.get(queue).content.decode()


@pytest.fixture
def no_extensions(monkeypatch):
    """The workspace alone: what other apps add to the ticket page is theirs to count."""
    from frontdesk.desk import extensions

    for kind in list(extensions._registry):
        monkeypatch.setitem(extensions._registry, kind, {})
    return extensions


def test_ticket_page_reads_a_fixed_few_queries_of_its_own(
    client, people, make_ticket, no_extensions, django_assert_num_queries
):
    ticket = make_ticket(cc=[people["dan"]], tags=["printer"])
    login(client, people["alice"])
    url = reverse("desk:ticket", args=[ticket.number])
    client.get(url)
    # session, user, teams, ticket, custom fields, tags, cc, messages, attachments, team and
    # agent choices (types, statuses and priorities come from the cached configuration),
    # macros, requester's other tickets, links, sidebar views
    with django_assert_num_queries(15):
        page = client.get(url).content.decode()
    assert "dan@acme.example" in page
    assert '<option value="open">' not in page  # choices are by id, as before
    status = Status.objects.get(slug="new")
    assert f'<option value="{status.pk}" selected>{status.label}</option>' in page


def test_deferred_panel_loads_after_the_page(client, people, make_ticket, no_extensions):
    calls = []

    def slow_context(ticket, user):  # type: ignore[no-untyped-def]
        calls.append(user.email)
        return {"key": "inner"}

    no_extensions.register(
        no_extensions.TicketPanel(
            key="slow", template="desk/_deferred_panel.html", context=slow_context, deferred=True
        )
    )
    ticket = make_ticket()
    login(client, people["alice"])
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    panel_url = reverse("desk:ticket_panel", args=[ticket.number, "slow"])
    assert f'hx-get="{panel_url}"' in page
    assert calls == []  # the page did not wait for it
    panel = client.get(panel_url)
    assert panel.status_code == 200
    assert calls == ["alice@example.com"]
    assert reverse("desk:ticket_panel", args=[ticket.number, "inner"]) in panel.content.decode()
    assert client.get(reverse("desk:ticket_panel", args=[ticket.number, "nope"])).status_code == 404
    login(client, people["carol"])
    assert client.get(panel_url).status_code == 404
