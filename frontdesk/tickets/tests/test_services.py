"""Stories about tickets moving through the desk, told through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.models import (
    CustomField,
    EventKind,
    Macro,
    MessageKind,
    Priority,
    Status,
    StatusCategory,
    Ticket,
    TicketLink,
)
from frontdesk.tickets.services import (
    TicketConflict,
    macro_apply,
    macro_render,
    message_add,
    message_split,
    priority_matrix_set,
    ticket_assign,
    ticket_link,
    ticket_merge,
    ticket_set_status_by_requester,
    ticket_update,
    tickets_bulk_update,
)

pytestmark = pytest.mark.django_db


def test_new_ticket_gets_next_number_priority_from_matrix_and_created_event(make_ticket):
    first = make_ticket()
    second = make_ticket(urgency="high", impact="high")
    assert second.number == first.number + 1
    assert first.priority.slug == "normal"
    assert second.priority.slug == "urgent"
    assert first.status_category == StatusCategory.NEW
    assert first.organization.name == "Acme"
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.MESSAGE]
    assert first.message_count == 1
    assert first.last_customer_message_at is not None


def test_agent_reply_sets_first_response_once_and_opens_ticket(make_ticket, people):
    ticket = make_ticket()
    with time_machine.travel(ticket.created_at + timedelta(minutes=30)):
        message_add(ticket=ticket, author=people["alice"], body_text="Looking into it.")
    with time_machine.travel(ticket.created_at + timedelta(minutes=90)):
        message_add(ticket=ticket, author=people["alice"], body_text="Still on it.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.created_at + timedelta(minutes=30)
    assert ticket.agent_reply_count == 2
    assert ticket.status_category == StatusCategory.OPEN


def test_internal_note_does_not_count_as_first_response(make_ticket, people):
    ticket = make_ticket()
    message_add(
        ticket=ticket, author=people["alice"], body_text="Checking logs", kind=MessageKind.NOTE
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_customer_cannot_write_internal_note(make_ticket, people):
    ticket = make_ticket()
    with pytest.raises(PermissionDenied):
        message_add(ticket=ticket, author=people["dana"], body_text="x", kind=MessageKind.NOTE)


def test_customer_reply_reopens_solved_ticket(make_ticket, people):
    ticket = make_ticket()
    ticket_update(
        ticket=ticket, actor=people["alice"], changes={"status": Status.objects.get(slug="solved")}
    )
    message_add(ticket=ticket, author=people["dana"], body_text="Broken again")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.reopened_count == 1
    assert ticket.solved_at is None


def test_customer_reply_on_closed_ticket_opens_linked_follow_up(make_ticket, people):
    ticket = make_ticket(subject="VPN down")
    ticket_update(
        ticket=ticket, actor=people["alice"], changes={"status": Status.objects.get(slug="closed")}
    )
    message = message_add(ticket=ticket, author=people["dana"], body_text="Down again")
    assert message.ticket_id != ticket.pk
    assert message.ticket.subject == "Follow-up: VPN down"
    assert TicketLink.objects.filter(source=ticket, target=message.ticket).exists()


def test_html_body_is_sanitized(make_ticket, people):
    ticket = make_ticket()
    message = message_add(
        ticket=ticket,
        author=people["dana"],
        body_text="",
        body_html='<p onclick="x()">Hi<script>alert(1)</script></p>',
    )
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert message.body_text == "Hi"


def test_required_on_solve_field_blocks_solving_until_filled(make_ticket, people):
    CustomField.objects.create(
        key="root_cause",
        label="Root cause",
        field_type="choice",
        choices=["hardware", "software"],
        required_on_solve=True,
    )
    ticket = make_ticket()
    solved = Status.objects.get(slug="solved")
    with pytest.raises(ValidationError) as excinfo:
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    assert "custom_fields.root_cause" in excinfo.value.message_dict
    ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={"status": solved, "custom_fields": {"root_cause": "hardware"}},
    )
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.SOLVED
    assert ticket.custom_fields == {"root_cause": "hardware"}


def test_custom_field_rejects_value_outside_choices(make_ticket, people):
    CustomField.objects.create(
        key="product", label="Product", field_type="choice", choices=["app", "api"]
    )
    ticket = make_ticket()
    with pytest.raises(ValidationError) as excinfo:
        ticket_update(
            ticket=ticket, actor=people["alice"], changes={"custom_fields": {"product": "toaster"}}
        )
    assert "custom_fields.product" in excinfo.value.message_dict


def test_stale_version_is_refused_with_clear_message(make_ticket, people):
    ticket = make_ticket()
    loaded_version = ticket.version
    ticket_assign(
        ticket=ticket, agent=people["bob"], actor=people["bob"], expected_version=loaded_version
    )
    with pytest.raises(TicketConflict, match="changed ticket"):
        ticket_assign(
            ticket=ticket,
            agent=people["alice"],
            actor=people["alice"],
            expected_version=loaded_version,
        )
    ticket.refresh_from_db()
    assert ticket.assignee == people["bob"]


def test_agent_priority_override_survives_urgency_change_until_reset(make_ticket, people):
    ticket = make_ticket()
    ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={"priority": Priority.objects.get(slug="urgent")},
    )
    ticket_update(ticket=ticket, actor=people["alice"], changes={"urgency": "low"})
    ticket.refresh_from_db()
    assert ticket.priority.slug == "urgent"
    ticket_update(ticket=ticket, actor=people["alice"], changes={"priority": None})
    ticket.refresh_from_db()
    assert ticket.priority.slug == "low"


def test_admin_matrix_change_recomputes_open_tickets(make_ticket):
    ticket = make_ticket()
    priority_matrix_set(cells={("medium", "medium"): Priority.objects.get(slug="high")})
    ticket.refresh_from_db()
    assert ticket.priority.slug == "high"


def test_every_change_is_an_event_with_old_and_new(make_ticket, people):
    ticket = make_ticket()
    events = ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={"assignee": people["alice"], "add_tags": ["vpn"]},
    )
    fields = {(e.field, e.old_value, e.new_value) for e in events}
    assert ("assignee", "", "alice@example.com") in fields
    assert ("tags", "", "vpn") in fields
    assert ("status", "new", "open") in fields


def test_merge_moves_messages_and_people_and_points_to_survivor(make_ticket, people):
    target = make_ticket(subject="Outage")
    source = make_ticket(requester=people["dan"], subject="Outage too")
    message_add(ticket=source, author=people["dan"], body_text="Still down")
    ticket_merge(source=source, target=target, actor=people["alice"])
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target
    assert source.status_category == StatusCategory.CLOSED
    assert target.message_count == 3
    assert people["dan"] in target.cc.all()


def test_split_moves_one_message_to_a_new_linked_ticket(make_ticket, people):
    ticket = make_ticket()
    extra = message_add(ticket=ticket, author=people["dana"], body_text="Also: my mouse died")
    new_ticket = message_split(message=extra, actor=people["alice"])
    assert new_ticket.messages.get() == extra
    assert TicketLink.objects.filter(source=ticket, target=new_ticket).exists()
    ticket.refresh_from_db()
    assert ticket.message_count == 1


def test_parent_link_cannot_be_circular(make_ticket, people):
    a, b = make_ticket(), make_ticket()
    ticket_link(source=a, target=b, kind="parent", actor=people["alice"])
    with pytest.raises(ValidationError):
        ticket_link(source=b, target=a, kind="parent", actor=people["alice"])


def test_macro_fills_placeholders_and_sets_fields(make_ticket, people):
    ticket = make_ticket()
    macro = Macro.objects.create(
        name="Reset link",
        body="Hi {{requester.first_name}}, ticket {{ticket.number}} "
        "is handled by {{agent.first_name}}. {{unknown.thing}}",
        actions={"status": "pending", "add_tags": ["password"], "assignee": "me"},
    )
    text = macro_render(macro=macro, ticket=ticket, agent=people["alice"])
    assert text.startswith(f"Hi Dana, ticket {ticket.number} is handled by Alice.")
    assert "{{unknown.thing}}" in text
    macro_apply(macro=macro, ticket=ticket, actor=people["alice"])
    ticket.refresh_from_db()
    assert ticket.status.slug == "pending"
    assert ticket.assignee == people["alice"]
    assert list(ticket.tags.values_list("name", flat=True)) == ["password"]
    assert ticket.messages.filter(from_agent=True).count() == 1


def test_bulk_update_reports_refusals_and_applies_the_rest(make_ticket, people):
    CustomField.objects.create(
        key="cause", label="Cause", field_type="text", required_on_solve=True
    )
    ok = make_ticket()
    blocked = make_ticket()
    ticket_update(ticket=ok, actor=people["alice"], changes={"custom_fields": {"cause": "x"}})
    result = tickets_bulk_update(
        tickets=[ok, blocked],
        actor=people["alice"],
        changes={"status": Status.objects.get(slug="solved")},
    )
    assert result.updated == [ok.number]
    assert blocked.number in result.failed


def test_customer_solves_then_reopens_within_window_but_not_after(make_ticket, people):
    ticket = make_ticket()
    ticket_set_status_by_requester(ticket=ticket, actor=people["dana"], solve=True)
    ticket_set_status_by_requester(ticket=ticket, actor=people["dana"], solve=False)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    ticket_set_status_by_requester(ticket=ticket, actor=people["dana"], solve=True)
    with (
        time_machine.travel(ticket.updated_at + timedelta(days=30)),
        pytest.raises(ValidationError),
    ):
        ticket_set_status_by_requester(ticket=ticket, actor=people["dana"], solve=False)


def test_attachments_are_deduplicated_and_dangerous_types_refused(make_ticket, people):
    ticket = make_ticket()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    one = message_add(
        ticket=ticket,
        author=people["dana"],
        body_text="a",
        attachments=[IncomingFile(name="shot.png", content=png)],
    )
    two = message_add(
        ticket=ticket,
        author=people["dana"],
        body_text="b",
        attachments=[IncomingFile(name="../../copy.png", content=png)],
    )
    a1, a2 = one.attachments.get(), two.attachments.get()
    assert a1.blob_id == a2.blob_id
    assert a2.filename == "copy.png"
    with pytest.raises(ValidationError):
        message_add(
            ticket=ticket,
            author=people["dana"],
            body_text="c",
            attachments=[IncomingFile(name="setup.exe", content=b"MZ")],
        )
    with pytest.raises(ValidationError):
        message_add(
            ticket=ticket,
            author=people["dana"],
            body_text="d",
            attachments=[IncomingFile(name="fake.png", content=b"<html>")],
        )
    assert Ticket.objects.get(pk=ticket.pk).message_count == 3


def test_a_message_with_several_files_stores_each_content_once_and_reads_back(
    make_ticket, people, settings, tmp_path
):
    """The same picture twice in one message and again in the next is one blob and one
    file; a file left behind by a rolled-back write is reused, never copied under a new
    name; a message's files cost two statements however many there are."""
    import hashlib

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontdesk.tickets.models import Blob

    settings.MEDIA_ROOT = str(tmp_path)
    ticket = make_ticket()
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 200
    pdf = b"%PDF-1.4 report"
    digest = hashlib.sha256(b"left behind").hexdigest()
    left_behind = tmp_path / "blobs" / digest[:2] / digest[2:4] / digest
    left_behind.parent.mkdir(parents=True)
    left_behind.write_bytes(b"left behind")
    files = [
        IncomingFile(name="shot.png", content=png),
        IncomingFile(name="report.pdf", content=pdf),
        IncomingFile(name="shot-again.png", content=png, inline=True),
        IncomingFile(name="notes.txt", content=b"left behind"),
    ]

    with CaptureQueriesContext(connection) as captured:
        message = message_add(
            ticket=ticket, author=people["dana"], body_text="see files", attachments=files
        )
    again = message_add(
        ticket=ticket,
        author=people["dana"],
        body_text="once more",
        attachments=[IncomingFile(name="shot3.png", content=png)],
    )

    stored = list(message.attachments.order_by("pk"))
    assert [(a.filename, a.content_type, a.size, a.inline) for a in stored] == [
        ("shot.png", "image/png", len(png), False),
        ("report.pdf", "application/pdf", len(pdf), False),
        ("shot-again.png", "image/png", len(png), True),
        ("notes.txt", "text/plain", 11, False),
    ]
    assert stored[0].blob_id == stored[2].blob_id == again.attachments.get().blob_id
    assert Blob.objects.count() == 3
    for attachment, content in zip(stored, [png, pdf, png, b"left behind"], strict=True):
        with attachment.blob.file.open("rb") as handle:
            assert handle.read() == content
    assert Blob.objects.get(sha256=digest).file.name == f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
    files_on_disk = sorted(p for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    assert len(files_on_disk) == 3
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if "tickets_blob" in q["sql"] or "tickets_attachment" in q["sql"]
    ]
    assert len(writes) == 2


