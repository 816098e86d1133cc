"""The business-time clock: hand-checked cases across DST, holidays and night shifts, and
hypothesis properties (adding then measuring returns the duration, monotonic, pauses add
exactly their length) checked against a minute-by-minute reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frontdesk.sla.clock import (
    ALWAYS,
    WEEKDAYS,
    Calendar,
    NoBusinessTime,
    format_intervals,
    parse_intervals,
)

STO = ZoneInfo("Europe/Stockholm")
NYC = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)

OFFICE = {d: "08:00-12:00, 13:00-17:00" for d in WEEKDAYS[:5]}  # lunch break 12-13


def sto(*args: int) -> datetime:
    return datetime(*args, tzinfo=STO)  # type: ignore[misc]


def nyc(*args: int) -> datetime:
    return datetime(*args, tzinfo=NYC)  # type: ignore[misc]


def office(tz: str = "Europe/Stockholm", **kw) -> Calendar:  # type: ignore[no-untyped-def]
    return Calendar.from_spec(tz=tz, weekly=OFFICE, **kw)


# --- parsing ---------------------------------------------------------------------------------


def test_intervals_parse_with_lunch_break_and_night_shift():
    assert parse_intervals("08:00-12:00, 13:00-17:00") == ((480, 720), (780, 1020))
    assert parse_intervals("22:00-06:00") == ((1320, 1800),)
    assert parse_intervals("00:00-24:00") == ((0, 1440),)
    assert (
        format_intervals(parse_intervals("22:00-06:00; 08:00-09:30")) == "08:00-09:30, 22:00-06:00"
    )


@pytest.mark.parametrize("bad", ["8-17", "08:00-08:00", "25:00-26:00", "09:00-12:00, 11:00-13:00"])
def test_intervals_that_make_no_sense_are_refused(bad):
    with pytest.raises(ValueError):
        parse_intervals(bad)


def test_a_calendar_without_any_open_hour_is_refused():
    with pytest.raises(NoBusinessTime):
        Calendar.from_spec(tz="UTC", weekly={})


# --- office hours, lunch, weekends, holidays ---------------------------------------------------


def test_lunch_break_does_not_count():
    cal = office()
    assert cal.add(sto(2025, 3, 4, 11, 0), 2 * H) == sto(2025, 3, 4, 14, 0)
    assert cal.elapsed(sto(2025, 3, 4, 11, 30), sto(2025, 3, 4, 13, 30)) == H


def test_friday_afternoon_rolls_over_the_weekend():
    cal = office()
    assert cal.add(sto(2025, 3, 7, 16, 0), 2 * H) == sto(2025, 3, 10, 9, 0)
    assert cal.elapsed(sto(2025, 3, 7, 16, 0), sto(2025, 3, 10, 9, 0)) == 2 * H


def test_start_outside_hours_counts_from_the_next_opening():
    cal = office()
    assert cal.add(sto(2025, 3, 4, 6, 0), 30 * M) == sto(2025, 3, 4, 8, 30)
    assert cal.add(sto(2025, 3, 8, 10, 0), H) == sto(2025, 3, 10, 9, 0)  # Saturday
    assert cal.next_open(sto(2025, 3, 8, 10, 0)) == sto(2025, 3, 10, 8, 0)
    assert not cal.is_open(sto(2025, 3, 4, 12, 30))
    assert cal.is_open(sto(2025, 3, 4, 13, 0))


def test_a_target_that_ends_exactly_at_closing_is_due_at_closing():
    cal = office()
    assert cal.add(sto(2025, 3, 4, 16, 0), H) == sto(2025, 3, 4, 17, 0)


def test_swedish_public_holidays_close_the_desk():
    cal = office(country="SE")
    # Good Friday 18 April and Easter Monday 21 April 2025.
    assert cal.add(sto(2025, 4, 17, 16, 0), 2 * H) == sto(2025, 4, 22, 9, 0)
    # Christmas: 24 Dec is an ordinary day by law; 25 and 26 are holidays; the 27th a Saturday.
    assert cal.add(sto(2025, 12, 24, 16, 0), 2 * H) == sto(2025, 12, 29, 9, 0)


def test_a_holiday_on_a_weekend_changes_nothing():
    plain = office()
    # National Day 6 June 2026 is a Saturday; New Year's Day 2028 is a Saturday too.
    with_holidays = office(holidays=[date(2026, 6, 6)], yearly=[(1, 1)], country="SE")
    for start in (sto(2026, 6, 5, 15, 0), sto(2027, 12, 31, 16, 30)):
        assert with_holidays.add(start, 3 * H) == plain.add(start, 3 * H)


def test_one_off_and_yearly_holidays():
    cal = office(holidays=[date(2025, 3, 5)], yearly=[(3, 6)])
    assert cal.add(sto(2025, 3, 4, 16, 0), 2 * H) == sto(2025, 3, 7, 9, 0)
    # The yearly date comes back next year (6 March 2026 is a Friday).
    assert cal.add(sto(2026, 3, 5, 16, 0), 2 * H) == sto(2026, 3, 9, 9, 0)


def test_year_boundary_with_new_years_day():
    cal = office(country="SE")
    # 31 Dec 2025 (Wed) open, 1 Jan 2026 holiday, 2 Jan open.
    assert cal.add(sto(2025, 12, 31, 16, 0), 2 * H) == sto(2026, 1, 2, 9, 0)
    assert cal.elapsed(sto(2025, 12, 31, 8, 0), sto(2026, 1, 2, 17, 0)) == 16 * H


def test_subdivision_holidays_from_the_package():
    # Martin Luther King Jr. Day: 20 January 2025 in every US state.
    cal = Calendar.from_spec(tz="America/New_York", weekly=OFFICE, country="US", subdivision="NY")
    assert cal.add(nyc(2025, 1, 17, 16, 0), 2 * H) == nyc(2025, 1, 21, 9, 0)


# --- daylight saving time --------------------------------------------------------------------


def test_stockholm_spring_forward_night_is_one_hour_shorter_for_a_night_shift():
    cal = Calendar.from_spec(tz="Europe/Stockholm", weekly={d: "22:00-06:00" for d in WEEKDAYS})
    # 30 March 2025: clocks jump from 02:00 to 03:00.
    assert cal.elapsed(sto(2025, 3, 29, 12, 0), sto(2025, 3, 30, 12, 0)) == 7 * H
    assert cal.elapsed(sto(2025, 3, 28, 12, 0), sto(2025, 3, 29, 12, 0)) == 8 * H
    # 26 October 2025: clocks fall back from 03:00 to 02:00.
    assert cal.elapsed(sto(2025, 10, 25, 12, 0), sto(2025, 10, 26, 12, 0)) == 9 * H


def test_office_hours_keep_local_time_across_dst():
    cal = office()
    # Friday 28 March 16:00 CET + 2h: Monday 31 March 09:00 CEST (UTC offset changed).
    due = cal.add(sto(2025, 3, 28, 16, 0), 2 * H)
    assert due == sto(2025, 3, 31, 9, 0)
    assert due.utcoffset() is not None
    assert due.astimezone(UTC).hour == 7


def test_new_york_dst_weekends():
    cal = office("America/New_York")
    assert cal.add(nyc(2025, 3, 7, 16, 0), 2 * H) == nyc(2025, 3, 10, 9, 0)
    assert cal.add(nyc(2025, 10, 31, 16, 0), 2 * H) == nyc(2025, 11, 3, 9, 0)
    around_the_clock = Calendar.from_spec(
        tz="America/New_York", weekly={d: "00:00-24:00" for d in WEEKDAYS}
    )
    assert around_the_clock.elapsed(nyc(2025, 3, 9, 0, 0), nyc(2025, 3, 10, 0, 0)) == 23 * H
    assert around_the_clock.elapsed(nyc(2025, 11, 2, 0, 0), nyc(2025, 11, 3, 0, 0)) == 25 * H


def test_an_opening_time_inside_the_spring_gap_counts_from_the_real_clock():
    # 02:00-03:00 does not exist on 9 March 2025 in New York: 02:00-04:00 is one real hour.
    cal = Calendar.from_spec(tz="America/New_York", weekly={"sun": "02:00-04:00"})
    assert cal.elapsed(nyc(2025, 3, 9, 0, 0), nyc(2025, 3, 9, 12, 0)) == H
    # 01:00-02:00 happens twice on 2 November 2025: 01:00-03:00 is three real hours.
    repeated = Calendar.from_spec(tz="America/New_York", weekly={"sun": "01:00-03:00"})
    assert repeated.elapsed(nyc(2025, 11, 2, 0, 0), nyc(2025, 11, 2, 12, 0)) == 3 * H


# --- night shifts, 24/7, pauses -----------------------------------------------------------------


def test_night_shift_crossing_midnight_and_a_holiday_the_next_morning():
    cal = Calendar.from_spec(
        tz="Europe/Stockholm", weekly={"mon": "22:00-06:00"}, holidays=[date(2025, 3, 4)]
    )
    # Monday 3 March 22:00 shift runs into Tuesday (a holiday) until 06:00: it started Monday.
    assert cal.add(sto(2025, 3, 3, 23, 0), 5 * H) == sto(2025, 3, 4, 4, 0)
    assert cal.elapsed(sto(2025, 3, 3, 0, 0), sto(2025, 3, 10, 0, 0)) == 8 * H
    # A Monday that is a holiday has no shift at all.
    closed = Calendar.from_spec(
        tz="Europe/Stockholm", weekly={"mon": "22:00-06:00"}, holidays=[date(2025, 3, 10)]
    )
    assert closed.add(sto(2025, 3, 10, 12, 0), H) == sto(2025, 3, 17, 23, 0)


def test_adjacent_shifts_over_midnight_merge():
    cal = Calendar.from_spec(tz="UTC", weekly={"mon": "18:00-02:00", "tue": "02:00-10:00"})
    start = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)
    assert cal.add(start, 16 * H) == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def test_always_open_is_plain_arithmetic():
    start = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert ALWAYS.add(start, 36 * H) == start + 36 * H
    assert ALWAYS.elapsed(start, start + 36 * H) == 36 * H
    assert ALWAYS.elapsed(start + H, start) == -H


def test_pause_moves_the_due_time_by_its_business_length():
    cal = office()
    start = sto(2025, 3, 4, 9, 0)
    assert cal.add(start, 4 * H) == sto(2025, 3, 4, 14, 0)
    # Paused 10:00-14:00 holds 3 business hours (lunch does not count): due 3h later.
    due = cal.add(start, 4 * H, paused=[(sto(2025, 3, 4, 10, 0), sto(2025, 3, 4, 14, 0))])
    assert due == sto(2025, 3, 4, 17, 0)
    paused_over_night = [(sto(2025, 3, 4, 16, 0), sto(2025, 3, 5, 10, 0))]
    assert cal.add(sto(2025, 3, 4, 15, 0), 2 * H, paused_over_night) == sto(2025, 3, 5, 11, 0)


def test_open_ended_pause_stops_the_clock():
    start = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    paused = [(start + H, None)]
    assert ALWAYS.add(start, 2 * H, paused) is None
    assert ALWAYS.add(start, 30 * M, paused) == start + 30 * M
    assert ALWAYS.elapsed(start, start + 10 * H, paused) == H


def test_pause_over_a_holiday_is_not_counted_twice():
    cal = office(country="SE")
    # Paused from Thursday before Easter to Tuesday after: Good Friday and Easter Monday are
    # holidays; only Thursday 16-17 and Tuesday 08-09 were business time inside the pause.
    start = sto(2025, 4, 17, 15, 0)
    paused = [(sto(2025, 4, 17, 16, 0), sto(2025, 4, 22, 9, 0))]
    assert cal.elapsed(start, sto(2025, 4, 22, 10, 0), paused) == 2 * H
    assert cal.add(start, 2 * H, paused) == sto(2025, 4, 22, 10, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        ALWAYS.add(datetime(2025, 1, 1), H)  # noqa: DTZ001 - the point of the test


# --- properties ------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@st.composite
def day_intervals(draw) -> str:  # type: ignore[no-untyped-def]
    count = draw(st.integers(0, 3))
    marks = sorted(draw(st.sets(st.integers(0, 96), min_size=count * 2, max_size=count * 2)))
    parts = [(marks[i] * 15, marks[i + 1] * 15) for i in range(0, len(marks), 2)]
    text = [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in parts]
    if draw(st.booleans()) and (not parts or parts[-1][1] < 23 * 60):
        # A night shift from after the last interval over midnight.
        begin = (parts[-1][1] // 60 + 1) if parts else 22
        text.append(f"{begin:02d}:00-{draw(st.integers(0, min(begin, 8))):02d}:00")
    return ", ".join(text)


@st.composite
def calendars(draw) -> Calendar:  # type: ignore[no-untyped-def]
    if draw(st.integers(0, 9)) == 0:
        return ALWAYS
    weekly = {day: draw(day_intervals()) for day in WEEKDAYS}
    assume(any(weekly.values()))
    try:
        weekly_parsed = {d: parse_intervals(v) for d, v in weekly.items()}
    except ValueError:
        assume(False)
    assume(any(weekly_parsed.values()))
    return Calendar.from_spec(
        tz=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holidays=draw(st.sets(st.dates(date(2024, 12, 1), date(2026, 2, 1)), max_size=20)),
        yearly=draw(st.sets(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=3)),
    )


instants = st.datetimes(
    min_value=datetime(2024, 12, 20),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2026, 1, 10),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))


@st.composite
def pauses(draw, start: datetime) -> list:  # type: ignore[no-untyped-def]
    result = []
    for _ in range(draw(st.integers(0, 4))):
        begin = start + draw(st.timedeltas(timedelta(0), timedelta(days=20)))
        length = draw(st.timedeltas(timedelta(minutes=1), timedelta(days=4)))
        result.append((begin, begin + length))
    return result


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_adding_then_measuring_returns_the_duration(cal, start, duration):
    due = cal.add(start, duration)
    assert due is not None and due >= start
    assert cal.elapsed(start, due) == duration
    if duration:
        # The due instant is open time (or the very end of it), never a closed stretch.
        assert cal.elapsed(due - timedelta(microseconds=1), due) == timedelta(microseconds=1)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, durations)
def test_add_is_monotonic_in_duration(cal, start, d1, d2):
    low, high = sorted((d1, d2))
    assert cal.add(start, low) <= cal.add(start, high)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, instants, durations)
def test_add_is_monotonic_in_start(cal, s1, s2, duration):
    early, late = sorted((s1, s2))
    assert cal.add(early, duration) <= cal.add(late, duration)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, instants, instants)
def test_elapsed_adds_up_over_consecutive_spans(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)
    assert cal.elapsed(c, a) == -cal.elapsed(a, c)
    assert timedelta(0) <= cal.elapsed(a, c) <= c - a


@settings(max_examples=120, deadline=None)
@given(calendars(), instants, durations, st.data())
def test_pauses_add_exactly_their_business_length(cal, start, duration, data):
    paused = data.draw(pauses(start))
    due = cal.add(start, duration, paused)
    assert due is not None
    # Measured with the same pauses, the duration comes back exactly ...
    assert cal.elapsed(start, due, paused) == duration
    # ... and without them, the business time inside the pauses is the whole difference.
    merged = _union(paused)
    inside = sum(
        (cal.elapsed(max(s, start), min(e, due)) for s, e in merged if e > start and s < due),
        timedelta(0),
    )
    assert cal.elapsed(start, due) == duration + inside


@settings(max_examples=60, deadline=None)
@given(instants, st.timedeltas(timedelta(0), timedelta(days=10)), st.data())
def test_on_a_24_7_calendar_a_pause_adds_its_wall_length(start, duration, data):
    paused = data.draw(pauses(start))
    due = ALWAYS.add(start, duration, paused)
    plain = start + duration
    expected = plain
    for s, e in _union(paused):
        if s < expected:
            expected += e - max(s, start)
    assert due == expected
    assert plain <= due


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
@settings(max_examples=40, deadline=None)
@given(
    weekly=st.fixed_dictionaries({d: day_intervals() for d in WEEKDAYS}),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2025, 2, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ).map(lambda d: d.replace(second=0, microsecond=0)),
    days=st.integers(1, 9),
    holiday=st.dates(date(2025, 1, 1), date(2025, 2, 10)),
)
def test_elapsed_matches_a_minute_by_minute_count(tz, weekly, start, days, holiday):
    try:
        cal = Calendar.from_spec(tz=tz, weekly=weekly, holidays=[holiday])
    except ValueError:
        assume(False)
    zone = ZoneInfo(tz)
    end = start + timedelta(days=days)
    minute, count = start, 0
    while minute < end:
        local = minute.astimezone(zone)
        m = local.hour * 60 + local.minute
        today, yesterday = local.date(), local.date() - timedelta(days=1)
        is_open = any(
            a <= m < b for a, b in cal.weekly[today.weekday()] if today != holiday
        ) or any(
            a <= m + 1440 < b for a, b in cal.weekly[yesterday.weekday()] if yesterday != holiday
        )
        count += is_open
        minute += M
    assert cal.elapsed(start, end) == count * M


def _union(spans: list) -> list:  # type: ignore[type-arg]
    merged: list = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
