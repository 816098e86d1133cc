"""The demo installs Stockholm business hours and a policy, so demo tickets show badges."""

from __future__ import annotations

import pytest

from frontdesk.sla.demo import after_tickets, before_tickets
from frontdesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy
from frontdesk.sla.tests.conftest import sto
from frontdesk.tickets.models import SlaState

pytestmark = pytest.mark.django_db


def test_demo_policy_gives_tickets_a_countdown(desk, people):
    before_tickets({"teams": {"L1": people["l1"], "L2": people["l2"]}})
    before_tickets({})  # a second run adds nothing
    assert SlaPolicy.objects.count() == 1
    assert EscalationRule.objects.count() == 1
    calendar = BusinessCalendar.objects.get(name="Stockholm office hours")
    assert calendar.country == "SE"
    # 23 December (the demo's own yearly holiday), Christmas Eve (de facto), Christmas and
    # Boxing Day are closed: a normal ticket filed Monday the 22nd at 16:00 gets one business
    # hour that day and three on Monday the 29th.
    ticket = desk.open(sto(2025, 12, 22, 16, 0))
    assert ticket.sla_state == SlaState.OK
    assert ticket.sla_target == "first_response"
    assert ticket.sla_due_at == sto(2025, 12, 29, 11, 0)
    with desk.at(sto(2025, 12, 29, 9, 0)):
        after_tickets({})
    ticket.refresh_from_db()
    assert ticket.sla_due_at == sto(2025, 12, 29, 11, 0)
