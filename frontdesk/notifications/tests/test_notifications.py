"""Agents hear about what matters; customers get their texts, in their language, once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from frontdesk.core.clock import now
from frontdesk.notifications.models import MailJob, Notification, NotificationTemplate
from frontdesk.notifications.services import preferences_save
from frontdesk.tickets.models import MessageKind, Status
from frontdesk.tickets.services import message_add, ticket_assign, ticket_update

pytestmark = pytest.mark.django_db


def ours(to):
    """Mail the desk sent through its mail jobs (not, e.g., the reporting app's survey)."""
    subjects = set(MailJob.objects.values_list("subject", flat=True))
    return [m for m in mail.outbox if m.to == [to] and m.subject in subjects]


def titles(user):
    return [n.title for n in Notification.objects.filter(user=user).order_by("pk")]


def test_bob_hears_when_alice_assigns_him_a_ticket_but_nobody_for_self_assignment(
    people, make_ticket, settle
):
    ticket = make_ticket(subject="Broken VPN")
    ticket_assign(ticket=ticket, agent=people["bob"], actor=people["alice"])
    settle()
    assert titles(people["bob"]) == [f"#{ticket.number} assigned to you: Broken VPN"]
    other = make_ticket(subject="Mine")
    ticket_assign(ticket=other, agent=people["alice"], actor=people["alice"])
    settle()
    assert not any("Mine" in t for t in titles(people["alice"]))
    # Email too (the default for assignments), marked as sent by a robot.
    sent = [m for m in mail.outbox if m.to == ["bob@example.com"]]
    assert len(sent) == 1
    assert sent[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_mentions_in_notes_tell_the_named_agents(people, make_ticket, settle):
    ticket = make_ticket()
    message_add(
        ticket=ticket,
        author=people["alice"],
        kind=MessageKind.NOTE,
        body_text="@bob can you look? cc @carol@example.com and @nobody, mail a@b.example",
    )
    settle()
    assert len(titles(people["bob"])) == 1
    assert len(titles(people["carol"])) == 1
    assert titles(people["alice"]) == []  # the author is not told about their own note


def test_preferences_decide_in_app_and_email(people, make_ticket, settle, client):
    preferences_save(user=people["bob"], choices={"assigned": (False, False)})
    ticket = make_ticket()
    ticket_assign(ticket=ticket, agent=people["bob"], actor=people["alice"])
    settle()
    assert titles(people["bob"]) == []
    assert not [m for m in mail.outbox if m.to == ["bob@example.com"]]
    client.force_login(people["bob"])
    response = client.post("/notifications/preferences/", {"assigned_in_app": "1"})
    assert response.status_code == 302
    other = make_ticket(subject="Second")
    ticket_assign(ticket=other, agent=people["bob"], actor=people["alice"])
    settle()
    assert len(titles(people["bob"])) == 1
    assert not [m for m in mail.outbox if m.to == ["bob@example.com"]]


def test_the_bell_counts_unread_and_the_list_marks_read(
    people, make_ticket, settle, client, django_assert_max_num_queries
):
    for i in range(3):
        ticket = make_ticket(subject=f"Request {i}")
        ticket_assign(ticket=ticket, agent=people["bob"], actor=people["alice"])
    settle()
    client.force_login(people["bob"])
    bell = client.get("/notifications/bell/").content.decode()
    assert '<span class="count">3</span>' in bell
    with django_assert_max_num_queries(8):
        page = client.get("/notifications/")
    assert page.content.decode().count('class="unread"') == 3
    first = Notification.objects.filter(user=people["bob"]).order_by("pk").first()
    response = client.get(f"/notifications/{first.pk}/")
    assert response["Location"] == f"/desk/tickets/{first.ticket.number}/"
    assert '<span class="count">2</span>' in client.get("/notifications/bell/").content.decode()
    client.post("/notifications/read/", {"all": "1"})
    assert 'class="count"' not in client.get("/notifications/bell/").content.decode()
    # Nobody else can open Bob's notification.
    client.force_login(people["alice"])
    assert client.get(f"/notifications/{first.pk}/").status_code == 404


def test_sla_alarms_and_escalations_notify(people, make_ticket, settle):
    from frontdesk.core.services import outbox_add

    ticket = make_ticket()
    ticket_assign(ticket=ticket, agent=people["alice"], actor=people["bob"])
    settle()
    payload = {"ticket_id": ticket.pk, "target": "first_response", "cycle": 0, "kind": "breach"}
    outbox_add(topic="sla.breach", payload=payload)
    outbox_add(topic="sla.breach", payload=payload)  # a second scanner: told once
    outbox_add(
        topic="sla.notify",
        payload={"ticket_id": ticket.pk, "run_id": 77, "user_ids": [people["sam"].pk]},
    )
    settle()
    assert sum("breached its SLA" in t for t in titles(people["alice"])) == 1
    assert titles(people["sam"]) == [f"#{ticket.number} was escalated: {ticket.subject}"]


def test_solved_customers_get_a_reopen_link_once_in_their_language(people, make_ticket, settle):
    solved = Status.objects.filter(category="solved").first()
    ticket = make_ticket(requester=people["erik"], subject="Skrivaren")
    mail.outbox.clear()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    from frontdesk.notifications.handlers import on_ticket_changed

    on_ticket_changed({"ticket_id": ticket.pk})  # a retried job
    settle()
    sent = ours("erik@example.org")
    assert len(sent) == 1
    assert (
        f"/portal/requests/{ticket.number}/" in sent[0].body or str(ticket.number) in sent[0].body
    )
    assert sent[0].extra_headers["Content-Language"] == "sv"
    assert MailJob.objects.filter(key__startswith="solved:").count() == 1


def test_admins_edit_the_customer_texts_per_language(people, make_ticket, settle, client):
    client.force_login(people["ada"])
    url = "/notifications/customer-emails/solved/en/"
    assert "{{ticket.reopen_until}}" in client.get(url).content.decode()
    bad = client.post(url, {"subject": "Done {{ticket.secret}}", "body": "x", "active": "1"})
    assert bad.status_code == 400
    client.post(
        url,
        {
            "subject": "Solved: #{{ticket.number}}",
            "body": "Hi {{requester.first_name}}, reopen here: {{ticket.url}}",
            "active": "1",
        },
    )
    assert NotificationTemplate.objects.get(event="solved", language="en").active
    ticket = make_ticket()
    mail.outbox.clear()
    solved = Status.objects.filter(category="solved").first()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    sent = ours("dana@example.com")
    assert [m.subject for m in sent] == [f"Solved: #{ticket.number}"]
    assert sent[0].body.startswith("Hi Dana, reopen here: http")
    # Switched off: nothing is sent.
    client.post(url, {"subject": "x", "body": "y"})
    other = make_ticket()
    mail.outbox.clear()
    ticket_update(ticket=other, actor=people["alice"], changes={"status": solved})
    settle()
    assert not ours("dana@example.com")


def _count_queries(queries) -> int:
    return sum(1 for q in queries if "notifications_notification" in q["sql"])


def test_desk_pages_show_the_bell_without_asking_the_database_again(
    people, make_ticket, settle, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["bob"])
    queue = reverse("desk:home")
    page = client.get(queue, follow=True)
    assert 'id="notification-bell"' in page.content.decode()
    with CaptureQueriesContext(connection) as second:
        page = client.get(queue, follow=True).content.decode()
    assert _count_queries(second.captured_queries) == 0
    assert "Notifications, 0 unread" in page
    # Alice hands Bob a ticket: his next page shows it (counted once, when it changed).
    ticket = make_ticket(subject="Broken VPN")
    ticket_assign(ticket=ticket, agent=people["bob"], actor=people["alice"])
    settle()
    assert "Notifications, 1 unread" in client.get(queue, follow=True).content.decode()
    # Reading it clears the bell on the next page.
    client.post("/notifications/read/", {"all": "1"})
    settle()  # the request's commit
    assert "Notifications, 0 unread" in client.get(queue, follow=True).content.decode()


def test_a_notification_made_by_the_job_process_reaches_the_web_process_bell(
    people, client, settings, tmp_path
):
    """Embedded mode: the job consumer is another process with its own cache; the change
    reaches the web server's cached count through the shared generation file."""
    from frontdesk.notifications import services

    settings.VAR_DIR = tmp_path
    client.force_login(people["bob"])
    client.get(reverse("desk:home"), follow=True)  # the web process caches 0
    Notification.objects.create(
        user=people["bob"], kind="assigned", title="From the worker", key="w1", created_at=now()
    )
    # The other process moves the generation; this process's cache entry stays.
    services.generation_move(people["bob"].pk)
    page = client.get(reverse("desk:home"), follow=True).content.decode()
    assert "Notifications, 1 unread" in page


def test_a_reader_without_an_admin_text_in_their_language_gets_the_builtin_one(
    people, make_ticket, settle
):
    from frontdesk.notifications.customer import template_save

    template_save(event="solved", language="en", subject="All done", body="Bye", active=True)
    solved = Status.objects.filter(category="solved").first()
    english, swedish = make_ticket(), make_ticket(requester=people["erik"], subject="Skrivaren")
    mail.outbox.clear()
    for ticket in (english, swedish):
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    assert [m.subject for m in ours("dana@example.com")] == ["All done"]
    erik = ours("erik@example.org")
    assert len(erik) == 1 and erik[0].subject != "All done" and erik[0].body != "Bye"
    assert erik[0].extra_headers["Content-Language"] == "sv"


def test_a_reply_to_the_solved_mail_joins_the_ticket_thread(people, make_ticket, settle):
    from frontdesk.mail.tokens import token_verify, tokens_in_addresses

    solved = Status.objects.filter(category="solved").first()
    ticket = make_ticket()
    mail.outbox.clear()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    (sent,) = ours("dana@example.com")
    headers = sent.extra_headers
    assert headers["X-Frontdesk-Ticket"] == str(ticket.number)
    (token,) = tokens_in_addresses([headers["Reply-To"]])
    assert token_verify(token=token, email="dana@example.com") == ticket.pk
    assert headers["Message-ID"].startswith("<") and token in headers["Message-ID"]
