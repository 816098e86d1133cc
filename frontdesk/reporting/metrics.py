"""Every measure Frontdesk reports, defined once (docs/metrics.md explains each).

A measure is a set of additive *parts* (counts and sums) computed by ``GROUP BY`` in the
database, and a ``finish`` that turns parts into the number people read (an average is
sum / count, a rate is part / whole). Because parts add up, the same definition runs
- live, over ``tickets.Ticket`` timestamps (and feedback tables), for short ranges, and
- over the daily rollup tables (``DailyTicketStats``, ``DailyTagStats``) for long ranges,
  with today's part added live, and both give the same answer.
Percentiles (medians, p90) are not additive: short ranges run them exactly, in the database
(``dbfuncs.percentile_rows``); long ranges read them from daily log-scale duration
histograms (``DailyDurationStats``, ``histogram.py``: within 1 %), today's part bucketed live.
No measure loops over tickets in Python.

Days are local days of ``settings.TIME_ZONE`` (one calendar for the whole desk, so rollups
and live queries agree whoever is looking).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DateField,
    Expression,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Trunc, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontdesk.core import clock
from frontdesk.reporting import sources
from frontdesk.reporting.dbfuncs import EpochSeconds, percentile_rows, raw_aggregate
from frontdesk.reporting.dimensions import DIMENSIONS, FILTER_DIMENSIONS, TIME_DIMENSIONS
from frontdesk.reporting.histogram import (
    bucket_expression,
    histogram_add,
    histogram_percentile,
)
from frontdesk.reporting.models import (
    RESPONSE_BUCKETS,
    CsatSurvey,
    DailyDurationStats,
    DailyTagStats,
    DailyTicketStats,
    DurationKind,
    NpsSurvey,
    RollupDay,
)
from frontdesk.tickets.models import OPEN_CATEGORIES, Message, Ticket

Parts = dict[str, Any]


def local_tz():  # type: ignore[no-untyped-def]
    return timezone.get_default_timezone()


def today() -> date:
    return timezone.localtime(clock.now(), local_tz()).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day`` (aware)."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


# --- who may see what, and which slice --------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The tickets whose figures a viewer may see: ``team_ids`` None means every ticket."""

    team_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Filters:
    """A date range (local days, both ends included) and one value per filter dimension."""

    start: date
    end: date
    values: tuple[tuple[str, Any], ...] = ()
    # Optional cut-off inside the last day ("today so far"): anchors before it only. Such
    # partial days are always computed live.
    until: datetime | None = None

    @classmethod
    def of(cls, start: date, end: date, **values: Any) -> Filters:
        clean = tuple(sorted((k, v) for k, v in values.items() if v not in (None, "")))
        unknown = {k for k, _v in clean} - set(FILTER_DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown filters {unknown}")
        if end < start:
            start, end = end, start
        return cls(start=start, end=end, values=clean)

    @property
    def dims(self) -> dict[str, Any]:
        return dict(self.values)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shifted(self, start: date, end: date, until: datetime | None = None) -> Filters:
        return Filters(start=start, end=end, values=self.values, until=until)


# --- measures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One figure. ``anchor`` is the timestamp the date range and time grouping apply to
    (None: a snapshot of now, e.g. the backlog)."""

    key: str
    label: Any
    unit: str  # count | seconds | percent | ratio | score
    source: str  # tickets | csat | nps | responses | sla | kb
    anchor: str | None
    description: Any
    base: Callable[[], Q] = lambda: Q()
    live: Callable[[], Parts] | None = None
    finish: Callable[[Parts], float | None] = lambda p: p.get("n")
    # rollup table key -> parts over that table's columns
    rollup: dict[str, Callable[[], Parts]] = field(default_factory=dict)
    percentile: tuple[float, Callable[[], Expression]] | None = None
    # The duration histogram (``DailyDurationStats.kind``) long-range percentiles read.
    histogram: int | None = None
    dims: frozenset[str] = frozenset(DIMENSIONS) - {"target"}


def _ratio(num: str, den: str, scale: float = 1.0) -> Callable[[Parts], float | None]:
    def finish(parts: Parts) -> float | None:
        whole = parts.get(den) or 0
        return None if not whole else scale * float(parts.get(num) or 0) / whole

    return finish


NOT_MERGED = Q(merged_into__isnull=True)
TICKET_DIMS = frozenset(DIMENSIONS) - {"target"}
SNAPSHOT_DIMS = TICKET_DIMS - set(TIME_DIMENSIONS)
FEEDBACK_DIMS = TICKET_DIMS - {"tag"}


def _frt() -> Expression:
    return EpochSeconds("first_response_at", "created_at")


def _resolution() -> Expression:
    return EpochSeconds("solved_at", "created_at")


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "created",
            _("Tickets created"),
            "count",
            "tickets",
            "created_at",
            _("Tickets created in the period (merged ones too: each was a request)."),
            live=lambda: {"n": Count("pk")},
            rollup={"daily": lambda: {"n": Sum("created")}, "tags": lambda: {"n": Sum("created")}},
        ),
        Measure(
            "solved",
            _("Tickets solved"),
            "count",
            "tickets",
            "solved_at",
            _("Tickets whose last solve falls in the period; merged tickets excluded."),
            base=lambda: NOT_MERGED,
            live=lambda: {"n": Count("pk")},
            rollup={"daily": lambda: {"n": Sum("solved")}, "tags": lambda: {"n": Sum("solved")}},
        ),
        Measure(
            "first_response_avg",
            _("First response time (average)"),
            "seconds",
            "tickets",
            "first_response_at",
            _("Created to first public agent reply, for first replies in the period."),
            base=lambda: NOT_MERGED,
            live=lambda: {"s": Sum(_frt()), "n": Count("pk")},
            finish=_ratio("s", "n"),
            rollup={
                "daily": lambda: {"s": Sum("first_response_seconds"), "n": Sum("first_responses")}
            },
        ),
        Measure(
            "first_response_median",
            _("First response time (median)"),
            "seconds",
            "tickets",
            "first_response_at",
            _("The middle first response time: half were faster."),
            base=lambda: NOT_MERGED,
            percentile=(0.5, _frt),
            histogram=DurationKind.FIRST_RESPONSE,
        ),
        Measure(
            "first_response_p90",
            _("First response time (90th percentile)"),
            "seconds",
            "tickets",
            "first_response_at",
            _("Nine in ten first responses were at least this fast."),
            base=lambda: NOT_MERGED,
            percentile=(0.9, _frt),
            histogram=DurationKind.FIRST_RESPONSE,
        ),
        Measure(
            "next_response_avg",
            _("Next response time (average)"),
            "seconds",
            "responses",
            "created_at",
            _(
                "From the first unanswered customer message to the agent reply after it, "
                "for replies in the period (first responses not included)."
            ),
            dims=SNAPSHOT_DIMS - {"tag"},
        ),
        Measure(
            "next_response_median",
            _("Next response time (median)"),
            "seconds",
            "responses",
            "created_at",
            _("The middle next response time."),
            dims=SNAPSHOT_DIMS - {"tag"},
        ),
        Measure(
            "resolution_avg",
            _("Full resolution time (average)"),
            "seconds",
            "tickets",
            "solved_at",
            _("Created to last solve (calendar time), for tickets solved in the period."),
            base=lambda: NOT_MERGED,
            live=lambda: {"s": Sum(_resolution()), "n": Count("pk")},
            finish=_ratio("s", "n"),
            rollup={"daily": lambda: {"s": Sum("resolution_seconds"), "n": Sum("solved")}},
        ),
        Measure(
            "resolution_median",
            _("Full resolution time (median)"),
            "seconds",
            "tickets",
            "solved_at",
            _("The middle full resolution time (calendar time)."),
            base=lambda: NOT_MERGED,
            percentile=(0.5, _resolution),
            histogram=DurationKind.RESOLUTION,
        ),
        Measure(
            "replies_per_ticket",
            _("Replies per solved ticket"),
            "ratio",
            "tickets",
            "solved_at",
            _("Public agent replies per ticket solved in the period."),
            base=lambda: NOT_MERGED,
            live=lambda: {"s": Sum("agent_reply_count"), "n": Count("pk")},
            finish=_ratio("s", "n"),
            rollup={"daily": lambda: {"s": Sum("replies"), "n": Sum("solved")}},
        ),
        Measure(
            "reopen_rate",
            _("Reopen rate"),
            "percent",
            "tickets",
            "solved_at",
            _("Share of tickets solved in the period that were reopened at least once."),
            base=lambda: NOT_MERGED,
            live=lambda: {"r": Count("pk", filter=Q(reopened_count__gt=0)), "n": Count("pk")},
            finish=_ratio("r", "n", 100.0),
            rollup={"daily": lambda: {"r": Sum("reopened"), "n": Sum("solved")}},
        ),
        Measure(
            "one_touch_rate",
            _("One-touch resolution rate"),
            "percent",
            "tickets",
            "solved_at",
            _(
                "Share of tickets solved in the period with exactly one agent reply, "
                "never reopened."
            ),
            base=lambda: NOT_MERGED,
            live=lambda: {
                "o": Count("pk", filter=Q(agent_reply_count=1, reopened_count=0)),
                "n": Count("pk"),
            },
            finish=_ratio("o", "n", 100.0),
            rollup={"daily": lambda: {"o": Sum("one_touch"), "n": Sum("solved")}},
        ),
        Measure(
            "backlog",
            _("Open tickets now"),
            "count",
            "tickets",
            None,
            _("Tickets open right now (new, open, pending, on hold); the range does not apply."),
            base=lambda: Q(status_category__in=OPEN_CATEGORIES) & NOT_MERGED,
            live=lambda: {"n": Count("pk")},
            dims=SNAPSHOT_DIMS,
        ),
        Measure(
            "csat",
            _("Customer satisfaction (CSAT)"),
            "percent",
            "csat",
            "answered_at",
            _("Share of ratings in the period that were good (4 or 5 on the 1-5 scale)."),
            live=lambda: {"g": Count("pk", filter=Q(positive=True)), "n": Count("pk")},
            finish=_ratio("g", "n", 100.0),
            dims=FEEDBACK_DIMS,
        ),
        Measure(
            "csat_responses",
            _("Satisfaction ratings"),
            "count",
            "csat",
            "answered_at",
            _("Ratings customers gave in the period."),
            live=lambda: {"n": Count("pk")},
            dims=FEEDBACK_DIMS,
        ),
        Measure(
            "nps",
            _("Net Promoter Score"),
            "score",
            "nps",
            "answered_at",
            _("Promoters (9-10) minus detractors (0-6), in percent of answers: -100 to 100."),
            live=lambda: {
                "p": Count("pk", filter=Q(score__gte=9)),
                "d": Count("pk", filter=Q(score__lte=6)),
                "n": Count("pk"),
            },
            finish=lambda p: (
                None if not p.get("n") else 100.0 * (p.get("p", 0) - p.get("d", 0)) / p["n"]
            ),
            dims=frozenset({"day", "week", "month", "organization"}),
        ),
        Measure(
            "nps_responses",
            _("NPS answers"),
            "count",
            "nps",
            "answered_at",
            _("NPS answers in the period."),
            live=lambda: {"n": Count("pk")},
            dims=frozenset({"day", "week", "month", "organization"}),
        ),
        *(
            Measure(
                f"nps_{group}",
                label,
                "percent",
                "nps",
                "answered_at",
                description,
                live=lambda q=q: {"c": Count("pk", filter=q), "n": Count("pk")},
                finish=_ratio("c", "n", 100.0),
                dims=frozenset({"day", "week", "month", "organization"}),
            )
            for group, label, description, q in (
                (
                    "promoters",
                    _("NPS promoters"),
                    _("Share of NPS answers of 9 or 10."),
                    Q(score__gte=9),
                ),
                (
                    "passives",
                    _("NPS passives"),
                    _("Share of NPS answers of 7 or 8."),
                    Q(score__gte=7, score__lte=8),
                ),
                (
                    "detractors",
                    _("NPS detractors"),
                    _("Share of NPS answers from 0 to 6."),
                    Q(score__lte=6),
                ),
            )
        ),
        Measure(
            "sla_compliance",
            _("SLA compliance"),
            "percent",
            "sla",
            "due_at",
            _(
                "Share of SLA targets achieved in the period within their target (first "
                "response on the day of the first reply, resolution on the day of the solve)."
            ),
            finish=_ratio("met", "n", 100.0),
            dims=(TICKET_DIMS - {"tag"}) | {"target"},
        ),
        *(
            Measure(
                f"{target}_business_{kind}",
                label,
                "seconds",
                "sla_time",
                "first_response_at" if target == "first_response" else "solved_at",
                _(
                    "As the ticket's SLA target counts it: business hours of its calendar, "
                    "pauses (pending, on hold) taken out. Tickets with that SLA target only."
                ),
                finish=_ratio("s", "n"),
                dims=TICKET_DIMS - {"tag"},
            )
            for target, kind, label in (
                ("first_response", "avg", _("First response time, business hours (average)")),
                ("first_response", "median", _("First response time, business hours (median)")),
                ("resolution", "avg", _("Resolution time, business hours (average)")),
                ("resolution", "median", _("Resolution time, business hours (median)")),
            )
        ),
        Measure(
            "kb_deflection",
            _("Knowledge base deflection"),
            "percent",
            "kb",
            "created_at",
            _("Share of help-centre sessions that read an article and filed no request."),
            finish=_ratio("deflected", "n", 100.0),
            dims=frozenset({"day", "week", "month"}),
        ),
    )
}


def measure_available(measure: Measure) -> bool:
    """Measures that read another app's facts exist only once that app provides them."""
    if measure.source in ("sla", "sla_time"):
        return sources.sla_records() is not None
    if measure.source == "kb":
        return sources.kb_available()
    return True


def measures_available() -> list[Measure]:
    return [m for m in MEASURES.values() if measure_available(m)]


# --- results ----------------------------------------------------------------------------------


@dataclass
class Row:
    keys: tuple[Any, ...]
    value: float | None
    parts: Parts = field(default_factory=dict)


@dataclass
class Result:
    measure: Measure
    group: tuple[str, ...]
    rows: list[Row]
    source: str  # "live", "rollup", "rollup+live"

    def by_key(self) -> dict[tuple[Any, ...], float | None]:
        return {r.keys: r.value for r in self.rows}

    @property
    def additive(self) -> bool:
        """Whether the rows carry parts that add up (all but exact percentiles do)."""
        return self.measure.percentile is None or self.source != "live"

    def collapsed(self, keep: Sequence[str] = ()) -> Result | None:
        """The same figures grouped by ``keep`` only (a subset of ``group``), added up from
        the rows' parts without another query; None for exact percentiles, which do not add.
        """
        if not self.additive:
            return None
        positions = [self.group.index(k) for k in keep]
        grouped = [(tuple(r.keys[i] for i in positions), r.parts) for r in self.rows]
        return Result(
            self.measure, tuple(keep), _finished(self.measure, grouped, tuple(keep)), self.source
        )

    @property
    def total(self) -> float | None:
        """The value over every row (only when ungrouped, else None)."""
        return self.rows[0].value if not self.group and self.rows else None


# --- computing --------------------------------------------------------------------------------


def measure_compute(
    key: str, *, filters: Filters, scope: Scope, group: Sequence[str] = ()
) -> Result:
    """The value of measure ``key`` per combination of ``group`` dimensions (at most two)."""
    measure = MEASURES[key]
    group = tuple(group)
    _check(measure, filters, group)
    if measure.source == "tickets":
        return _tickets(measure, filters, scope, group)
    if measure.source in ("csat", "nps"):
        return _feedback(measure, filters, scope, group)
    if measure.source == "responses":
        return _next_response(measure, filters, scope, group)
    if measure.source == "sla":
        return sources.sla_compliance(measure, filters, scope, group)
    if measure.source == "sla_time":
        return sources.sla_time(measure, filters, scope, group)
    if measure.source == "kb":
        return sources.kb_deflection(measure, filters, scope, group)
    raise ValueError(measure.source)


def measures_compute(
    keys: Sequence[str | Measure],
    *,
    filters: Filters,
    scope: Scope,
    group: Sequence[str] = (),
) -> dict[str, Result]:
    """Several measures with the same grouping, as ``measure_compute`` gives each, in fewer
    round trips: the ticket measures the same rollup table answers share one query over it
    (percentiles: one over the duration histograms), and their live part (today) one query
    per anchor. ``keys`` may include a ``Measure`` that is not in ``MEASURES`` (parts the
    dashboard draws, such as ``FIRST_RESPONSE_BUCKETS``)."""
    group = tuple(group)
    results: dict[str, Result] = {}
    shared: dict[tuple[str, date], list[Measure]] = {}
    percentiles: dict[date, list[Measure]] = {}
    wanted = [MEASURES[k] if isinstance(k, str) else k for k in keys]
    for measure in wanted:
        plan = None
        if measure.source == "tickets":
            _check(measure, filters, group)
            plan = rollup_plan(measure, filters, group)
        if plan is None and measure.source == "tickets":
            results[measure.key] = _tickets(measure, filters, scope, group)
        elif plan is None:
            results[measure.key] = measure_compute(
                measure.key, filters=filters, scope=scope, group=group
            )
        elif measure.percentile is not None:
            percentiles.setdefault(plan[1], []).append(measure)
        else:
            shared.setdefault(plan, []).append(measure)
    for last_rolled, measures in percentiles.items():
        results.update(_histogram_percentiles(measures, filters, scope, group, last_rolled))
    for (table, last_rolled), measures in shared.items():
        model = DailyTagStats if table == "tags" else DailyTicketStats
        rolled = model.objects.filter(
            filter_q(filters, scope, tag_column="tag_id"),
            day__gte=filters.start,
            day__lte=last_rolled,
        )
        grouped = _shared_parts(
            measures, rolled, _rollup_group_exprs(group), lambda m, t=table: m.rollup[t]()
        )
        source = "rollup"
        if last_rolled < filters.end:
            # Today's part, live: one query per anchor (and base) the measures share.
            by_anchor: dict[tuple[str | None, Q], list[Measure]] = {}
            for measure in measures:
                by_anchor.setdefault((measure.anchor, measure.base()), []).append(measure)
            for (anchor, _base), same in by_anchor.items():
                queryset = _ticket_base(
                    same[0], filters, scope, last_rolled + timedelta(days=1), filters.end
                )
                live = _shared_parts(
                    same, queryset, _group_exprs(group, anchor=anchor), lambda m: m.live()
                )
                for key, rows in live.items():
                    grouped[key] += rows
            source = "rollup+live"
        for measure in measures:
            results[measure.key] = Result(
                measure, group, _finished(measure, grouped[measure.key], group), source
            )
    return {m.key: results[m.key] for m in wanted}


def _shared_parts(
    measures: Sequence[Measure],
    queryset: QuerySet,
    exprs: dict[str, Any],
    parts_of: Callable[[Measure], Parts],
) -> dict[str, list[tuple]]:
    """One GROUP BY query computing every measure's parts; ``{key: [(keys, parts)]}``."""
    names: dict[str, tuple[str, str]] = {}
    parts: Parts = {}
    for measure in measures:
        for name, expression in parts_of(measure).items():
            alias = f"p{len(parts)}"
            names[alias] = (measure.key, name)
            parts[alias] = expression
    out: dict[str, list[tuple]] = {m.key: [] for m in measures}
    for keys, values in _grouped_parts(queryset, exprs, parts):
        each: dict[str, Parts] = {m.key: {} for m in measures}
        for alias, (key, name) in names.items():
            each[key][name] = values[alias]
        for key, measure_parts in each.items():
            out[key].append((keys, measure_parts))
    return out


def _check(measure: Measure, filters: Filters, group: tuple[str, ...]) -> None:
    if len(group) > 2:
        raise ValueError("group by at most two dimensions")
    bad = (set(group) | set(filters.dims)) - measure.dims
    if bad:
        raise ValueError(f"{measure.key} cannot be grouped or filtered by {sorted(bad)}")


def filter_q(
    filters: Filters, scope: Scope, *, prefix: str = "", tag_column: str = "tags__id"
) -> Q:
    """The dimension filters and the viewer's scope as a Q on tickets (or rows keyed like them)."""
    q = Q()
    for key, value in filters.dims.items():
        column = tag_column if key == "tag" else DIMENSIONS[key].column
        q &= Q(**{f"{prefix}{column}": value})
    if scope.team_ids is not None:
        q &= Q(**{f"{prefix}team_id__in": scope.team_ids})
    return q


def _time_expr(kind: str, anchor: str) -> Expression:
    if kind == "day":
        return TruncDate(anchor, tzinfo=local_tz())
    return Trunc(anchor, kind, output_field=DateField(), tzinfo=local_tz())


def _group_exprs(
    group: tuple[str, ...], *, anchor: str | None, prefix: str = "", tag_column: str = "tags__id"
) -> dict[str, Any]:
    exprs: dict[str, Any] = {}
    for i, key in enumerate(group):
        if key in TIME_DIMENSIONS:
            if anchor is None:
                raise ValueError("a snapshot has no time dimension")
            exprs[f"g{i}"] = _time_expr(key, anchor)
        else:
            column = tag_column if key == "tag" else DIMENSIONS[key].column
            exprs[f"g{i}"] = F(f"{prefix}{column}")
    return exprs


def _grouped_parts(queryset: QuerySet, exprs: dict[str, Any], parts: Parts) -> list[tuple]:
    """``[(keys, {part: value}), ...]``: one GROUP BY query."""
    queryset = queryset.order_by()
    if not exprs:
        values = queryset.aggregate(**parts)
        return [((), values)]
    names = list(exprs)
    rows = queryset.annotate(**exprs).values(*names).annotate(**parts)
    return [(tuple(_normal(r[n]) for n in names), {p: r[p] for p in parts}) for r in rows]


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _finished(measure: Measure, grouped: Iterable[tuple], group: tuple[str, ...]) -> list[Row]:
    merged: dict[tuple, Parts] = {}
    for keys, parts in grouped:
        into = merged.setdefault(keys, {})
        for name, value in parts.items():
            if name == "histogram":
                histogram_add(into.setdefault(name, {}), value.items())
            else:
                into[name] = (into.get(name) or 0) + (value or 0)
    finish = measure.finish
    if measure.percentile is not None:
        fraction = measure.percentile[0]

        def finish(parts: Parts) -> float | None:
            return histogram_percentile(parts.get("histogram") or {}, fraction)

    rows = [Row(keys, finish(parts), parts) for keys, parts in merged.items()]
    if measure.percentile is not None:
        rows = [r for r in rows if r.value is not None]
    if not group and not rows:
        rows = [Row((), finish({}), {})]
    return sorted(rows, key=lambda r: tuple(_sort_key(k) for k in r.keys))


def _sort_key(value: Any) -> tuple:
    return (value is None, str(value) if not isinstance(value, date | int) else value)


def _ticket_base(
    measure: Measure, filters: Filters, scope: Scope, start: date, end: date
) -> QuerySet:
    queryset = Ticket.objects.filter(measure.base(), filter_q(filters, scope))
    if measure.anchor is not None:
        queryset = queryset.filter(
            **{
                f"{measure.anchor}__gte": day_start(start),
                f"{measure.anchor}__lt": day_start(end + timedelta(days=1)),
            }
        )
        if filters.until is not None:
            queryset = queryset.filter(**{f"{measure.anchor}__lt": filters.until})
    return queryset


def _tickets(measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]) -> Result:
    plan = rollup_plan(measure, filters, group)
    if measure.percentile is not None and plan is not None:
        return _histogram_percentiles([measure], filters, scope, group, plan[1])[measure.key]
    if measure.percentile is not None:
        fraction, value = measure.percentile
        queryset = _ticket_base(measure, filters, scope, filters.start, filters.end)
        rows = percentile_rows(
            queryset,
            groups=_group_exprs(group, anchor=measure.anchor),
            value=value(),
            fraction=fraction,
        )
        out = [Row(tuple(_normal(k) for k in keys), v) for keys, v in rows if v is not None]
        out.sort(key=lambda r: tuple(_sort_key(k) for k in r.keys))
        return Result(measure, group, out, "live")
    if plan is None:
        queryset = _ticket_base(measure, filters, scope, filters.start, filters.end)
        grouped = _grouped_parts(
            queryset, _group_exprs(group, anchor=measure.anchor), measure.live()
        )  # type: ignore[misc]
        return Result(measure, group, _finished(measure, grouped, group), "live")
    table, last_rolled = plan
    model = DailyTagStats if table == "tags" else DailyTicketStats
    rolled = model.objects.filter(
        filter_q(filters, scope, tag_column="tag_id"), day__gte=filters.start, day__lte=last_rolled
    )
    grouped = _grouped_parts(rolled, _rollup_group_exprs(group), measure.rollup[table]())
    source = "rollup"
    if last_rolled < filters.end:
        # Today (and any later day) is not rolled up yet: its part comes live.
        queryset = _ticket_base(
            measure, filters, scope, last_rolled + timedelta(days=1), filters.end
        )
        grouped += _grouped_parts(
            queryset, _group_exprs(group, anchor=measure.anchor), measure.live()
        )  # type: ignore[misc]
        source = "rollup+live"
    return Result(measure, group, _finished(measure, grouped, group), source)