def test_ticket_an_agent_logs_for_a_caller_has_no_first_response_yet(people):
    from frontdesk.tickets.intake import InboundMessage
    from frontdesk.tickets.models import Channel
    from frontdesk.tickets.services import message_receive

    message = message_receive(
        inbound=InboundMessage(
            channel=Channel.PHONE,
            author=people["alice"],
            requester=people["dana"],
            subject="Called: cannot log in",
            body_text="Caller cannot log in since 9:00",
        )
    )
    ticket = Ticket.objects.get(pk=message.ticket_id)
    assert ticket.first_response_at is None
    assert ticket.agent_reply_count == 0
    assert ticket.last_customer_message_at == ticket.created_at


# --- what a write costs -----------------------------------------------------------------------


def test_opening_a_ticket_and_replying_each_take_a_fixed_few_queries(
    make_ticket, people, django_assert_num_queries
):
    from django.db import connection

    from frontdesk.core.models import OutboxEntry
    from frontdesk.tickets.intake import InboundMessage
    from frontdesk.tickets.models import Channel
    from frontdesk.tickets.services import message_receive

    make_ticket()  # the desk's configuration (types, statuses, matrix) is read once
    inbound = InboundMessage(
        channel=Channel.PORTAL, author=people["dana"], subject="VPN down", body_text="Since 9."
    )
    # savepoint, number (SQLite's counter row; PostgreSQL's INSERT takes it from the
    # sequence and returns it), ticket, message, both events, both outbox entries, release
    with django_assert_num_queries(7 if connection.vendor == "sqlite" else 6):
        ticket = message_receive(inbound=inbound).ticket
    assert isinstance(ticket.number, int)
    assert Ticket.objects.get(pk=ticket.pk).number == ticket.number
    # savepoint, lock, message, one ticket UPDATE (version, counts, status), the events, the
    # outbox entries, release
    with django_assert_num_queries(7):
        message_add(ticket=ticket, author=people["alice"], body_text="Looking into it.")
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert ticket.status_category == StatusCategory.OPEN
    history = list(ticket.events.order_by("created_at", "pk").values_list("kind", "field"))
    assert history == [
        (EventKind.CREATED, ""),
        (EventKind.MESSAGE, ""),
        (EventKind.MESSAGE, ""),
        (EventKind.CHANGED, "status"),
    ]
    topics = [
        e.topic
        for e in OutboxEntry.objects.order_by("pk")
        if e.payload.get("ticket_id") == ticket.pk
    ]
    assert topics == ["message.created", "ticket.changed"] * 2


