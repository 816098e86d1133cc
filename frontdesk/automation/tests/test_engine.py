"""Triggers as a desk would use them: events, conditions, actions, history, loops."""

from __future__ import annotations

import pytest

from frontdesk.automation.engine import MAX_DEPTH, sla_event_process, ticket_events_process
from frontdesk.automation.models import AutomationRun
from frontdesk.automation.services import trigger_save
from frontdesk.core.services import outbox_add
from frontdesk.tickets.models import Message, MessageKind, Status
from frontdesk.tickets.services import message_add, ticket_update

pytestmark = pytest.mark.django_db


def rule(name, event, conditions, actions, position=0):
    return trigger_save(
        trigger=None,
        fields={
            "name": name,
            "event": event,
            "conditions": conditions,
            "actions": actions,
            "active": True,
            "position": position,
        },
    )


def test_refund_requests_are_tagged_and_noted_when_they_arrive(people, make_ticket):
    rule(
        "Refunds to billing",
        "created",
        {"all": [{"field": "message.body", "op": "matches", "value": "refund|money back"}]},
        [
            {"type": "add_tag", "tag": "billing"},
            {"type": "note", "body": "Refund request from {{requester.first_name}}"},
        ],
    )
    refund = make_ticket(subject="Invoice", body="I want my money back, please.")
    other = make_ticket(subject="Printer", body="It is on fire.")
    assert list(refund.tags.values_list("name", flat=True)) == ["billing"]
    note = Message.objects.get(ticket=refund, kind=MessageKind.NOTE)
    assert note.body_text == "Refund request from Dana"
    assert note.author.first_name == "Automation"
    assert not other.tags.exists()
    run = AutomationRun.objects.filter(ticket=refund).order_by("pk").first()
    assert run.events == ["created"]
    assert run.results[0]["matched"] is True
    assert [a["ok"] for a in run.results[0]["actions"]] == [True, True]
    # The run on the other ticket is recorded too, as not matched.
    other_run = AutomationRun.objects.filter(ticket=other).order_by("pk").first()
    assert other_run.results[0]["matched"] is False


def test_customer_reply_and_status_change_triggers(people, make_ticket, settle):
    rule(
        "Waiting customer answered",
        "customer_replied",
        {"all": [{"field": "ticket.status_category", "op": "eq", "value": "open"}]},
        [{"type": "set", "field": "priority", "value": "high"}],
    )
    rule(
        "Solved gets tagged",
        "status_changed",
        {"all": [{"field": "ticket.status_category", "op": "changed_to", "value": "solved"}]},
        [{"type": "add_tag", "tag": "done"}],
    )
    ticket = make_ticket()
    pending = Status.objects.filter(category="pending").first()
    message_add(ticket=ticket, author=people["alice"], body_text="Which model?", status=pending)
    settle()
    message_add(ticket=ticket, author=people["dana"], body_text="The big one.")
    settle()
    ticket.refresh_from_db()
    assert ticket.priority.slug == "high"
    assert not ticket.tags.exists()
    solved = Status.objects.filter(category="solved").first()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    assert list(ticket.tags.values_list("name", flat=True)) == ["done"]


def test_a_rule_that_retriggers_itself_stops_at_the_depth_guard(people, make_ticket, settle):
    rule("Chatty", "updated", {}, [{"type": "note", "body": "again"}])
    ticket = make_ticket()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"urgency": "high"})
    settle()
    notes = Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE).count()
    assert notes == MAX_DEPTH
    stopped = AutomationRun.objects.filter(ticket=ticket).exclude(stopped="")
    assert stopped.count() == 1
    assert "stopped" in stopped.get().stopped
    # A person's next change starts a fresh chain, stopped again at the same depth.
    ticket_update(ticket=ticket, actor=people["alice"], changes={"urgency": "low"})
    settle()
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE).count() == 2 * MAX_DEPTH