def _rollup_group_exprs(group: tuple[str, ...]) -> dict[str, Any]:
    exprs: dict[str, Any] = {}
    for i, key in enumerate(group):
        if key == "day":
            exprs[f"g{i}"] = F("day")
        elif key in TIME_DIMENSIONS:
            exprs[f"g{i}"] = Trunc("day", key, output_field=DateField())
        else:
            exprs[f"g{i}"] = F("tag_id" if key == "tag" else DIMENSIONS[key].column)
    return exprs


def _histogram_percentiles(
    measures: Sequence[Measure],
    filters: Filters,
    scope: Scope,
    group: tuple[str, ...],
    last_rolled: date,
) -> dict[str, Result]:
    """Percentiles of a long range from the daily duration histograms, today's durations
    bucketed live and added: one query over the rollup for all ``measures``, one per measure
    over today's tickets. Within ``histogram.RELATIVE_ERROR`` of the exact values
    (docs/metrics.md)."""
    exprs = _rollup_group_exprs(group)
    names = list(exprs)
    kinds = {m.histogram for m in measures}
    rolled = (
        DailyDurationStats.objects.filter(
            filter_q(filters, scope),
            kind__in=kinds,
            day__gte=filters.start,
            day__lte=last_rolled,
        )
        .order_by()
        .annotate(**exprs)
        .values("kind", *names, "bucket")
        .annotate(_n=Sum("n"))
        .values_list("kind", *names, "bucket", "_n")
    )
    # kind -> group keys -> bucket -> count (a few thousand rows: merged here, not per row)
    by_kind: dict[int, dict[tuple, dict[int, int]]] = {kind: {} for kind in kinds}  # type: ignore[misc]
    for r in rolled:
        counts = by_kind[r[0]].setdefault(tuple(_normal(k) for k in r[1:-2]), {})
        counts[r[-2]] = counts.get(r[-2], 0) + r[-1]
    results = {}
    for measure in measures:
        assert measure.percentile is not None  # noqa: S101 - percentile measures only
        grouped = [
            (keys, {"histogram": counts})
            for keys, counts in by_kind[measure.histogram].items()  # type: ignore[index]
        ]
        source = "rollup"
        if last_rolled < filters.end:
            live = (
                _ticket_base(measure, filters, scope, last_rolled + timedelta(days=1), filters.end)
                .order_by()
                .annotate(**_group_exprs(group, anchor=measure.anchor))
                .annotate(_bucket=bucket_expression(measure.percentile[1]()))
                .values(*names, "_bucket")
                .annotate(_n=Count("pk"))
                .values_list(*names, "_bucket", "_n")
            )
            grouped += [
                (tuple(_normal(k) for k in r[:-2]), {"histogram": {r[-2]: r[-1]}}) for r in live
            ]
            source = "rollup+live"
        results[measure.key] = Result(measure, group, _finished(measure, grouped, group), source)
    return results


