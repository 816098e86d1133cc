"""Business-time maths: pure code, no ORM, no Django.

A :class:`Calendar` says when a desk is open: a time zone, weekly opening intervals per
weekday (several per day, e.g. around lunch; an interval may run past midnight, e.g. a
night shift 22:00-06:00) and holidays. It answers two questions exactly:

- ``add(start, duration)``: the instant at which ``duration`` of business time has passed
  after ``start``;
- ``elapsed(start, end)``: how much business time lies between two instants.

Both take optional *paused* intervals: time inside a pause does not count, so a pause
moves a due time by exactly its business length.

How it is exact and fast:

- Instants are integers (microseconds since the epoch), so sums never drift.
- Local opening hours become UTC intervals one local day at a time (cached per calendar),
  so daylight-saving changes are handled by the time-zone database and the maths walks
  days, never minutes. A 24/7 calendar is plain arithmetic.
- Opening times that do not exist locally (inside a spring-forward gap) are read with the
  offset before the change; an interval that becomes empty is dropped. Ambiguous times
  (the repeated hour in autumn) take their first occurrence.
- A holiday closes the intervals that *start* on that local date: a night shift that
  begins the evening before a holiday runs to its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

US = 1_000_000  # microseconds per second
DAY_MINUTES = 24 * 60
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far the maths searches for an open interval before giving up (a calendar whose every
# day is a holiday would otherwise loop for ever).
SEARCH_DAYS = 3 * 366
_DAY_CACHE_LIMIT = 50_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Interval = tuple[int, int]
Pause = tuple[datetime, datetime | None]


class NoBusinessTime(ValueError):  # noqa: N818 - reads as the situation it names
    """The calendar has no open time within the search horizon (every day a holiday)."""


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("business-time maths needs aware datetimes")
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def duration_us(duration: timedelta) -> int:
    return duration // timedelta(microseconds=1)


def parse_intervals(text: str) -> tuple[tuple[int, int], ...]:
    """``"08:00-12:00, 13:00-17:00"`` -> minutes since local midnight, sorted.

    ``24:00`` ends a day; an end before its start runs past midnight (``22:00-06:00``).
    Raises ``ValueError`` with a plain message on anything else.
    """
    result = []
    for part in (p for p in re.split(r"[,;\n]", text or "") if p.strip()):
        match = _INTERVAL_RE.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not an interval like 08:00-17:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"{part.strip()!r} has an impossible time")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            raise ValueError(f"{part.strip()!r} is empty")
        if end < start:
            end += DAY_MINUTES  # crosses midnight
        result.append((start, end))
    result.sort()
    for (_s1, e1), (s2, _e2) in zip(result, result[1:], strict=False):
        if s2 < e1:
            raise ValueError("intervals of one day overlap")
    return tuple(result)


def format_intervals(intervals: Iterable[tuple[int, int]]) -> str:
    def hhmm(minutes: int) -> str:
        minutes = minutes if minutes <= DAY_MINUTES else minutes - DAY_MINUTES
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return ", ".join(f"{hhmm(s)}-{hhmm(e)}" for s, e in intervals)


def _merge_pauses(paused: Iterable[Pause]) -> list[tuple[int, int | None]]:
    """Sorted, non-overlapping pauses in microseconds; ``None`` ends: still paused."""
    spans = sorted(
        (to_us(s), None if e is None else to_us(e)) for s, e in paused if e is None or e > s
    )
    merged: list[tuple[int, int | None]] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # an open pause swallows everything after it
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def _ends_by(pause: tuple[int, int | None], moment: int) -> bool:
    return pause[1] is not None and pause[1] <= moment


@dataclass(frozen=True)
class Calendar:
    """When the desk is open. ``weekly[0]`` is Monday; intervals in local minutes.

    ``always_open`` makes a 24/7 calendar (the other fields are ignored).
    ``holidays``: one-off dates; ``yearly``: (month, day) pairs closed every year;
    ``country``/``subdivision``/``categories``: public holidays from the ``holidays`` package.
    """

    tz: str = "UTC"
    weekly: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()
    country: str = ""
    subdivision: str = ""
    categories: tuple[str, ...] = ("public",)
    always_open: bool = False
    _days: dict[int, tuple[Interval, ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.always_open:
            return
        if len(self.weekly) != 7:
            raise ValueError("weekly hours need seven days, Monday first")
        if not any(self.weekly):
            raise NoBusinessTime("a calendar needs at least one open interval a week")
        ZoneInfo(self.tz)  # fail early on an unknown zone

    # --- building --------------------------------------------------------------------------

    @classmethod
    def from_spec(
        cls,
        *,
        tz: str,
        weekly: dict[str, str | Sequence[str]],
        holidays: Iterable[date] = (),
        yearly: Iterable[tuple[int, int]] = (),
        country: str = "",
        subdivision: str = "",
        categories: Iterable[str] = ("public",),
    ) -> Calendar:
        """``weekly={"mon": "08:00-12:00, 13:00-17:00", ...}`` (missing days: closed)."""
        days = []
        for name in WEEKDAYS:
            value = weekly.get(name) or ""
            text = value if isinstance(value, str) else ", ".join(value)
            days.append(parse_intervals(text))
        return cls(
            tz=tz,
            weekly=tuple(days),
            holidays=frozenset(holidays),
            yearly=frozenset(yearly),
            country=country.upper(),
            subdivision=subdivision,
            categories=tuple(categories) or ("public",),
        )

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @cached_property
    def _country_holidays(self):  # type: ignore[no-untyped-def]
        if not self.country:
            return None
        import holidays as holidays_lib

        return holidays_lib.country_holidays(
            self.country, subdiv=self.subdivision or None, categories=self.categories
        )

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays or (day.month, day.day) in self.yearly:
            return True
        country = self._country_holidays
        return country is not None and day in country

    # --- the open intervals ----------------------------------------------------------------

    def _day(self, ordinal: int) -> tuple[Interval, ...]:
        """UTC intervals (µs) of the shifts that start on local date ``ordinal``."""
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        spans: list[Interval] = []
        if not self.is_holiday(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=self._zone)
            for start_min, end_min in self.weekly[day.weekday()]:
                a = to_us(midnight + timedelta(minutes=start_min))
                b = to_us(midnight + timedelta(minutes=end_min))
                if spans and a < spans[-1][1]:
                    a = spans[-1][1]  # a DST gap can fold an interval onto the previous one
                if b > a:
                    spans.append((a, b))
        result = tuple(spans)
        if len(self._days) > _DAY_CACHE_LIMIT:
            self._days.clear()
        self._days[ordinal] = result
        return result

    def _open_from(self, start: int) -> Iterator[Interval]:
        """Merged open intervals that end after ``start``, in order, for ever."""
        if self.always_open:
            yield (start, 2**62)
            return
        # The local date is within a day of the UTC date; starting two days before it
        # also catches yesterday's night shift, without a time-zone conversion per call.
        ordinal = start // (86_400 * US) + _EPOCH_ORDINAL - 2
        last_end = start
        empty_days = 0
        while True:
            spans = self._day(ordinal)
            ordinal += 1
            if not spans:
                empty_days += 1
                if empty_days > SEARCH_DAYS:
                    raise NoBusinessTime("no open time within three years")
                continue
            empty_days = 0
            # Starts come in order (a day's shifts start on that day), so clipping each start
            # to the end of what was already given yields the union without overlaps.
            for a, b in spans:
                a = max(a, last_end)
                if b > a:
                    yield (a, b)
                    last_end = b

    def _counting_from(
        self, start: int, pauses: list[tuple[int, int | None]]
    ) -> Iterator[Interval]:
        """Open intervals minus pauses: the time that counts, from ``start`` on."""
        # Binary search for the last pause starting at or before ``start`` (pauses are
        # sorted and disjoint); a ticket's 100th cycle should not re-walk 99 pauses.
        lo, hi = 0, len(pauses)
        while lo < hi:
            mid = (lo + hi) // 2
            if pauses[mid][0] <= start:
                lo = mid + 1
            else:
                hi = mid
        index = max(0, lo - 1)
        for open_start, b in self._open_from(start):
            a = max(open_start, start)
            while a < b:
                # Skip pauses that ended before this piece begins.
                while index < len(pauses) and _ends_by(pauses[index], a):
                    index += 1
                if index == len(pauses) or pauses[index][0] >= b:
                    yield (a, b)
                    break
                p_start, p_end = pauses[index]
                if p_start > a:
                    yield (a, p_start)
                if p_end is None:
                    return  # paused for good: no more counting time
                a = max(a, p_end)

    # --- public maths ----------------------------------------------------------------------

    def add_us(self, start: int, duration: int, pauses: list[tuple[int, int | None]]) -> int | None:
        if duration <= 0:
            return start
        if self.always_open and not pauses:
            return start + duration
        remaining = duration
        spans = self._counting_from(start, pauses) if pauses else self._open_from(start)
        for a, b in spans:
            a = max(a, start)
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        return None

    def elapsed_us(self, start: int, end: int, pauses: list[tuple[int, int | None]]) -> int:
        if end < start:
            return -self.elapsed_us(end, start, pauses)
        if self.always_open and not pauses:
            return end - start
        total = 0
        spans = self._counting_from(start, pauses) if pauses else self._open_from(start)
        for a, b in spans:
            if a >= end:
                break
            total += min(b, end) - max(a, start)
        return total

    def add(
        self, start: datetime, duration: timedelta, paused: Iterable[Pause] = ()
    ) -> datetime | None:
        """When ``duration`` of business time has passed after ``start``.

        ``None``: a pause without an end stops the clock before the duration is reached.
        The result lands inside (or at the end of) an open interval; a zero duration is
        ``start`` itself.
        """
        result = self.add_us(to_us(start), duration_us(duration), _merge_pauses(paused))
        return None if result is None else from_us(result)

    def elapsed(self, start: datetime, end: datetime, paused: Iterable[Pause] = ()) -> timedelta:
        """Business time between two instants, minus pauses; negative when ``end < start``."""
        value = self.elapsed_us(to_us(start), to_us(end), _merge_pauses(paused))
        return timedelta(microseconds=value)

    def is_open(self, at: datetime) -> bool:
        moment = to_us(at)
        for a, _b in self._open_from(moment):
            return a <= moment
        return False  # pragma: no cover - _open_from never ends

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the start of the next open interval."""
        moment = to_us(at)
        for a, _b in self._open_from(moment):
            return from_us(max(a, moment))
        raise NoBusinessTime  # pragma: no cover


ALWAYS = Calendar(always_open=True)
