"""Stories with a frozen clock: every target and pause rule, and the bugs peers still have.

The desk is open Monday-Friday 08-12 and 13-17 in Stockholm with Swedish holidays. Normal
priority: first response 1h, next response 2h, periodic update 4h, resolution 8h, all in
business hours; a warning at 75%.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from frontdesk.sla.models import SlaEvent, TicketSla
from frontdesk.sla.tests.conftest import sto, targets_set
from frontdesk.tickets.models import SlaState

pytestmark = pytest.mark.django_db


def events(ticket) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    return list(
        SlaEvent.objects.filter(ticket=ticket).order_by("pk").values_list("target", "cycle", "kind")
    )


def test_no_policy_means_no_sla(desk):
    ticket = desk.open(sto(2025, 3, 4, 10, 0))
    assert ticket.sla_state == SlaState.NONE
    assert ticket.sla_due_at is None
    assert not TicketSla.objects.filter(ticket=ticket).exists()


def test_first_response_is_due_one_business_hour_after_a_late_afternoon_request(
    desk, office_policy
):
    ticket = desk.open(sto(2025, 3, 4, 16, 30))
    assert ticket.sla_policy_id == office_policy.pk
    assert ticket.sla_target == "first_response"
    assert ticket.sla_state == SlaState.OK
    # 30 minutes today, 30 tomorrow morning.
    assert ticket.sla_due_at == sto(2025, 3, 5, 8, 30)
    # The badge turns amber at 75%: 45 business minutes in; that is the scanner's alarm too.
    assert ticket.sla_warn_at == sto(2025, 3, 5, 8, 15)
    assert TicketSla.objects.get(ticket=ticket).alarm_at == sto(2025, 3, 5, 8, 15)


def test_private_note_does_not_satisfy_the_first_response(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.note(ticket, sto(2025, 3, 4, 9, 20))
    assert ticket.sla_target == "first_response"
    assert ticket.sla_due_at == sto(2025, 3, 4, 10, 0)
    desk.scan(sto(2025, 3, 4, 10, 1))
    assert events(ticket) == [("first_response", 0, "breach")]
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    # The public reply comes late: the outcome keeps the breach and the real duration.
    desk.reply(ticket, sto(2025, 3, 4, 10, 30))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_breached
    assert sla.first_response_seconds == 90 * 60
    assert sla.targets["first_response"]["achieved_at"] is not None


def test_public_reply_in_time_meets_the_first_response(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 11, 50))
    # Lunch does not count: 10 minutes before it, 10 after.
    desk.reply(ticket, sto(2025, 3, 4, 13, 10))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_seconds == 20 * 60
    assert not sla.first_response_breached
    # Next up: the periodic update, 4 business hours after the reply (3h50 today).
    assert ticket.sla_target == "periodic_update"
    assert ticket.sla_due_at == sto(2025, 3, 5, 8, 10)
    desk.scan(sto(2025, 3, 4, 13, 11))
    assert events(ticket) == []


def test_warning_and_breach_are_recorded_once_each(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    assert desk.scan(sto(2025, 3, 4, 9, 44)).warnings == 0
    first = desk.scan(sto(2025, 3, 4, 9, 45))
    assert (first.warnings, first.breaches) == (1, 0)
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.WARNING
    assert TicketSla.objects.get(ticket=ticket).alarm_at == sto(2025, 3, 4, 10, 0)
    assert desk.scan(sto(2025, 3, 4, 9, 50)).warnings == 0
    assert desk.scan(sto(2025, 3, 4, 10, 0)).breaches == 1
    assert desk.scan(sto(2025, 3, 4, 10, 5)).tickets == 0
    assert events(ticket) == [
        ("first_response", 0, "warning"),
        ("first_response", 0, "breach"),
    ]
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED
    # The resolution clock still has its warning (6 of 8 business hours: 16:00) ahead.
    assert TicketSla.objects.get(ticket=ticket).alarm_at == sto(2025, 3, 4, 16, 0)


def test_next_response_runs_from_the_oldest_unanswered_customer_message(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.reply(ticket, sto(2025, 3, 4, 9, 10))
    desk.customer(ticket, sto(2025, 3, 4, 9, 30))
    ticket.refresh_from_db()
    assert ticket.sla_target == "next_response"
    assert ticket.sla_due_at == sto(2025, 3, 4, 11, 30)
    # Writing again while waiting does not give the desk more time.
    desk.customer(ticket, sto(2025, 3, 4, 10, 0))
    assert ticket.sla_due_at == sto(2025, 3, 4, 11, 30)
    desk.reply(ticket, sto(2025, 3, 4, 11, 0))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.targets["next_response"]["cycles"] == 1
    assert sla.targets["next_response"]["history"][0]["elapsed"] == 90 * 60
    assert ticket.sla_target == "periodic_update"
    # Each customer message after a reply starts a new cycle.
    desk.customer(ticket, sto(2025, 3, 4, 16, 0))
    sla.refresh_from_db()
    assert sla.targets["next_response"]["cycle"] == 1
    assert _parse(sla.targets["next_response"]["due_at"]) == sto(2025, 3, 5, 9, 0)
    # The periodic update owed since the 11:00 reply is due first (16:00): it is next.
    assert (ticket.sla_target, ticket.sla_due_at) == ("periodic_update", sto(2025, 3, 4, 16, 0))
    desk.scan(sto(2025, 3, 5, 9, 0))
    assert ("next_response", 1, "breach") in events(ticket)
    assert ("next_response", 0, "breach") not in events(ticket)


def test_agent_must_post_a_public_update_every_four_business_hours(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 8, 0))
    desk.reply(ticket, sto(2025, 3, 4, 8, 30))
    assert (ticket.sla_target, ticket.sla_due_at) == ("periodic_update", sto(2025, 3, 4, 13, 30))
    desk.note(ticket, sto(2025, 3, 4, 13, 0))  # a note is not an update
    assert ticket.sla_due_at == sto(2025, 3, 4, 13, 30)
    desk.reply(ticket, sto(2025, 3, 4, 13, 0))
    assert ticket.sla_due_at == sto(2025, 3, 4, 17, 0)
    desk.scan(sto(2025, 3, 4, 17, 0))
    assert ("periodic_update", 1, "breach") in events(ticket)
    assert ("periodic_update", 0, "breach") not in events(ticket)


def test_pending_pauses_resolution_and_resumes_where_it_stopped(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 8, 0))
    desk.reply(ticket, sto(2025, 3, 4, 8, 30), status=_status("pending"))
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.PAUSED
    assert ticket.sla_due_at is None
    assert ticket.sla_warn_at is None
    # Paused for two business days; the scanner has nothing to do meanwhile.
    assert desk.scan(sto(2025, 3, 6, 12, 0)).tickets == 0
    desk.customer(ticket, sto(2025, 3, 6, 10, 0))  # reopens the ticket
    ticket.refresh_from_db()
    assert ticket.status_category == "open"
    sla = TicketSla.objects.get(ticket=ticket)
    # 30 business minutes ran before the pause; 7h30 remain from Thursday 10:00.
    assert _parse(sla.targets["resolution"]["due_at"]) == sto(2025, 3, 7, 9, 30)
    assert [[_parse(a), _parse(b)] for a, b in sla.paused] == [
        [sto(2025, 3, 4, 8, 30), sto(2025, 3, 6, 10, 0)]
    ]


def test_a_reply_inside_a_pause_meets_the_response_and_restarts_the_update_clock(
    desk, office_policy
):
    ticket = desk.open(sto(2025, 3, 4, 8, 0))
    desk.reply(ticket, sto(2025, 3, 4, 8, 10))
    desk.status(ticket, sto(2025, 3, 4, 9, 0), "on-hold")
    # On hold, the customer asks again: a response is owed even during the pause.
    desk.customer(ticket, sto(2025, 3, 4, 10, 0))
    assert ticket.status_category == "on_hold"
    assert (ticket.sla_target, ticket.sla_due_at) == ("next_response", sto(2025, 3, 4, 12, 0))
    desk.reply(ticket, sto(2025, 3, 4, 11, 0))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.targets["next_response"]["history"][0]["elapsed"] == 60 * 60
    # The update clock restarted at the reply but stays stopped until the pause ends ...
    assert sla.targets["periodic_update"]["cycle"] == 1
    assert sla.targets["periodic_update"]["paused"] is True
    assert ticket.sla_state == SlaState.PAUSED
    # ... and then runs its full four hours from the moment work resumes.
    desk.status(ticket, sto(2025, 3, 5, 9, 0), "open")
    sla.refresh_from_db()
    assert _parse(sla.targets["periodic_update"]["due_at"]) == sto(2025, 3, 5, 14, 0)
    # Resolution: 50 business minutes ran before the hold (08:00-09:00 minus nothing).
    assert _parse(sla.targets["resolution"]["due_at"]) == sto(2025, 3, 5, 17, 0)


def test_a_pause_over_easter_counts_no_holiday_twice(desk, office_policy):
    # Thursday before Easter 2025; Good Friday and Easter Monday are Swedish holidays.
    ticket = desk.open(sto(2025, 4, 17, 13, 0))
    desk.reply(ticket, sto(2025, 4, 17, 14, 0), status=_status("pending"))
    desk.customer(ticket, sto(2025, 4, 22, 10, 0))
    sla = TicketSla.objects.get(ticket=ticket)
    # One business hour before the pause; seven after Tuesday 10:00: 10-12, 13-17, 08-09.
    assert _parse(sla.targets["resolution"]["due_at"]) == sto(2025, 4, 23, 9, 0)


def test_priority_change_after_a_breach_keeps_the_breach(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0), urgency="high", impact="high")
    assert ticket.priority.slug == "urgent"
    assert ticket.sla_due_at == sto(2025, 3, 4, 9, 30)
    desk.scan(sto(2025, 3, 4, 9, 31))
    assert ("first_response", 0, "breach") in events(ticket)
    # Lowered to Low (4h): the target moves out, but the breach stays on the record.
    desk.priority(ticket, sto(2025, 3, 4, 9, 40), "low")
    assert ticket.sla_due_at == sto(2025, 3, 4, 14, 0)
    assert ticket.sla_state == SlaState.BREACHED
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_breached
    assert sla.targets["first_response"]["breached"] is True
    # When the laxer target passes too, nothing is recorded a second time.
    desk.scan(sto(2025, 3, 4, 15, 0))
    assert events(ticket).count(("first_response", 0, "breach")) == 1


def test_raising_priority_counts_elapsed_time_against_the_new_target(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    assert ticket.sla_due_at == sto(2025, 3, 4, 10, 0)
    # 40 minutes in, it turns urgent (30 minutes): already overdue.
    desk.priority(ticket, sto(2025, 3, 4, 9, 40), "urgent")
    assert ticket.sla_due_at == sto(2025, 3, 4, 9, 30)
    assert ticket.sla_warn_at == sto(2025, 3, 4, 9, 22, 30)
    result = desk.scan(sto(2025, 3, 4, 9, 41))
    # The warning moment passed unrecorded, but a breach makes it moot: one event.
    assert (result.warnings, result.breaches) == (0, 1)


def test_calendar_time_targets_ignore_business_hours(desk, office_policy):
    targets_set(office_policy, {"normal": (120, 240, 480, 24 * 60)}, business=False)
    ticket = desk.open(sto(2025, 3, 7, 16, 0))  # Friday afternoon
    assert ticket.sla_due_at == sto(2025, 3, 7, 18, 0)
    assert ticket.sla_calendar_id is None


def test_solved_ticket_keeps_each_targets_outcome_for_reporting(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.reply(ticket, sto(2025, 3, 4, 9, 15))
    desk.customer(ticket, sto(2025, 3, 4, 10, 0))
    desk.reply(ticket, sto(2025, 3, 4, 13, 30), status=_status("solved"))
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.NONE
    assert ticket.sla_due_at is None and ticket.sla_warn_at is None
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_seconds == 15 * 60
    assert not sla.first_response_breached
    assert sla.resolution_seconds == 3 * 60 * 60 + 30 * 60
    assert not sla.resolution_breached
    assert sla.targets["next_response"]["history"][0]["elapsed"] == 150 * 60
    assert sla.targets["next_response"]["breaches"] == 1  # 2h30 against 2h
    desk.status(ticket, sto(2025, 3, 12, 9, 0), "closed")
    sla.refresh_from_db()
    assert sla.resolution_seconds == 3 * 60 * 60 + 30 * 60


def test_a_reopened_ticket_resumes_its_resolution_clock(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 8, 0))
    desk.reply(ticket, sto(2025, 3, 4, 10, 0), status=_status("solved"))
    desk.customer(ticket, sto(2025, 3, 5, 8, 0))  # reopens within the window
    ticket.refresh_from_db()
    assert ticket.status_category == "open"
    sla = TicketSla.objects.get(ticket=ticket)
    # Two hours ran before it was solved; six remain from Wednesday 08:00.
    assert _parse(sla.targets["resolution"]["due_at"]) == sto(2025, 3, 5, 15, 0)
    assert sla.resolution_seconds is None


def test_first_policy_that_matches_applies(desk, office_policy, office_calendar, people):
    from frontdesk.sla.services import calendar_builtin, policy_save

    vip = policy_save(
        policy=None,
        name="Acme VIP",
        calendar=calendar_builtin(),
        conditions=[
            {"field": "organization", "values": [people["acme"].pk]},
            {"field": "channel", "values": ["portal", "email"]},
        ],
        position=0,
    )
    targets_set(vip, {"normal": (15, 30, 60, 240)}, business=True)
    acme = desk.open(sto(2025, 3, 8, 10, 0))  # Saturday; 24/7 calendar
    globex = desk.open(sto(2025, 3, 8, 10, 0), requester=people["erik"])
    assert acme.sla_policy_id == vip.pk
    assert acme.sla_due_at == sto(2025, 3, 8, 10, 15)
    assert acme.sla_calendar_id is None  # 24/7 needs no calendar to count down
    assert globex.sla_policy_id == office_policy.pk
    assert globex.sla_due_at == sto(2025, 3, 10, 9, 0)
    # Moving the ticket to Erik's organization changes the policy; elapsed time counts.
    desk.update(acme, sto(2025, 3, 8, 10, 5), organization=people["globex"])
    assert acme.sla_policy_id == office_policy.pk


def test_tag_and_group_conditions(desk, office_policy, people):
    from django.contrib.auth.models import Group

    from frontdesk.sla.services import calendar_builtin, policy_save

    group = Group.objects.create(name="Premium")
    people["erik"].groups.add(group)
    premium = policy_save(
        policy=None,
        name="Premium",
        calendar=calendar_builtin(),
        conditions=[{"field": "requester_group", "values": ["Premium"]}],
        position=0,
    )
    outage = policy_save(
        policy=None,
        name="Outage",
        calendar=calendar_builtin(),
        conditions=[{"field": "tag", "values": ["outage"]}],
        position=0,
    )
    targets_set(premium, {"normal": (10, 20, 30, 40)})
    targets_set(outage, {"normal": (5, 20, 30, 40)})
    erik = desk.open(sto(2025, 3, 4, 9, 0), requester=people["erik"])
    dana = desk.open(sto(2025, 3, 4, 9, 0))
    assert erik.sla_policy_id == premium.pk
    assert dana.sla_policy_id == office_policy.pk
    desk.update(dana, sto(2025, 3, 4, 9, 1), add_tags=["outage"])
    assert dana.sla_policy_id == outage.pk
    assert dana.sla_due_at == sto(2025, 3, 4, 9, 5)


def test_scanner_stopped_for_an_hour_fires_each_missed_breach_once(desk, office_policy):
    tickets = [desk.open(sto(2025, 3, 4, 9, minute)) for minute in (0, 10, 20)]
    desk.scan(sto(2025, 3, 4, 9, 1))
    # The scanner is down from 09:01 to 10:40; every first response came due meanwhile.
    result = desk.scan(sto(2025, 3, 4, 10, 40))
    assert (result.breaches, result.warnings) == (3, 0)
    again = desk.scan(sto(2025, 3, 4, 10, 41))
    assert (again.breaches, again.warnings) == (0, 0)
    for ticket in tickets:
        assert events(ticket) == [("first_response", 0, "breach")]


def test_merged_ticket_has_no_sla_of_its_own(desk, office_policy, people):
    from frontdesk.tickets.services import ticket_merge

    first = desk.open(sto(2025, 3, 4, 9, 0))
    second = desk.open(sto(2025, 3, 4, 9, 5))
    desk._run(
        sto(2025, 3, 4, 9, 10),
        lambda: ticket_merge(source=second, target=first, actor=people["alice"]),
    )
    second.refresh_from_db()
    assert second.sla_state == SlaState.NONE
    assert second.sla_warn_at is None
    assert TicketSla.objects.get(ticket=second).alarm_at is None
    # Its first response would have come due at 10:05: nothing is recorded for it.
    desk.scan(sto(2025, 3, 4, 12, 0))
    assert events(second) == []


def _status(slug):  # type: ignore[no-untyped-def]
    from frontdesk.tickets.models import Status

    return Status.objects.get(slug=slug)


def _parse(value):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_durations_are_exact_not_rounded(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 9, 0, 30))
    desk.reply(ticket, sto(2025, 3, 4, 9, 59, 59))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_seconds == int(timedelta(minutes=59, seconds=29).total_seconds())
    assert not sla.first_response_breached


def test_the_worked_example_in_the_docs(desk, office_policy):
    from frontdesk.sla.selectors import badge_for

    ticket = desk.open(sto(2025, 3, 4, 16, 30))
    assert (ticket.sla_due_at, ticket.sla_warn_at) == (
        sto(2025, 3, 5, 8, 30),
        sto(2025, 3, 5, 8, 15),
    )
    assert badge_for(ticket, now=sto(2025, 3, 4, 16, 30)).text == "First response 1h 0m left"
    desk.note(ticket, sto(2025, 3, 4, 16, 45))
    assert ticket.sla_due_at == sto(2025, 3, 5, 8, 30)
    assert desk.scan(sto(2025, 3, 5, 8, 15)).warnings == 1
    assert desk.scan(sto(2025, 3, 5, 8, 30)).breaches == 1
    desk.reply(ticket, sto(2025, 3, 5, 8, 40), status=_status("pending"))
    sla = TicketSla.objects.get(ticket=ticket)
    assert (sla.first_response_seconds, sla.first_response_breached) == (70 * 60, True)
    assert ticket.sla_state == SlaState.PAUSED
    assert badge_for(ticket, now=sto(2025, 3, 5, 9, 0)).text == "Periodic update paused"
    desk.customer(ticket, sto(2025, 3, 7, 10, 0))
    sla.refresh_from_db()
    due = {
        kind: _parse(entry["due_at"]) for kind, entry in sla.targets.items() if entry.get("running")
    }
    assert due == {
        "next_response": sto(2025, 3, 7, 12, 0),
        "periodic_update": sto(2025, 3, 7, 15, 0),
        "resolution": sto(2025, 3, 10, 8, 50),
    }


def test_the_worked_example_raised_to_urgent(desk, office_policy):
    ticket = desk.open(sto(2025, 3, 4, 16, 30))
    desk.priority(ticket, sto(2025, 3, 5, 8, 5), "urgent")
    assert ticket.sla_due_at == sto(2025, 3, 4, 17, 0)
    assert desk.scan(sto(2025, 3, 5, 8, 6)).breaches == 1
    desk.priority(ticket, sto(2025, 3, 5, 8, 7), "normal")
    assert ticket.sla_state == SlaState.BREACHED
    assert TicketSla.objects.get(ticket=ticket).first_response_breached


def test_a_policy_without_pause_categories_keeps_resolution_running(desk, office_calendar):
    from frontdesk.sla.services import policy_save

    policy = policy_save(
        policy=None, name="No pauses", calendar=office_calendar, pause_categories=[]
    )
    targets_set(policy, {"normal": (60, 120, 240, 480)})
    ticket = desk.open(sto(2025, 3, 4, 8, 0))
    desk.reply(ticket, sto(2025, 3, 4, 8, 30), status=_status("pending"))
    assert ticket.sla_state == SlaState.OK
    assert (ticket.sla_target, ticket.sla_due_at) == ("periodic_update", sto(2025, 3, 4, 13, 30))
    sla = TicketSla.objects.get(ticket=ticket)
    assert _parse(sla.targets["resolution"]["due_at"]) == sto(2025, 3, 4, 17, 0)
    assert sla.paused == []


def test_the_periodic_job_scans(desk, office_policy):
    from frontdesk.sla.tasks import sla_scan_periodic

    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    with desk.at(sto(2025, 3, 4, 10, 0)):
        result = sla_scan_periodic.call_local()
    assert result == {"tickets": 1, "warnings": 0, "breaches": 1}
    assert events(ticket) == [("first_response", 0, "breach")]


def test_office_hours_follow_stockholm_summer_time(desk, office_policy):
    # Friday 28 March 2025 16:30 CET; clocks go forward on Sunday the 30th.
    ticket = desk.open(sto(2025, 3, 28, 16, 30))
    assert ticket.sla_due_at == sto(2025, 3, 31, 8, 30)
    assert ticket.sla_due_at.astimezone(UTC).hour == 6  # 08:30 CEST


def test_a_new_policy_reaches_open_tickets_through_the_recompute_job(desk, office_calendar):
    from frontdesk.sla.config import config_version
    from frontdesk.sla.services import policy_save
    from frontdesk.sla.tasks import sla_recompute_open_task

    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    assert ticket.sla_state == SlaState.NONE
    policy = policy_save(policy=None, name="Late comer", calendar=office_calendar)
    targets_set(policy, {"normal": (60, 120, 240, 480)})
    with desk.at(sto(2025, 3, 4, 9, 30)):
        # A job scheduled by an earlier save sees a newer version and leaves it to the last.
        assert sla_recompute_open_task.call_local(version=config_version() - 1) == 0
        assert sla_recompute_open_task.call_local(version=config_version()) == 1
    ticket.refresh_from_db()
    assert (ticket.sla_policy_id, ticket.sla_due_at) == (policy.pk, sto(2025, 3, 4, 10, 0))