ROLLUP_DIMS = {
    "daily": frozenset(
        {"team", "channel", "ticket_type", "priority", "assignee", *TIME_DIMENSIONS}
    ),
    "tags": frozenset({"tag", "team", *TIME_DIMENSIONS}),
}


def rollup_plan(
    measure: Measure, filters: Filters, group: tuple[str, ...]
) -> tuple[str, date] | None:
    """(table, last rolled-up day) when the rollups can answer, else None (compute live).

    Rollups answer when the range is long enough to be worth it, the measure has rollup
    parts, every grouped or filtered dimension is a rollup column, and every day of the
    range before today has been rolled up (today always comes live).
    """
    tables = tuple(measure.rollup)
    if measure.histogram is not None:
        tables = ("daily",)  # DailyDurationStats has the daily table's keys
    if filters.until is not None or not tables:
        return None
    if filters.days < getattr(settings, "REPORTING_ROLLUP_MIN_DAYS", 14):
        return None
    wanted = set(group) | set(filters.dims)
    last = min(filters.end, today() - timedelta(days=1))
    if last < filters.start:
        return None
    for table in tables:
        if not wanted <= ROLLUP_DIMS[table]:
            continue
        if table == "tags" and "tag" not in wanted:
            continue
        if _covered(filters.start, last):
            return table, last
        return None
    return None


