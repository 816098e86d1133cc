"""Daily rollups: additive ticket facts per local day, so long ranges read a few thousand
rows instead of every ticket. Derived data, rebuilt by ``rollup_days`` at any time.

A day's rows are recomputed from the tickets as they are now; the nightly job refreshes the
last ``REPORTING_ROLLUP_REFRESH_DAYS`` days (tickets solved, reopened or moved after a day
was rolled up change it), and ``manage.py reporting_rollup --days N`` backfills further.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from frontdesk.core import clock
from frontdesk.reporting.dbfuncs import EpochSeconds
from frontdesk.reporting.histogram import bucket_expression
from frontdesk.reporting.metrics import NOT_MERGED, day_start, local_tz, response_bucket_parts
from frontdesk.reporting.models import (
    ROLLUP_DIMENSIONS,
    DailyDurationStats,
    DailyTagStats,
    DailyTicketStats,
    DurationKind,
    RollupDay,
)
from frontdesk.tickets.models import Ticket

CHUNK_DAYS = 31
COUNTERS = (
    "created",
    "solved",
    "reopened",
    "one_touch",
    "replies",
    "resolution_seconds",
    "first_responses",
    "first_response_seconds",
    *(f"frt_b{i}" for i in range(6)),
)


def _chunks(start: date, end: date) -> Iterator[tuple[date, date]]:
    while start <= end:
        last = min(end, start + timedelta(days=CHUNK_DAYS - 1))
        yield start, last
        start = last + timedelta(days=1)


def _in_days(anchor: str, start: date, end: date) -> Q:
    return Q(
        **{f"{anchor}__gte": day_start(start), f"{anchor}__lt": day_start(end + timedelta(days=1))}
    )


def _grouped(queryset: Any, anchor: str, keys: tuple[str, ...], parts: dict[str, Any]) -> Any:
    return (
        queryset.order_by()
        .annotate(_day=TruncDate(anchor, tzinfo=local_tz()))
        .values("_day", *keys)
        .annotate(**parts)
    )


def _ticket_rows(start: date, end: date) -> dict[tuple, dict[str, Any]]:
    """The rollup rows of days start..end: three GROUP BY queries, one per anchor."""
    rows: dict[tuple, dict[str, Any]] = {}

    def add(result: Any) -> None:
        for r in result:
            key = (r["_day"], *(r[k] for k in ROLLUP_DIMENSIONS))
            into = rows.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                if name in r and r[name] is not None:
                    into[name] += r[name]

    tickets = Ticket.objects.all()
    add(
        _grouped(
            tickets.filter(_in_days("created_at", start, end)),
            "created_at",
            ROLLUP_DIMENSIONS,
            {"created": Count("pk")},
        )
    )
    add(
        _grouped(
            tickets.filter(NOT_MERGED, _in_days("solved_at", start, end)),
            "solved_at",
            ROLLUP_DIMENSIONS,
            {
                "solved": Count("pk"),
                "reopened": Count("pk", filter=Q(reopened_count__gt=0)),
                "one_touch": Count("pk", filter=Q(agent_reply_count=1, reopened_count=0)),
                "replies": Sum("agent_reply_count"),
                "resolution_seconds": Sum(EpochSeconds("solved_at", "created_at")),
            },
        )
    )
    add(
        _grouped(
            tickets.filter(NOT_MERGED, _in_days("first_response_at", start, end)).alias(
                _frt=EpochSeconds("first_response_at", "created_at")
            ),
            "first_response_at",
            ROLLUP_DIMENSIONS,
            {
                "first_responses": Count("pk"),
                "first_response_seconds": Sum(F("_frt")),
                **response_bucket_parts(),
            },
        )
    )
    return rows


# kind -> (anchor, end of the duration); a duration runs from the ticket's creation.
DURATIONS = {
    DurationKind.FIRST_RESPONSE: "first_response_at",
    DurationKind.RESOLUTION: "solved_at",
}


def _duration_rows(start: date, end: date) -> list[DailyDurationStats]:
    """Duration histograms of days start..end: one GROUP BY query per kind."""
    rows = []
    for kind, anchor in DURATIONS.items():
        result = _grouped(
            Ticket.objects.filter(NOT_MERGED, _in_days(anchor, start, end)).annotate(
                _bucket=bucket_expression(EpochSeconds(anchor, "created_at"))
            ),
            anchor,
            (*ROLLUP_DIMENSIONS, "_bucket"),
            {"n": Count("pk")},
        )
        rows.extend(
            DailyDurationStats(
                day=r["_day"],
                kind=kind,
                bucket=r["_bucket"],
                n=r["n"],
                **{k: r[k] for k in ROLLUP_DIMENSIONS},
            )
            for r in result
        )
    return rows


def _tag_rows(start: date, end: date) -> dict[tuple, dict[str, int]]:
    rows: dict[tuple, dict[str, int]] = {}
    tagged = Ticket.objects.filter(tags__isnull=False).annotate(_tag=F("tags__id"))
    for anchor, name, extra in (
        ("created_at", "created", Q()),
        ("solved_at", "solved", NOT_MERGED),
    ):
        result = _grouped(
            tagged.filter(extra, _in_days(anchor, start, end)),
            anchor,
            ("_tag", "team_id"),
            {name: Count("pk")},
        )
        for r in result:
            into = rows.setdefault(
                (r["_day"], r["_tag"], r["team_id"]), {"created": 0, "solved": 0}
            )
            into[name] += r[name]
    return rows


def rollup_days(*, start: date, end: date) -> int:
    """Recompute the rollup rows of local days start..end (both included); returns rows."""
    written = 0
    for first, last in _chunks(start, end):
        with transaction.atomic():
            now = clock.now()
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            RollupDay.objects.bulk_create(
                [RollupDay(day=d, computed_at=now) for d in days], ignore_conflicts=True
            )
            # Lock the chunk's day markers: a second worker refreshing the same days waits
            # here instead of interleaving its delete and insert with ours.
            list(RollupDay.objects.select_for_update().filter(day__gte=first, day__lte=last))
            ticket_rows = _ticket_rows(first, last)
            tag_rows = _tag_rows(first, last)
            duration_rows = _duration_rows(first, last)
            for model in (DailyTicketStats, DailyTagStats, DailyDurationStats):
                model.objects.filter(day__gte=first, day__lte=last).delete()
            DailyTicketStats.objects.bulk_create(
                [
                    DailyTicketStats(
                        day=key[0], **dict(zip(ROLLUP_DIMENSIONS, key[1:], strict=True)), **values
                    )
                    for key, values in ticket_rows.items()
                ],
                batch_size=1000,
            )
            DailyTagStats.objects.bulk_create(
                [
                    DailyTagStats(day=key[0], tag_id=key[1], team_id=key[2], **values)
                    for key, values in tag_rows.items()
                ],
                batch_size=1000,
            )
            DailyDurationStats.objects.bulk_create(duration_rows, batch_size=2000)
            RollupDay.objects.filter(day__gte=first, day__lte=last).update(computed_at=now)
            written += len(ticket_rows) + len(tag_rows) + len(duration_rows)
    return written
