"""The sla app's routes in the permission matrix (tests/test_permission_matrix.py)."""

from __future__ import annotations

from frontdesk.core.testing.permissions import ADMIN_PAGE, AGENT_TICKET_POST, LOGIN

ADMIN_POST = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": 403,
    "carol": 403,
    "sam": 403,
    "ada": None,
}

ROUTES = {
    "sla:settings": ("GET", ADMIN_PAGE),
    "sla:calendar_new": ("GET", ADMIN_PAGE),
    "sla:calendar_edit": ("GET", ADMIN_PAGE),
    "sla:calendar_delete": ("POST", ADMIN_POST),
    "sla:holiday_add": ("POST", ADMIN_POST),
    "sla:holiday_delete": ("POST", ADMIN_POST),
    "sla:calendar_ical": ("POST", ADMIN_POST),
    "sla:policy_new": ("GET", ADMIN_PAGE),
    "sla:policy_edit": ("GET", ADMIN_PAGE),
    "sla:policy_delete": ("POST", ADMIN_POST),
    "sla:rule_new": ("GET", ADMIN_PAGE),
    "sla:rule_edit": ("GET", ADMIN_PAGE),
    "sla:rule_delete": ("POST", ADMIN_POST),
    # Dana's ticket is L1's, so Carol (L2) is not told it exists; an empty reason is refused
    # with a message and a redirect back to the ticket.
    "sla:escalate": ("POST", AGENT_TICKET_POST),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from datetime import date

    from frontdesk.sla.models import EscalationRule, Trigger
    from frontdesk.sla.services import (
        calendar_builtin,
        calendar_holiday_add,
        calendar_save,
        policy_save,
    )

    calendar = calendar_save(
        calendar=None,
        name=f"Matrix hours {scenario['ticket'].pk}",
        time_zone="Europe/Stockholm",
        weekly={"mon": "08:00-17:00"},
    )
    holiday = calendar_holiday_add(calendar=calendar, day=date(2030, 1, 2), name="Matrix")
    policy = policy_save(policy=None, name="Matrix policy", calendar=calendar_builtin())
    rule = EscalationRule.objects.create(name="Matrix rule", trigger=Trigger.BREACH)
    return {
        "sla:calendar_edit": {"pk": calendar.pk},
        "sla:calendar_delete": {"pk": calendar.pk},
        "sla:holiday_add": {"pk": calendar.pk},
        "sla:holiday_delete": {"pk": calendar.pk, "holiday_pk": holiday.pk},
        "sla:calendar_ical": {"pk": calendar.pk},
        "sla:policy_edit": {"pk": policy.pk},
        "sla:policy_delete": {"pk": policy.pk},
        "sla:rule_edit": {"pk": rule.pk},
        "sla:rule_delete": {"pk": rule.pk},
    }