# One page asks about the same range for many measures: within ``coverage_memo()`` the
# rollup coverage of a range is looked up once, and so is the open-ticket snapshot.
_coverage: ContextVar[dict[tuple, Any] | None] = ContextVar("reporting_coverage", default=None)


@contextmanager
def coverage_memo() -> Iterator[None]:
    token = _coverage.set({})
    try:
        yield
    finally:
        _coverage.reset(token)


def _covered(start: date, last: date) -> bool:
    memo = _coverage.get()
    if memo is not None and (start, last) in memo:
        return memo[(start, last)]
    count = RollupDay.objects.filter(day__gte=start, day__lte=last).count()
    covered = count == (last - start).days + 1
    if memo is not None:
        memo[(start, last)] = covered
    return covered


# --- feedback (CSAT, NPS) ---------------------------------------------------------------------


def _feedback(measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]) -> Result:
    start, end = day_start(filters.start), day_start(filters.end + timedelta(days=1))
    if filters.until is not None:
        end = min(end, filters.until)
    if measure.source == "csat":
        queryset = CsatSurvey.objects.filter(
            filter_q(filters, scope, prefix="ticket__"),
            answered_at__gte=start,
            answered_at__lt=end,
            rating__isnull=False,
        )
        exprs = _group_exprs(group, anchor="answered_at", prefix="ticket__")
    else:
        queryset = NpsSurvey.objects.filter(
            answered_at__gte=start, answered_at__lt=end, score__isnull=False
        )
        if "organization" in filters.dims:
            queryset = queryset.filter(organization_id=filters.dims["organization"])
        if scope.team_ids is not None:
            # NPS is about the whole relationship, not a team's tickets: team-scoped viewers
            # see it only through the contacts their teams served.
            queryset = queryset.filter(
                contact__tickets_requested__team_id__in=scope.team_ids
            ).distinct()
        exprs = _group_exprs(group, anchor="answered_at")
    grouped = _grouped_parts(queryset, exprs, measure.live())  # type: ignore[misc]
    return Result(measure, group, _finished(measure, grouped, group), "live")