def test_one_change_runs_the_rules_once_whatever_the_topics(people, make_ticket, settle):
    rule("Count", "agent_replied", {}, [{"type": "add_tag", "tag": "answered"}])
    ticket = make_ticket()
    message_add(ticket=ticket, author=people["alice"], body_text="Hello")
    settle()

    def replied_runs():
        runs = AutomationRun.objects.filter(ticket=ticket)
        return [r for r in runs if "agent_replied" in r.events]

    assert len(replied_runs()) == 1
    # Running the engine again (a retried job) finds nothing new.
    assert ticket_events_process(ticket_id=ticket.pk) is None
    assert len(replied_runs()) == 1


def test_sla_breach_triggers_run_once_per_alarm(people, make_ticket, settle):
    rule(
        "Breach to L2",
        "sla_breach",
        {"all": [{"field": "sla.target", "op": "eq", "value": "first_response"}]},
        [{"type": "set", "field": "team", "value": "L2"}, {"type": "add_tag", "tag": "breached"}],
    )
    ticket = make_ticket()
    outbox_add(
        topic="sla.breach",
        payload={"ticket_id": ticket.pk, "target": "first_response", "cycle": 0, "kind": "breach"},
    )
    settle()
    ticket.refresh_from_db()
    assert ticket.team.name == "L2"
    assert sla_event_process(
        ticket_id=ticket.pk, kind="breach", target="first_response", cycle=0
    ) is None  # fmt: skip
    assert AutomationRun.objects.filter(key__startswith="sla_breach:").count() == 1


def test_failed_actions_are_recorded_and_the_rest_still_run(people, make_ticket):
    rule(
        "Half broken",
        "created",
        {},
        [
            {"type": "set", "field": "status", "value": "no-such-status"},
            {"type": "add_tag", "tag": "x"},
        ],
    )
    ticket = make_ticket()
    run = AutomationRun.objects.filter(ticket=ticket).order_by("pk").first()
    assert [a["ok"] for a in run.results[0]["actions"]] == [False, True]
    assert list(ticket.tags.values_list("name", flat=True)) == ["x"]


def test_inactive_rules_and_other_events_do_not_run(people, make_ticket):
    off = rule("Off", "created", {}, [{"type": "add_tag", "tag": "off"}])
    trigger_save(trigger=off, fields={"active": False})
    rule("Later", "agent_replied", {}, [{"type": "add_tag", "tag": "later"}])
    ticket = make_ticket()
    assert not ticket.tags.exists()


def test_bad_rules_are_refused_with_reasons(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        rule("Bad", "created", {"all": [{"field": "ticket.nope", "op": "eq", "value": 1}]}, [])
    assert "unknown field" in str(info.value)
    with pytest.raises(ValidationError):
        rule("Bad", "created", {}, [{"type": "rm -rf"}])


def test_matched_rules_read_as_history_lines_in_one_query(
    people, make_ticket, settle, django_assert_num_queries
):
    from frontdesk.automation.routing import RoutingMode
    from frontdesk.automation.selectors import run_history_rows
    from frontdesk.automation.services import team_routing_save

    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    rule(
        "Refunds to billing",
        "created",
        {"all": [{"field": "message.body", "op": "matches", "value": "refund"}]},
        [{"type": "add_tag", "tag": "billing"}, {"type": "set", "field": "team", "value": "Nope"}],
    )
    rule("Never", "created", {"all": [{"field": "ticket.subject", "op": "eq", "value": "x"}]}, [])
    ticket = make_ticket(subject="Invoice", body="A refund, please.")
    with django_assert_num_queries(1):
        rows = run_history_rows(ticket, people["alice"])
    lines = [(r.who, r.what) for r in rows]
    assert lines == [
        ("Automation", "Rule “Refunds to billing” matched"),
        ("Automation", "Routing: Round robin"),
    ]
    assert rows[0].new.startswith("Add a tag: billing; Set a field")
    assert rows[0].new.endswith("(failed)")
    assert "alice@example.com" in rows[1].new
    # Customers never see what the rules did.
    assert run_history_rows(ticket, people["dana"]) == []
