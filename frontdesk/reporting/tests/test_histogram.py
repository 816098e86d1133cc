"""Medians of long ranges come from daily log-scale histograms: never further from the exact
value than docs/metrics.md promises (a factor sqrt(1.02), under 1 %, or half a second)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.reporting.histogram import (
    ABSOLUTE_ERROR,
    RATIO,
    bucket_of,
    bucket_value,
    histogram_percentile,
)
from frontdesk.reporting.metrics import (
    FIRST_RESPONSE_BUCKETS,
    Filters,
    Scope,
    first_response_buckets,
    first_response_histogram,
    measure_compute,
    measures_compute,
)
from frontdesk.reporting.rollups import rollup_days
from frontdesk.tickets.models import Status
from frontdesk.tickets.services import message_add, ticket_update

SQRT = math.sqrt(RATIO)


def exact_percentile(values: list[float], fraction: float) -> float:
    """``percentile_cont``: linear interpolation between the two closest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def within_bound(estimate: float, exact: float) -> bool:
    slack = 1e-9 * max(1.0, exact)  # float rounding at bucket edges
    return (
        exact / SQRT - ABSOLUTE_ERROR - slack <= estimate <= exact * SQRT + ABSOLUTE_ERROR + slack
    )


@given(st.floats(min_value=0, max_value=10 * 365 * 86400, allow_nan=False))
def test_a_bucket_stands_for_its_values_within_the_bound(seconds):
    assert within_bound(bucket_value(bucket_of(seconds)), seconds)


@given(
    st.lists(
        st.floats(min_value=0, max_value=60 * 86400, allow_nan=False), min_size=1, max_size=300
    ),
    st.sampled_from([0.5, 0.9, 0.0, 1.0, 0.25]),
)
def test_a_percentile_from_buckets_is_within_the_bound(values, fraction):
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    estimate = histogram_percentile(counts, fraction)
    assert estimate is not None
    assert within_bound(estimate, exact_percentile(values, fraction))


def test_an_empty_histogram_has_no_percentile():
    assert histogram_percentile({}, 0.5) is None


# --- against the database: three weeks of tickets, rolled up --------------------------------

START = date(2026, 2, 2)  # a Monday; the clock ends on 24 February


def at(day: date, seconds: float = 0) -> datetime:
    """09:00 local (UTC+1 in February) on ``day``, plus ``seconds``."""
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(seconds=seconds)


# First-response and resolution times spread from seconds to days (log-wide, as real ones are).
FRT = [40, 95, 610, 1800, 2700, 3599, 3600, 5400, 9000, 14400, 20000, 28800, 40000, 86400, 200000]
RESOLUTION = [3700, 7300, 30000, 90000, 172800, 250000, 400000]


@pytest.fixture
def three_weeks(people, make_ticket):
    """22 tickets over three weeks (the last one answered today), Alice's and Bob's."""
    solved = Status.objects.get(slug="solved")
    tickets = []
    for i in range(22):
        day = START + timedelta(days=i)
        agent = people["alice"] if i % 3 else people["bob"]
        frt = FRT[i % len(FRT)] * (1 + i / 50)
        with time_machine.travel(at(day), tick=False):
            ticket = make_ticket(subject=f"Request {i}", team="l1", assignee=agent)
        with time_machine.travel(at(day, frt), tick=False):
            message_add(ticket=ticket, author=agent, body_text="On it.")
        if i % 2 == 0 and i < 20:
            resolution = max(frt + 60, RESOLUTION[i % len(RESOLUTION)])
            with time_machine.travel(at(day, resolution), tick=False):
                ticket_update(ticket=ticket, actor=agent, changes={"status": solved})
        tickets.append(ticket)
    return tickets


@pytest.fixture
def on_the_last_day():
    with time_machine.travel(at(START + timedelta(days=22), 3 * 3600), tick=False):
        yield


@pytest.mark.django_db
def test_long_range_medians_from_histograms_stay_within_the_bound(
    three_weeks, on_the_last_day, people
):
    # 1 February .. today (24 February): long enough for the rollups.
    weeks = Filters.of(date(2026, 2, 1), START + timedelta(days=22))
    everyone = Scope()
    keys = ("first_response_median", "first_response_p90", "resolution_median")
    exact = {
        (key, group): measure_compute(key, filters=weeks, scope=everyone, group=group).by_key()
        for key in keys
        for group in ((), ("assignee",))
    }
    assert {r.source for r in [measure_compute(keys[0], filters=weeks, scope=everyone)]} == {"live"}
    rollup_days(start=date(2026, 2, 1), end=START + timedelta(days=21))
    for (key, group), values in exact.items():
        result = measure_compute(key, filters=weeks, scope=everyone, group=group)
        assert result.source == "rollup+live", key  # today's reply is counted live
        approx = result.by_key()
        assert approx.keys() == values.keys(), key
        for k, value in values.items():
            assert within_bound(approx[k], value), (key, k, approx[k], value)
    # The dashboard asks for several at once (one histogram query) and adds agents up.
    shared = measures_compute(keys, filters=weeks, scope=everyone, group=("assignee",))
    for key in keys:
        assert (
            shared[key].by_key()
            == measure_compute(key, filters=weeks, scope=everyone, group=("assignee",)).by_key()
        )
        total = shared[key].collapsed(())
        assert total is not None
        assert total.total == pytest.approx(
            measure_compute(key, filters=weeks, scope=everyone).total
        )
        assert within_bound(total.total, exact[(key, ())][()])
    # Short ranges stay exact.
    short = Filters.of(date(2026, 2, 10), date(2026, 2, 16))
    result = measure_compute("first_response_median", filters=short, scope=everyone)
    assert result.source == "live"


@pytest.mark.django_db
def test_the_dashboard_cube_gives_each_measure_its_own_answer(three_weeks, on_the_last_day):
    weeks = Filters.of(date(2026, 2, 1), START + timedelta(days=22))
    everyone = Scope()
    rollup_days(start=date(2026, 2, 1), end=START + timedelta(days=21))
    keys = ("created", "solved", "reopen_rate", "one_touch_rate")
    cube = measures_compute(
        (*keys, FIRST_RESPONSE_BUCKETS), filters=weeks, scope=everyone, group=("day", "assignee")
    )
    for key in keys:
        assert cube[key].source == "rollup+live"
        for group in (("day",), ("assignee",), ()):
            collapsed = cube[key].collapsed(group)
            assert collapsed is not None
            alone = measure_compute(key, filters=weeks, scope=everyone, group=group)
            assert collapsed.by_key() == pytest.approx(alone.by_key()), (key, group)
    assert first_response_buckets(cube[FIRST_RESPONSE_BUCKETS.key]) == first_response_histogram(
        filters=weeks, scope=everyone
    )
    assert sum(n for _label, n in first_response_buckets(cube["first_response_buckets"])) == 22