# --- next response time -------------------------------------------------------------------------


def _next_response(
    measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]
) -> Result:
    """Agent replies in the range that answer a customer message after an earlier reply.

    Window functions over each candidate ticket's public messages (tickets updated since the
    range start: a reply in the range updated its ticket) mark, for every message, the last
    agent reply before it; customer messages sharing that mark form one wait, answered by
    the agent reply with the same mark.
    """
    start, end = day_start(filters.start), day_start(filters.end + timedelta(days=1))
    tickets = Ticket.objects.filter(filter_q(filters, scope), NOT_MERGED, updated_at__gte=start)
    ticket_sql, ticket_params = tickets.values("id").query.sql_with_params()
    msg = Message._meta.db_table
    tkt = Ticket._meta.db_table
    if connection.vendor == "postgresql":
        diff = "EXTRACT(EPOCH FROM (r.answered - w.asked))::float8"
    else:
        # Rounded to the millisecond, as ``EpochSeconds`` does (julianday's precision).
        diff = "ROUND((julianday(r.answered) - julianday(w.asked)) * 86400.0, 3)"
    columns = [DIMENSIONS[k].column for k in group]
    select_groups = "".join(f't."{c}" AS "g{i}", ' for i, c in enumerate(columns))
    inner = f"""
        WITH m AS (
          SELECT ticket_id, created_at, from_agent,
                 MAX(CASE WHEN from_agent THEN created_at END) OVER (
                   PARTITION BY ticket_id ORDER BY created_at, id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_agent
          FROM {msg}
          WHERE kind = 'public' AND ticket_id IN ({ticket_sql})
        ),
        waits AS (
          SELECT ticket_id, prev_agent, MIN(created_at) AS asked FROM m
          WHERE NOT from_agent AND prev_agent IS NOT NULL GROUP BY ticket_id, prev_agent
        ),
        replies AS (
          SELECT ticket_id, prev_agent, created_at AS answered FROM m
          WHERE from_agent AND prev_agent IS NOT NULL AND created_at >= %s AND created_at < %s
        )
        SELECT {select_groups}{diff} AS "_v"
        FROM replies r
        JOIN waits w ON w.ticket_id = r.ticket_id AND w.prev_agent = r.prev_agent
        JOIN {tkt} t ON t.id = r.ticket_id
    """  # noqa: S608 - table names and aliases are ours; values are parameters
    params = [*ticket_params, start, end]
    names = [f"g{i}" for i in range(len(group))]
    if measure.key == "next_response_median":
        rows = raw_aggregate(inner, params, names, fraction=0.5)
        out = [Row(keys, v) for keys, v in rows if v is not None]
    else:
        rows = raw_aggregate(inner, params, names, fraction=None)
        out = [Row(keys, v) for keys, v in rows if v is not None]
    out.sort(key=lambda r: tuple(_sort_key(k) for k in r.keys))
    return Result(measure, group, out, "live")


