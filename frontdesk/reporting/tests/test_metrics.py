"""Each measure against figures computed by hand from the desk week (see conftest)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from frontdesk.reporting.metrics import Filters, Scope, measure_compute
from frontdesk.reporting.rollups import rollup_days
from frontdesk.reporting.tests.conftest import local
from frontdesk.tickets.models import Tag

pytestmark = pytest.mark.django_db

WEEK = Filters.of(date(2026, 3, 2), date(2026, 3, 6))
ALL = Scope()


def value(key: str, filters: Filters = WEEK, scope: Scope = ALL) -> float | None:
    return measure_compute(key, filters=filters, scope=scope).total


def test_the_week_as_a_supervisor_reads_it(desk_week, after_week):
    assert desk_week["t3"].reopened_count == 1
    assert desk_week["t4"].merged_into_id == desk_week["t1"].pk
    assert value("created") == 5  # the merged ticket was a request too
    assert value("solved") == 3  # the merged one is not a solve
    assert value("first_response_avg") == pytest.approx((3600 + 14400 + 1800) / 3)
    assert value("first_response_median") == pytest.approx(3600)
    assert value("first_response_p90") == pytest.approx(3600 + 0.8 * (14400 - 3600))
    assert value("resolution_avg") == pytest.approx((10800 + 91800 + 172800) / 3)
    assert value("resolution_median") == pytest.approx(91800)
    assert value("replies_per_ticket") == pytest.approx(5 / 3)
    assert value("reopen_rate") == pytest.approx(100 / 3)
    assert value("one_touch_rate") == pytest.approx(100 / 3)
    assert value("backlog") == 1
    assert value("next_response_avg") == pytest.approx((3600 + 1800) / 2)
    assert value("next_response_median") == pytest.approx(2700)


def test_grouped_by_day_and_team(desk_week, after_week):
    created = measure_compute("created", filters=WEEK, scope=ALL, group=("day",)).by_key()
    assert created == {(date(2026, 3, 2),): 4, (date(2026, 3, 3),): 1}
    solved = measure_compute("solved", filters=WEEK, scope=ALL, group=("day", "team"))
    l1, l2 = desk_week["t1"].team_id, desk_week["t3"].team_id
    assert solved.by_key() == {
        (date(2026, 3, 2), l1): 1,
        (date(2026, 3, 3), l1): 1,
        (date(2026, 3, 4), l2): 1,
    }
    medians = measure_compute("first_response_median", filters=WEEK, scope=ALL, group=("team",))
    assert medians.by_key() == {(l1,): pytest.approx(9000), (l2,): pytest.approx(1800)}


def test_a_day_boundary_is_local_midnight(desk_week, after_week):
    # T5 was created Tue 08:00 local = 07:00 UTC: Tuesday, whatever the server's zone.
    tuesday = Filters.of(date(2026, 3, 3), date(2026, 3, 3))
    assert value("created", tuesday) == 1


def test_alice_sees_her_teams_figures_only(desk_week, after_week, people):
    l1_only = Scope(team_ids=(people["l1"].pk,))
    assert value("created", scope=l1_only) == 4
    assert value("solved", scope=l1_only) == 2
    assert value("reopen_rate", scope=l1_only) == 0


def test_filters_narrow_the_figures(desk_week, after_week, people):
    email = Filters.of(WEEK.start, WEEK.end, channel="email")
    assert value("created", email) == 2
    acme = Filters.of(WEEK.start, WEEK.end, organization=people["acme"].pk)
    assert value("solved", acme) == 2


def test_rollups_give_the_same_answers_as_the_tickets(desk_week, after_week, settings):
    settings.REPORTING_ROLLUP_MIN_DAYS = 1
    keys = [
        "created",
        "solved",
        "first_response_avg",
        "resolution_avg",
        "replies_per_ticket",
        "reopen_rate",
        "one_touch_rate",
    ]
    live = {k: measure_compute(k, filters=WEEK, scope=ALL, group=("team",)).by_key() for k in keys}
    rollup_days(start=date(2026, 3, 1), end=date(2026, 3, 5))
    for key in keys:
        rolled = measure_compute(key, filters=WEEK, scope=ALL, group=("team",))
        assert rolled.source == "rollup+live"
        assert rolled.by_key() == pytest.approx(live[key]), key


def test_rollup_days_can_run_twice(desk_week, after_week):
    from frontdesk.reporting.models import DailyTicketStats

    rollup_days(start=date(2026, 3, 1), end=date(2026, 3, 5))
    first = sorted(DailyTicketStats.objects.values_list("day", "team_id", "created", "solved"))
    rollup_days(start=date(2026, 3, 1), end=date(2026, 3, 5))
    assert (
        sorted(DailyTicketStats.objects.values_list("day", "team_id", "created", "solved")) == first
    )


def test_backlog_by_age_and_first_response_distribution(desk_week, after_week):
    """Friday noon: T5 (created Tuesday 08:00) is the one open ticket, 3 days 4 hours old.
    First replies: T3 after 30 min, T1 after 1 h (the 1-4 h bucket starts at 1 h), T2
    after exactly 4 h (4-8 h)."""
    from frontdesk.reporting.metrics import backlog_by_age, first_response_histogram

    ages = {key: n for key, _label, n in backlog_by_age(filters=WEEK, scope=ALL)}
    assert ages == {"lt1d": 0, "1-3d": 0, "3-7d": 1, "7-30d": 0, "gt30d": 0}
    spread = [n for _label, n in first_response_histogram(filters=WEEK, scope=ALL)]
    assert spread == [1, 1, 1, 0, 0, 0]


def test_volume_by_tag_priority_type_and_organization(desk_week, after_week, people):
    """T1 is tagged vpn and urgent, T2 urgent: a ticket counts once under each of its tags.
    Dana (Acme) asked T1, T2, T4, T5; Erik (Globex) T3."""
    from frontdesk.tickets.models import Priority, TicketType
    from frontdesk.tickets.services import ticket_update

    high = Priority.objects.get(slug="high")
    used = {t.ticket_type_id for t in desk_week.values()}
    question = TicketType.objects.exclude(pk__in=[u for u in used if u]).order_by("pk").first()
    with time_machine.travel(local(6, 9), tick=False):
        ticket_update(
            ticket=desk_week["t1"],
            actor=people["alice"],
            changes={"tags": ["vpn", "urgent"], "priority": high, "ticket_type": question},
        )
        ticket_update(ticket=desk_week["t2"], actor=people["alice"], changes={"tags": ["urgent"]})
    tags = dict(Tag.objects.filter(name__in=["vpn", "urgent"]).values_list("name", "pk"))
    by_tag = measure_compute("created", filters=WEEK, scope=ALL, group=("tag",)).by_key()
    assert by_tag[(tags["vpn"],)] == 1 and by_tag[(tags["urgent"],)] == 2
    solved_by_tag = measure_compute("solved", filters=WEEK, scope=ALL, group=("tag",)).by_key()
    assert solved_by_tag[(tags["urgent"],)] == 2
    by_priority = measure_compute("created", filters=WEEK, scope=ALL, group=("priority",)).by_key()
    assert by_priority[(high.pk,)] == 1 and sum(by_priority.values()) == 5
    by_type = measure_compute("solved", filters=WEEK, scope=ALL, group=("ticket_type",)).by_key()
    assert by_type[(question.pk,)] == 1
    by_org = measure_compute("created", filters=WEEK, scope=ALL, group=("organization",)).by_key()
    assert by_org == {(people["acme"].pk,): 4, (people["globex"].pk,): 1}
    vpn_only = Filters.of(WEEK.start, WEEK.end, tag=tags["vpn"])
    assert value("resolution_avg", vpn_only) == pytest.approx(10800)


def test_csat_per_team_and_agent_on_the_week(desk_week, after_week, people):
    """Dana rates T1 bad and T2 good (Alice's, L1); Erik rates T3 good (Carol's, L2)."""
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure

    for key, rating in (("t1", 0), ("t2", 1), ("t3", 1)):
        csat_answer(survey=csat_survey_ensure(ticket=desk_week[key]), rating=rating)
    assert value("csat") == pytest.approx(200 / 3)
    assert value("csat_responses") == 3
    by_agent = measure_compute("csat", filters=WEEK, scope=ALL, group=("assignee",)).by_key()
    assert by_agent == {
        (people["alice"].pk,): pytest.approx(50.0),
        (people["carol"].pk,): pytest.approx(100.0),
    }
    by_team = measure_compute("csat", filters=WEEK, scope=ALL, group=("team",)).by_key()
    assert by_team[(people["l1"].pk,)] == pytest.approx(50.0)
    # Ratings count on the day they were given (Friday), whatever day the ticket was solved.
    by_day = measure_compute("csat_responses", filters=WEEK, scope=ALL, group=("day",)).by_key()
    assert by_day == {(date(2026, 3, 6),): 3}


def test_agent_performance_rows(desk_week, after_week, people, make_ticket):
    """Alice: solved T1 and T2, median first response (1 h + 4 h) / 2, one rating of two
    good, two open tickets now of a capacity of 4. Carol: T3, 30 min, no rating."""
    from frontdesk.reporting.selectors import agent_performance
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure, survey_settings_save

    survey_settings_save(agent_capacity=4)
    make_ticket(subject="One", assignee=people["alice"])
    make_ticket(subject="Two", assignee=people["alice"])
    csat_answer(survey=csat_survey_ensure(ticket=desk_week["t1"]), rating=1)
    rows = {r["agent"].pk: r for r in agent_performance(filters=WEEK, scope=ALL)}
    alice, carol = rows[people["alice"].pk], rows[people["carol"].pk]
    assert (alice["solved"], alice["csat"]) == (2, 100.0)
    assert alice["first_response_median"] == pytest.approx(9000)
    assert (alice["open"], alice["capacity"], alice["load"]) == (2, 4, 50)
    assert (carol["solved"], carol["csat"]) == (1, None)
    assert carol["first_response_median"] == pytest.approx(1800)
    assert carol["open"] == 0


def test_today_so_far_against_the_same_time_last_week(desk_week, people, make_ticket):
    """Monday 9 March 10:30: one ticket since 09:00. Last Monday by 10:30: T1, T2 and T3
    created, one first reply (T1 at 10:00, after 1 h); T3's reply came at 10:30 exactly."""
    from frontdesk.reporting.selectors import live_counters

    with time_machine.travel(local(9, 9), tick=False):
        make_ticket(subject="Monday again")
    with time_machine.travel(local(9, 10, 30), tick=False):
        counters = live_counters(filters=WEEK, scope=ALL)
    by_key = {c["measure"].key: c for c in counters if "measure" in c}
    assert (by_key["created"]["today"], by_key["created"]["last_week"]) == (1, 3)
    assert (by_key["solved"]["today"], by_key["solved"]["last_week"]) == (0, 0)
    assert by_key["first_response_median"]["last_week"] == pytest.approx(3600)
    assert by_key["first_response_median"]["today"] is None
    now = {c["key"]: c["value"] for c in counters if "key" in c}
    assert now == {"open": 2, "unassigned": 2, "unanswered": 2}
