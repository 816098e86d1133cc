"""The rule preview replays what happened: conditions on the event (what changed, from
what to what, who did it, the message) are evaluated against recent ticket history."""

from __future__ import annotations

import pytest

from frontdesk.automation.selectors import trigger_preview
from frontdesk.tickets.models import Status
from frontdesk.tickets.services import message_add, ticket_update

pytestmark = pytest.mark.django_db


def leaf(field, op, value=True):
    return {"field": field, "op": op, "value": value}


def test_a_status_rule_is_previewed_on_the_changes_that_happened(people, make_ticket, settle):
    pending = Status.objects.filter(category="pending").first()
    solved = Status.objects.filter(category="solved").first()
    waiting = make_ticket(subject="Waiting on Dana")
    done = make_ticket(subject="Done already")
    ticket_update(ticket=waiting, actor=people["alice"], changes={"status": pending})
    ticket_update(ticket=done, actor=people["alice"], changes={"status": solved})
    # Since then Alice moved it on: the preview still sees that it went to pending.
    waiting.refresh_from_db()
    ticket_update(ticket=waiting, actor=people["alice"], changes={"status": solved})
    settle()

    preview = trigger_preview(
        conditions={"all": [leaf("ticket.status", "changed_to", pending.slug)]},
        event="status_changed",
    )
    assert preview["replayed"] is True
    assert preview["sample"] == 3  # three status changes happened
    assert preview["count"] == 1
    assert [t.subject for t in preview["tickets"]] == ["Waiting on Dana"]

    from_pending = trigger_preview(
        conditions={"all": [leaf("ticket.status", "changed_from", pending.slug)]},
        event="status_changed",
    )
    assert [t.subject for t in from_pending["tickets"]] == ["Waiting on Dana"]


def test_a_reply_rule_is_previewed_on_the_messages_customers_wrote(people, make_ticket, settle):
    refund = make_ticket(subject="Invoice")
    printer = make_ticket(subject="Printer")
    message_add(ticket=refund, author=people["dana"], body_text="I want a refund, please.")
    message_add(ticket=printer, author=people["dana"], body_text="Still on fire.")
    message_add(ticket=printer, author=people["alice"], body_text="A refund? No, a new printer.")
    settle()

    preview = trigger_preview(
        conditions={"all": [leaf("message.body", "matches", "refund")]},
        event="customer_replied",
    )
    # Two customer replies happened; only one asked for a refund. Alice's reply, which also
    # says "refund", is an agent reply: not replayed for this event.
    assert (preview["sample"], preview["count"]) == (2, 1)
    assert [t.subject for t in preview["tickets"]] == ["Invoice"]


def test_who_made_the_change_is_replayed_too(people, make_ticket, settle):
    ticket = make_ticket(subject="Tagged twice")
    ticket_update(ticket=ticket, actor=people["alice"], changes={"add_tags": ["vip"]})
    message_add(ticket=ticket, author=people["dana"], body_text="Any news?")
    settle()
    by_agents = trigger_preview(
        conditions={
            "all": [leaf("event.actor_role", "eq", "agent"), leaf("ticket.tags", "changed")]
        },
        event="updated",
    )
    assert by_agents["count"] == 1
    by_customers = trigger_preview(
        conditions={"all": [leaf("event.actor", "eq", "dana@example.com")]}, event="updated"
    )
    assert by_customers["count"] == 1


def test_sla_rules_are_previewed_on_tickets_as_they_are(people, make_ticket):
    make_ticket(subject="Printer")
    preview = trigger_preview(conditions={}, event="sla_breach")
    assert "replayed" not in preview
    assert preview["count"] == preview["sample"] >= 1


def test_the_editor_shows_the_replay(people, make_ticket, settle, client):
    pending = Status.objects.filter(category="pending").first()
    ticket = make_ticket(subject="Waiting on Dana")
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": pending})
    settle()
    client.force_login(people["ada"])
    response = client.post(
        "/automation/triggers/new/",
        {
            "name": "Pending",
            "description": "",
            "event": "status_changed",
            "position": "0",
            "active": "on",
            "match": "all",
            "cond_field": ["ticket.status"],
            "cond_op": ["changed_to"],
            "cond_value": [pending.slug],
            "act_type": ["add_tag"],
            "act_target": ["waiting"],
            "act_subject": [""],
            "act_text": [""],
            "preview": "1",
        },
    )
    text = response.content.decode()
    assert "Replayed the last 1 times this event happened: the rule would have matched 1" in text
    assert "Waiting on Dana" in text