# --- dashboard pieces that are not a single measure -------------------------------------------

BACKLOG_BUCKETS = (
    ("lt1d", _("Under a day"), 0, 1),
    ("1-3d", _("1-3 days"), 1, 3),
    ("3-7d", _("3-7 days"), 3, 7),
    ("7-30d", _("1-4 weeks"), 7, 30),
    ("gt30d", _("Over 30 days"), 30, None),
)
RESPONSE_BUCKET_LABELS = (
    _("Under 1 h"),
    _("1-4 h"),
    _("4-8 h"),
    _("8-24 h"),
    _("1-3 days"),
    _("Over 3 days"),
)


def open_snapshot(*, filters: Filters, scope: Scope) -> dict[int | None, dict[str, int]]:
    """Open tickets right now per assignee (None: unassigned): how many (``n``), how many
    still wait for a first reply (``unanswered``) and how many per age bucket. One query
    that the backlog chart, the workload column and the live counters all read (once per
    page within ``coverage_memo``)."""
    memo = _coverage.get()
    memo_key = ("open", filters.values, scope.team_ids)
    if memo is not None and memo_key in memo:
        return memo[memo_key]
    now = clock.now()
    parts: Parts = {
        "n": Count("pk"),
        "unanswered": Count("pk", filter=Q(first_response_at__isnull=True)),
    }
    for key, _label, low, high in BACKLOG_BUCKETS:
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high))
        parts[key] = Count("pk", filter=q)
    rows = (
        Ticket.objects.filter(MEASURES["backlog"].base(), filter_q(filters, scope))
        .order_by()
        .values("assignee_id")
        .annotate(**parts)
    )
    snapshot = {r["assignee_id"]: {k: r[k] or 0 for k in parts} for r in rows}
    if memo is not None:
        memo[memo_key] = snapshot
    return snapshot


