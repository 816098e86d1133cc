"""Report definitions (what the builder saves) and turning a result into a table or chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontdesk.reporting.dimensions import (
    DIMENSIONS,
    FILTER_DIMENSIONS,
    TIME_DIMENSIONS,
    dimension_labels,
)
from frontdesk.reporting.exports import Table
from frontdesk.reporting.metrics import (
    MEASURES,
    Filters,
    Measure,
    Result,
    Scope,
    measure_available,
    measure_compute,
    today,
)

CHARTS = {
    "bar": gettext_lazy("Bar chart"),
    "line": gettext_lazy("Line chart"),
    "table": gettext_lazy("Table only"),
}
RANGES = {
    7: gettext_lazy("Last 7 days"),
    30: gettext_lazy("Last 30 days"),
    90: gettext_lazy("Last 90 days"),
    365: gettext_lazy("Last 12 months"),
}
UNIT_SUFFIX = {"seconds": gettext_lazy("hours"), "percent": "%"}
MAX_RANGE_DAYS = 3 * 366
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class ReportSpec:
    """What to compute: a measure, up to two dimensions, a range, filters, a chart type."""

    measure: str
    group: tuple[str, ...] = ()
    days: int | None = 30
    start: date | None = None
    end: date | None = None
    chart: str = "bar"
    filters: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @property
    def measure_def(self) -> Measure:
        return MEASURES[self.measure]

    def date_range(self) -> tuple[date, date]:
        if self.start and self.end:
            return self.start, self.end
        end = today()
        return end - timedelta(days=(self.days or 30) - 1), end

    def to_filters(self) -> Filters:
        start, end = self.date_range()
        return Filters.of(start, end, **dict(self.filters))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "measure": self.measure,
            "group": list(self.group),
            "chart": self.chart,
            "filters": dict(self.filters),
        }
        if self.start and self.end:
            data.update(start=self.start.isoformat(), end=self.end.isoformat())
        else:
            data["days"] = self.days
        return data

    def to_query(self) -> dict[str, Any]:
        """GET parameters that open this report in the builder (and its exports)."""
        query: dict[str, Any] = {"measure": self.measure, "chart": self.chart}
        for i, dim in enumerate(self.group, start=1):
            query[f"group{i}"] = dim
        if self.start and self.end:
            query.update(start=self.start.isoformat(), end=self.end.isoformat())
        else:
            query["days"] = self.days
        query.update(dict(self.filters))
        return query


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def spec_parse(data: Mapping[str, Any]) -> ReportSpec:
    """A spec from GET parameters or stored JSON; ValidationError says what is wrong."""
    errors: dict[str, list[str]] = {}
    measure_key = str(data.get("measure") or "created")
    measure = MEASURES.get(measure_key)
    if measure is None or not measure_available(measure):
        errors["measure"] = [_("Choose a measure.")]
    raw_group = data.get("group")
    if raw_group is None:
        raw_group = [data.get("group1"), data.get("group2")]
    group = tuple(dict.fromkeys(str(g) for g in raw_group if g))
    if len(group) > 2 or any(g not in DIMENSIONS for g in group):
        errors["group"] = [_("Group by at most two of the listed dimensions.")]
    elif measure is not None and set(group) - measure.dims:
        names = ", ".join(str(DIMENSIONS[g].label) for g in sorted(set(group) - measure.dims))
        errors["group"] = [_("This measure cannot be grouped by %(dims)s.") % {"dims": names}]
    elif len([g for g in group if g in TIME_DIMENSIONS]) > 1:
        errors["group"] = [_("Group by one period at most (day, week or month).")]
    chart = str(data.get("chart") or "bar")
    if chart not in CHARTS:
        errors["chart"] = [_("Choose a chart type.")]
    start = end = None
    days = None
    if data.get("start") or data.get("end"):
        # One end given (the filter form sends as soon as one date is picked): "from" runs
        # to today, "to" reaches back over the chosen range.
        try:
            end = date.fromisoformat(str(data["end"])) if data.get("end") else today()
        except ValueError:
            errors["end"] = [_("Enter dates as YYYY-MM-DD.")]
        try:
            span = (_int_or_none(data.get("days")) or 30) - 1
            start = (
                date.fromisoformat(str(data["start"]))
                if data.get("start")
                else (end or today()) - timedelta(days=max(span, 0))
            )
        except (ValueError, OverflowError):
            errors["start"] = [_("Enter dates as YYYY-MM-DD.")]
        for name, day in (("start", start), ("end", end)):
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[name] = [_("Enter a date between 1970 and 2999.")]
        if start is None or end is None or errors.keys() & {"start", "end"}:
            start = end = None
        else:
            if end < start:
                start, end = end, start
            if (end - start).days > MAX_RANGE_DAYS:
                errors["start"] = [_("Choose a range of at most three years.")]
    else:
        days = _int_or_none(data.get("days")) or 30
        if not 1 <= days <= MAX_RANGE_DAYS:
            errors["days"] = [_("Choose a range of at most three years.")]
    raw_filters = data.get("filters") if isinstance(data.get("filters"), Mapping) else data
    filters: list[tuple[str, Any]] = []
    for key in FILTER_DIMENSIONS:
        value = raw_filters.get(key) if raw_filters else None
        if value in (None, ""):
            continue
        if key != "channel":
            value = _int_or_none(value)
            if value is None:
                errors[key] = [_("Choose a value from the list.")]
                continue
        if measure is not None and key not in measure.dims:
            errors[key] = [_("This measure cannot be filtered by that.")]
            continue
        filters.append((key, value))
    if errors:
        raise ValidationError(errors)
    return ReportSpec(
        measure=measure_key,
        group=group,
        days=days,
        start=start,
        end=end,
        chart=chart,
        filters=tuple(sorted(filters)),
    )


# --- presenting a result ----------------------------------------------------------------------


def value_export(measure: Measure, value: float | None) -> float | int | None:
    """The number a spreadsheet gets: durations in hours, rates in percent, 2 decimals."""
    if value is None:
        return None
    if measure.unit == "seconds":
        return round(value / 3600, 2)
    if measure.unit == "count":
        return int(value)
    return round(value, 2)


def _labels(result: Result) -> list[dict[Any, str]]:
    return [
        dimension_labels(dim, {row.keys[i] for row in result.rows})
        for i, dim in enumerate(result.group)
    ]


def result_table(result: Result, title: str) -> Table:
    measure = result.measure
    suffix = UNIT_SUFFIX.get(measure.unit)
    header = f"{measure.label} ({suffix})" if suffix else str(measure.label)
    labels = _labels(result)
    rows = [
        [labels[i][k] for i, k in enumerate(row.keys)] + [value_export(measure, row.value)]
        for row in result.rows
    ]
    return Table(
        title=title, headers=[str(DIMENSIONS[d].label) for d in result.group] + [header], rows=rows
    )


def _fill_days(keys: list[Any], dim: str, start: date, end: date) -> list[Any]:
    """Every period of the range, so a chart shows quiet days as zero, not as missing."""
    if dim == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if dim == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    if dim == "month":
        out, cur = [], start.replace(day=1)
        while cur <= end:
            out.append(cur)
            cur = (cur + timedelta(days=32)).replace(day=1)
        return out
    return keys


def result_chart(result: Result, chart: str, *, start: date, end: date) -> dict[str, Any]:
    """Chart.js-ready data: labels along the first dimension, one dataset per second."""
    measure = result.measure
    values = {row.keys: value_export(measure, row.value) for row in result.rows}
    zero = 0 if measure.unit == "count" else None
    suffix = UNIT_SUFFIX.get(measure.unit)
    unit = str(suffix) if suffix else ""
    if not result.group:
        total = values.get(())
        return {
            "type": "bar",
            "labels": [str(measure.label)],
            "datasets": [{"label": str(measure.label), "data": [total]}],
            "unit": unit,
        }
    first = result.group[0]
    firsts = list(dict.fromkeys(k[0] for k in values))
    if first in TIME_DIMENSIONS:
        firsts = _fill_days(firsts, first, start, end)
    labels = dimension_labels(first, firsts)
    if len(result.group) == 1:
        datasets = [{"label": str(measure.label), "data": [values.get((k,), zero) for k in firsts]}]
    else:
        seconds = list(dict.fromkeys(k[1] for k in values))
        second_labels = dimension_labels(result.group[1], seconds)
        datasets = [
            {
                "label": second_labels[s],
                "data": [values.get((k, s), zero) for k in firsts],
            }
            for s in seconds
        ]
    return {
        "type": "line" if chart == "line" else "bar",
        "labels": [labels[k] for k in firsts],
        "datasets": datasets,
        "unit": unit,
        "stacked": len(result.group) == 2 and measure.unit == "count",
    }


def report_run(spec: ReportSpec, scope: Scope) -> Result:
    return measure_compute(spec.measure, filters=spec.to_filters(), scope=scope, group=spec.group)
