"""Time rules: solved tickets close after four days; pending ones are reminded, then solved.
Each rule fires once per ticket per window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from frontdesk.automation.models import AutomationRun, TimeRule
from frontdesk.automation.services import time_rule_save
from frontdesk.automation.timerules import candidates_query, time_rules_run
from frontdesk.core import clock
from frontdesk.tickets.models import Status
from frontdesk.tickets.services import message_add, ticket_update

pytestmark = pytest.mark.django_db


def time_rule(name, category, since, hours, actions, conditions=None):
    return time_rule_save(
        rule=None,
        fields={
            "name": name,
            "status_category": category,
            "since": since,
            "hours": hours,
            "actions": actions,
            "conditions": conditions or {},
            "active": True,
        },
    )


def test_solved_tickets_close_after_four_days_once(people, make_ticket, settle):
    time_rule(
        "Close solved",
        "solved",
        "solved_at",
        96,
        [{"type": "set", "field": "status", "value": "closed"}],
    )
    ticket = make_ticket()
    solved = Status.objects.filter(category="solved").first()
    ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    settle()
    start = clock.now()
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert time_rules_run().fired == 0
    with time_machine.travel(start + timedelta(days=4, minutes=1), tick=False):
        result = time_rules_run()
        settle()
        assert result.fired == 1
        ticket.refresh_from_db()
        assert ticket.status_category == "closed"
        assert time_rules_run().fired == 0  # the next hour: nothing left to do
    assert AutomationRun.objects.filter(ticket=ticket, key__startswith="time:").count() == 1


def test_pending_tickets_are_reminded_then_solved(people, make_ticket, settle):
    time_rule(
        "Remind after 5 days",
        "pending",
        "last_agent_reply_at",
        5 * 24,
        [
            {
                "type": "email",
                "to": "requester",
                "subject": "Still need help with #{{ticket.number}}?",
                "body": "Hello {{requester.first_name}}, we are waiting for your answer.",
            }
        ],
    )
    time_rule(
        "Solve after 10 days",
        "pending",
        "last_agent_reply_at",
        10 * 24,
        [{"type": "set", "field": "status", "value": "solved"}],
    )
    ticket = make_ticket()
    pending = Status.objects.filter(category="pending").first()
    message_add(ticket=ticket, author=people["alice"], body_text="Which model?", status=pending)
    settle()
    mail.outbox.clear()
    start = clock.now()
    with time_machine.travel(start + timedelta(days=5, hours=1), tick=False):
        assert time_rules_run().fired == 1
        settle()
        assert time_rules_run().fired == 0
    reminders = [m for m in mail.outbox if "Still need help" in m.subject]
    assert len(reminders) == 1
    assert reminders[0].to == ["dana@example.com"]
    assert reminders[0].extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Hello Dana" in reminders[0].body
    with time_machine.travel(start + timedelta(days=10, hours=1), tick=False):
        assert time_rules_run().fired == 1
        settle()
    ticket.refresh_from_db()
    assert ticket.status_category == "solved"
    assert len([m for m in mail.outbox if "Still need help" in m.subject]) == 1


def test_conditions_narrow_the_candidates_and_non_matches_are_not_rechecked(
    people, make_ticket, settle, django_assert_max_num_queries
):
    rule = time_rule(
        "VIP waiting",
        "new",
        "created_at",
        24,
        [{"type": "add_tag", "tag": "waiting-vip"}],
        conditions={"all": [{"field": "organization.name", "op": "eq", "value": "Globex"}]},
    )
    make_ticket(subject="Acme one")
    globex = make_ticket(requester=people["erik"], subject="Globex one")
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        assert candidates_query(rule, clock.now()).count() == 2
        result = time_rules_run()
        settle()
        assert (result.candidates, result.fired) == (2, 1)
        assert list(globex.tags.values_list("name", flat=True)) == ["waiting-vip"]
        # Both were looked at in this window: the next pass reads no candidates at all.
        assert candidates_query(rule, clock.now()).count() == 0
        with django_assert_max_num_queries(4):
            assert time_rules_run().candidates == 0


def test_an_inactive_rule_does_nothing(people, make_ticket):
    rule = time_rule("Off", "new", "created_at", 1, [{"type": "add_tag", "tag": "x"}])
    TimeRule.objects.filter(pk=rule.pk).update(active=False)
    make_ticket()
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        assert time_rules_run().rules == 0


def test_a_ticket_that_starts_matching_later_in_the_window_fires_then_once(
    people, make_ticket, settle
):
    time_rule(
        "Pending VIPs get a call",
        "pending",
        "last_agent_reply_at",
        48,
        [{"type": "note", "body": "Call the customer"}],
        conditions={"all": [{"field": "ticket.tags", "op": "contains", "value": "vip"}]},
    )
    ticket = make_ticket()
    pending = Status.objects.filter(category="pending").first()
    message_add(ticket=ticket, author=people["alice"], body_text="Which model?", status=pending)
    settle()
    start = clock.now()
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert time_rules_run().fired == 0  # not a VIP: looked at, not acted on
    with time_machine.travel(start + timedelta(days=3, hours=5), tick=False):
        # Still pending since the same reply (same window): Bob marks the customer VIP.
        ticket_update(ticket=ticket, actor=people["bob"], changes={"tags": ["vip"]})
        settle()
    with time_machine.travel(start + timedelta(days=3, hours=6), tick=False):
        assert time_rules_run().fired == 1
        settle()
        assert time_rules_run().fired == 0
    with time_machine.travel(start + timedelta(days=4), tick=False):
        ticket_update(ticket=ticket, actor=people["bob"], changes={"urgency": "high"})
        settle()
        assert time_rules_run().fired == 0  # fired once in this window, whatever changes
    notes = ticket.messages.filter(kind="note", body_text="Call the customer")
    assert notes.count() == 1


def solved_long_ago(make_ticket, people, count):
    """``count`` tickets Alice solved; the caller travels past the rule's four days."""
    solved = Status.objects.filter(category="solved").first()
    tickets = []
    for i in range(count):
        ticket = make_ticket(subject=f"Solved {i}")
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
        tickets.append(ticket)
    return tickets