def backlog_by_age(*, filters: Filters, scope: Scope) -> list[tuple[str, Any, int]]:
    """Open tickets now, by age since creation."""
    snapshot = open_snapshot(filters=filters, scope=scope).values()
    return [
        (key, label, sum(row[key] for row in snapshot)) for key, label, _lo, _hi in BACKLOG_BUCKETS
    ]


def response_bucket_parts(prefix: str = "") -> Parts:
    """First replies per response-time bucket (conditional counts), for live queries."""
    parts: Parts = {}
    lower = None
    for i, upper in enumerate((*RESPONSE_BUCKETS, None)):
        q = Q()
        if lower is not None:
            q &= Q(**{f"{prefix}_frt__gte": lower})
        if upper is not None:
            q &= Q(**{f"{prefix}_frt__lt": upper})
        parts[f"frt_b{i}"] = Count("pk", filter=q)
        lower = upper
    return parts


def _response_bucket_live() -> Parts:
    """``response_bucket_parts`` with the first response time written out (no alias)."""
    parts: Parts = {}
    lower = None
    for i, upper in enumerate((*RESPONSE_BUCKETS, None)):
        q = Q()
        if lower is not None:
            q &= Q(GreaterThanOrEqual(_frt(), lower))
        if upper is not None:
            q &= Q(LessThan(_frt(), upper))
        parts[f"frt_b{i}"] = Count("pk", filter=q)
        lower = upper
    return parts


