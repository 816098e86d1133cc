"""Escalation: rules on warnings and breaches, and agents handing tickets to the next tier."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from frontdesk.sla.escalation import sla_event_react, ticket_escalate
from frontdesk.sla.models import Escalation, EscalationRun, TargetKind, Trigger
from frontdesk.sla.services import rule_save
from frontdesk.sla.tests.conftest import sto
from frontdesk.tickets.models import EventKind, Message, MessageKind, TicketEvent

pytestmark = pytest.mark.django_db


def rule_mails() -> list:  # type: ignore[type-arg]
    """The escalation emails (other apps may tell people about SLA events in their own way)."""
    return [
        m for m in mail.outbox if "SLA breached:" in m.subject or "SLA breaching soon:" in m.subject
    ]


@pytest.fixture
def breach_rule(office_policy, people):
    return rule_save(
        rule=None,
        fields={
            "name": "Late first answer goes to L2",
            "trigger": Trigger.BREACH,
            "target": TargetKind.FIRST_RESPONSE,
            "reassign_team": people["l2"],
            "raise_priority": True,
            "add_tag": "sla-breached",
            "notify_assignee": True,
            "notify_team_lead": True,
        },
    )


def test_breach_moves_the_ticket_raises_priority_tags_and_tells_people(desk, breach_rule, people):
    from frontdesk.accounts.models import TeamMembership

    TeamMembership.objects.filter(team=people["l2"], user=people["carol"]).update(is_lead=True)
    ticket = desk.open(sto(2025, 3, 4, 9, 0), assignee=people["alice"])
    mail.outbox.clear()
    desk.scan(sto(2025, 3, 4, 10, 0))
    ticket.refresh_from_db()
    assert ticket.team == people["l2"]
    assert ticket.priority.slug == "high"
    assert "sla-breached" in {t.name for t in ticket.tags.all()}
    changed = set(
        TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.CHANGED, actor__isnull=True
        ).values_list("field", flat=True)
    )
    assert {"team", "priority", "tags"} <= changed
    # Alice (the assignee) and Carol, lead of L2, the team that now owns the ticket.
    sent = rule_mails()
    assert sorted(m.to[0] for m in sent) == ["alice@example.com", "carol@example.com"]
    link = reverse("desk:ticket", args=[ticket.number])
    for message in sent:
        assert message.subject == f"[#{ticket.number}] SLA breached: First response"
        assert link in message.body


def test_running_the_reaction_twice_changes_nothing_more(desk, breach_rule, people):
    ticket = desk.open(sto(2025, 3, 4, 9, 0), assignee=people["alice"])
    desk.scan(sto(2025, 3, 4, 10, 0))
    sent = len(rule_mails())
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    with desk.at(sto(2025, 3, 4, 10, 1)):
        sla_event_react(ticket_id=ticket.pk, target="first_response", cycle=0, kind=Trigger.BREACH)
    assert EscalationRun.objects.count() == 1
    assert len(rule_mails()) == sent
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_warning_rule_tells_supervisors_only(desk, office_policy, people):
    rule_save(
        rule=None,
        fields={"name": "Heads-up", "trigger": Trigger.WARNING, "notify_supervisors": True},
    )
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    mail.outbox.clear()
    desk.scan(sto(2025, 3, 4, 9, 46))
    assert [m.to for m in rule_mails()] == [["supervisor@example.com"]]
    assert "breaching soon" in rule_mails()[0].subject
    ticket.refresh_from_db()
    assert ticket.team == people["l1"]


def test_rule_for_another_target_does_not_fire(desk, office_policy, people):
    rule_save(
        rule=None,
        fields={
            "name": "Resolution only",
            "trigger": Trigger.BREACH,
            "target": TargetKind.RESOLUTION,
            "add_tag": "late",
        },
    )
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.scan(sto(2025, 3, 4, 10, 0))
    assert not ticket.tags.exists()
    assert EscalationRun.objects.count() == 0


def test_alice_escalates_to_l2_with_a_reason(desk, people, make_ticket):
    ticket = make_ticket(assignee=people["alice"])
    escalation = ticket_escalate(
        ticket=ticket, actor=people["alice"], reason="Needs database access we do not have."
    )
    ticket.refresh_from_db()
    assert ticket.team == people["l2"]
    assert ticket.assignee is None
    assert escalation.from_team == people["l1"] and escalation.to_team == people["l2"]
    note = Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE).get()
    assert "Needs database access" in note.body_text
    assert "L2" in note.body_text
    assert TicketEvent.objects.filter(
        ticket=ticket, field="team", new_value="L2", actor=people["alice"]
    ).exists()


def test_escalating_needs_a_reason_and_a_next_tier(people, make_ticket):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        ticket_escalate(ticket=ticket, actor=people["alice"], reason="   ")
    top = make_ticket(team="l2")
    with pytest.raises(ValidationError):
        ticket_escalate(ticket=top, actor=people["carol"], reason="No one above us")
    assert not Escalation.objects.exists()
