"""Demo SLA setup: Stockholm business hours with Swedish holidays and a standard policy."""

from __future__ import annotations

from typing import Any

from frontdesk.sla.models import BusinessCalendar, SlaPolicy, TargetKind, Trigger
from frontdesk.sla.services import (
    calendar_holiday_add,
    calendar_save,
    policy_save,
    policy_targets_set,
    rule_save,
    sla_recompute_open,
)
from frontdesk.tickets.models import Priority

# minutes: first response, next response, periodic update, resolution (business hours)
TARGETS = {
    "urgent": (30, 60, 120, 8 * 60),
    "high": (60, 2 * 60, 4 * 60, 2 * 9 * 60),
    "normal": (4 * 60, 8 * 60, None, 5 * 9 * 60),
    "low": (9 * 60, 2 * 9 * 60, None, 10 * 9 * 60),
}
KINDS = (
    TargetKind.FIRST_RESPONSE,
    TargetKind.NEXT_RESPONSE,
    TargetKind.PERIODIC_UPDATE,
    TargetKind.RESOLUTION,
)


def before_tickets(context: dict[str, Any]) -> None:
    """Install the calendar, the policy and one escalation rule (skipped if present)."""
    if SlaPolicy.objects.exists():
        return
    calendar = BusinessCalendar.objects.filter(name="Stockholm office hours").first()
    if calendar is None:
        calendar = calendar_save(
            calendar=None,
            name="Stockholm office hours",
            time_zone="Europe/Stockholm",
            weekly={day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
            country="SE",
            holiday_categories="public, de_facto",
        )
        # Swedish offices close early or entirely around these, beyond the public holidays.
        from datetime import date

        calendar_holiday_add(
            calendar=calendar, day=date(2025, 12, 23), name="Lillejulafton", yearly=True
        )
    policy = policy_save(policy=None, name="Standard", calendar=calendar, position=10)
    priorities = {p.slug: p.pk for p in Priority.objects.all()}
    policy_targets_set(
        policy=policy,
        targets={
            (priorities[slug], kind): (minutes, True)
            for slug, row in TARGETS.items()
            if slug in priorities
            for kind, minutes in zip(KINDS, row, strict=True)
        },
    )
    rule_save(
        rule=None,
        fields={
            "name": "First response breached: tell the team lead",
            "trigger": Trigger.BREACH,
            "policy": policy,
            "target": TargetKind.FIRST_RESPONSE,
            "notify_team_lead": True,
        },
    )
    stdout = context.get("stdout")
    if stdout is not None:
        stdout.write("SLA: Stockholm office hours, policy Standard, one escalation rule.")


def after_tickets(context: dict[str, Any]) -> None:
    """Compute every open ticket's clocks now, so badges show before a worker runs."""
    count = sla_recompute_open()
    stdout = context.get("stdout")
    if stdout is not None:
        stdout.write(f"SLA: clocks computed for {count} open tickets.")
