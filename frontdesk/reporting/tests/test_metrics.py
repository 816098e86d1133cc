"""Each measure against figures computed by hand from the desk week (see conftest)."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.reporting.metrics import Filters, Scope, measure_compute
from frontdesk.reporting.rollups import rollup_days

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