# Not a measure people pick: the first-response distribution the dashboard draws, as parts
# ``frt_b0`` .. ``frt_b5`` (first replies per bucket), so it can share the rollup query.
FIRST_RESPONSE_BUCKETS = Measure(
    "first_response_buckets",
    _("First response time"),
    "count",
    "tickets",
    "first_response_at",
    _("First replies in the period per response-time bucket."),
    base=lambda: NOT_MERGED,
    live=_response_bucket_live,
    rollup={
        "daily": lambda: {f"frt_b{i}": Sum(f"frt_b{i}") for i in range(len(RESPONSE_BUCKETS) + 1)}
    },
)


def first_response_buckets(result: Result) -> list[tuple[Any, int]]:
    """The distribution chart from a ``FIRST_RESPONSE_BUCKETS`` result (any grouping)."""
    totals = [
        sum(r.parts.get(f"frt_b{i}") or 0 for r in result.rows)
        for i in range(len(RESPONSE_BUCKETS) + 1)
    ]
    return list(zip(RESPONSE_BUCKET_LABELS, totals, strict=True))


def first_response_histogram(*, filters: Filters, scope: Scope) -> list[tuple[Any, int]]:
    """First replies in the range per response-time bucket (rollups for long ranges)."""
    measure = MEASURES["first_response_avg"]
    plan = rollup_plan(measure, filters, ())
    totals = [0] * (len(RESPONSE_BUCKETS) + 1)
    live_from = filters.start
    if plan is not None:
        _table, last = plan
        sums = DailyTicketStats.objects.filter(
            filter_q(filters, scope), day__gte=filters.start, day__lte=last
        ).aggregate(**{f"frt_b{i}": Sum(f"frt_b{i}") for i in range(len(totals))})
        totals = [(sums[f"frt_b{i}"] or 0) for i in range(len(totals))]
        live_from = last + timedelta(days=1)
    if live_from <= filters.end:
        live = (
            _ticket_base(measure, filters, scope, live_from, filters.end)
            .alias(_frt=_frt())
            .aggregate(**response_bucket_parts())
        )
        totals = [t + (live[f"frt_b{i}"] or 0) for i, t in enumerate(totals)]
    return list(zip(RESPONSE_BUCKET_LABELS, totals, strict=True))


def workload(*, scope: Scope, filters: Filters | None = None) -> dict[int | None, int]:
    """Open tickets per assignee right now."""
    snapshot = open_snapshot(filters=filters or Filters(date.min, date.min), scope=scope)
    return {assignee: row["n"] for assignee, row in snapshot.items()}