def test_a_ticket_another_pass_claimed_meanwhile_is_not_closed_twice(people, make_ticket, settle):
    from frontdesk.automation.models import TimeRuleFired
    from frontdesk.automation.services import automation_user
    from frontdesk.automation.timerules import PassResult, _fire_chunk

    rule = time_rule(
        "Close solved tickets after 4 days",
        "solved",
        "solved_at",
        96,
        [{"type": "set", "field": "status", "value": "closed"}],
    )
    first, second, third = solved_long_ago(make_ticket, people, 3)
    settle()
    with time_machine.travel(clock.now() + timedelta(days=5), tick=False):
        windows = dict(candidates_query(rule, clock.now()).values_list("pk", "solved_at"))
        assert set(windows) == {first.pk, second.pk, third.pk}
        # Between this pass's search and its claim, a pass on another host fired on #2.
        TimeRuleFired.objects.create(
            rule=rule, ticket_id=second.pk, window_start=windows[second.pk], created_at=clock.now()
        )
        # ... and this pass had looked at #3 earlier in the window without a match.
        TimeRuleFired.objects.create(
            rule=rule,
            ticket_id=third.pk,
            window_start=windows[third.pk],
            matched=False,
            created_at=clock.now(),
        )
        result = PassResult(per_rule={rule.pk: 0})
        fired = _fire_chunk(
            rule,
            [first.pk, second.pk, third.pk],
            windows,
            clock.now(),
            automation_user(),
            result,
            {},
        )
    assert fired == 2
    assert set(
        AutomationRun.objects.filter(key__startswith="time:").values_list("ticket_id", flat=True)
    ) == {
        first.pk,
        third.pk,
    }
    from frontdesk.tickets.models import Ticket

    categories = dict(
        Ticket.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list(
            "pk", "status_category"
        )
    )
    assert categories == {first.pk: "closed", second.pk: "solved", third.pk: "closed"}
    assert TimeRuleFired.objects.filter(rule=rule, matched=True).count() == 3


def test_a_backlog_larger_than_a_chunk_closes_in_one_pass_and_each_ticket_once(
    people, make_ticket, settle
):
    from frontdesk.automation import timerules

    time_rule(
        "Close solved tickets after 4 days",
        "solved",
        "solved_at",
        96,
        [{"type": "set", "field": "status", "value": "closed"}],
    )
    tickets = solved_long_ago(make_ticket, people, 7)
    settle()
    chunk = timerules.CHUNK
    timerules.CHUNK = 3  # three chunks: 3, 3, 1
    try:
        with time_machine.travel(clock.now() + timedelta(days=5), tick=False):
            result = time_rules_run()
            settle()
            assert (result.fired, result.deferred) == (7, 0)
            assert time_rules_run().fired == 0
    finally:
        timerules.CHUNK = chunk
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status_category == "closed"
        events = ticket.events.filter(field="status", new_value="closed")
        assert events.count() == 1
        assert events.get().actor.first_name == "Automation"
    assert AutomationRun.objects.filter(key__startswith="time:").count() == 7


def test_a_spent_budget_leaves_the_rest_for_the_next_pass(people, make_ticket, settle):
    time_rule(
        "Close solved tickets after 4 days",
        "solved",
        "solved_at",
        96,
        [{"type": "set", "field": "status", "value": "closed"}],
    )
    solved_long_ago(make_ticket, people, 2)
    settle()
    with time_machine.travel(clock.now() + timedelta(days=5), tick=False):
        spent = time_rules_run(budget=0)
        assert (spent.candidates, spent.fired, spent.deferred) == (2, 0, 2)
        assert time_rules_run().fired == 2