def test_property_change_is_one_ticket_update_and_returns_its_events(
    make_ticket, people, django_assert_num_queries
):
    ticket = make_ticket()
    # savepoint, lock, ticket UPDATE, the events, the outbox entry, release
    with django_assert_num_queries(6):
        events = ticket_update(
            ticket=ticket,
            actor=people["alice"],
            changes={"urgency": "high", "assignee": people["bob"]},
        )
    assert [(e.field, e.new_value) for e in events] == [
        ("urgency", "high"),
        ("priority", "high"),
        ("assignee", "bob@example.com"),
        ("status", "open"),
    ]
    assert all(e.pk for e in events)
    assert list(ticket.events.filter(pk__in=[e.pk for e in events]).order_by("pk")) == events


def test_stale_version_is_refused_without_writing_anything(make_ticket, people):
    ticket = make_ticket()
    ticket_update(ticket=ticket, actor=people["bob"], changes={"urgency": "high"})
    with pytest.raises(TicketConflict):
        message_add(ticket=ticket, author=people["alice"], body_text="Stale.", expected_version=1)
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert ticket.message_count == 1


def test_admin_changes_to_statuses_and_the_matrix_apply_to_the_next_ticket(make_ticket):
    from frontdesk.tickets.services import config_record_save

    make_ticket()  # the configuration is cached now
    config_record_save(instance=Status.objects.get(slug="new"), fields={"is_default": False})
    config_record_save(
        instance=Status(),
        fields={"name": "Triage", "slug": "triage", "category": "new", "is_default": True},
    )
    priority_matrix_set(cells={("medium", "medium"): Priority.objects.get(slug="high")})
    ticket = make_ticket()
    assert ticket.status.slug == "triage"
    assert ticket.priority.slug == "high"


def test_a_change_made_by_another_process_applies_within_seconds(make_ticket, monkeypatch):
    from frontdesk.tickets import catalog

    make_ticket()
    # Another process's save sends no signal here: this one reloads after RECHECK_SECONDS.
    Status.objects.filter(slug="new").update(active=False)
    Status.objects.bulk_create([Status(name="Fresh", slug="fresh", category="new", position=9)])
    assert make_ticket().status.slug == "new"
    later = catalog.time.monotonic() + catalog.RECHECK_SECONDS + 1
    monkeypatch.setattr(catalog.time, "monotonic", lambda: later)
    assert make_ticket().status.slug == "fresh"


def test_ticket_numbers_stay_unique_and_increasing(make_ticket):
    numbers = [make_ticket().number for _ in range(5)]
    assert numbers == sorted(set(numbers))
