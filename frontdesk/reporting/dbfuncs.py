"""Database functions the measures need, written once for SQLite and PostgreSQL.

- ``EpochSeconds(end, start)``: the seconds between two timestamps, as a float.
- ``percentile_rows(...)``: a percentile (median, p90) per group, computed in the database:
  PostgreSQL's ``percentile_cont``; on SQLite, window functions number the sorted values
  per group and only the one or two rows around the wanted position come back to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Expression, F, FloatField, Func, QuerySet


class EpochSeconds(Func):
    """``end - start`` in seconds (float). NULL when either side is NULL."""

    output_field = FloatField()

    def __init__(self, end: str | Expression, start: str | Expression) -> None:
        end_expr = F(end) if isinstance(end, str) else end
        start_expr = F(start) if isinstance(start, str) else start
        super().__init__(end_expr, start_expr)

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def, override]
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))::float8"
        else:
            # SQLite stores datetimes as ISO text; julianday() parses them (UTC, as stored).
            # A julian day number as a double is exact to some 50 microseconds only, so the
            # difference is rounded to the millisecond: a reply after exactly one hour is
            # 3600.0 s, as on PostgreSQL, and lands in the same bucket on both databases.
            sql = f"ROUND((julianday({end_sql}) - julianday({start_sql})) * 86400.0, 3)"
        return sql, (*end_params, *start_params)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Expression, fraction: float) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within 0..1")
        super().__init__(expression, fraction=repr(float(fraction)))


def percentile_rows(
    queryset: QuerySet, *, groups: dict[str, Any], value: Expression, fraction: float
) -> list[tuple[tuple[Any, ...], float | None]]:
    """``[((group values...), percentile), ...]`` of ``value`` over ``queryset`` per group.

    ``groups`` maps an alias to an expression (or field name). Linear interpolation between
    the closest ranks, as PostgreSQL's ``percentile_cont`` does, on both databases.
    """
    names = list(groups)
    annotated = queryset.order_by().annotate(
        **{n: (F(e) if isinstance(e, str) else e) for n, e in groups.items()}, _v=value
    )
    annotated = annotated.filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        if not names:
            result = annotated.aggregate(_p=PercentileCont(F("_v"), fraction))["_p"]
            return [((), result)] if result is not None else []
        rows = annotated.values(*names).annotate(_p=PercentileCont(F("_v"), fraction))
        return [(tuple(r[n] for n in names), r["_p"]) for r in rows]
    inner_sql, params = annotated.values(*names, "_v").query.sql_with_params()
    return _sqlite_percentile(inner_sql, params, names, fraction)


def _sqlite_percentile(
    inner_sql: str, params: Sequence[Any], names: list[str], fraction: float
) -> list[tuple[tuple[Any, ...], float | None]]:
    cols = ", ".join(f'"{n}"' for n in names)
    partition = f"PARTITION BY {cols}" if names else ""
    group_by = f"GROUP BY {cols}" if names else ""
    select_groups = f"{cols}, " if names else ""
    p = repr(float(fraction))
    # rn: rank in the sorted group; pos: the wanted (1-based, fractional) rank; only the
    # rows at floor(pos) and ceil(pos) leave the database.
    sql = f"""
        SELECT {select_groups}
               MAX(CASE WHEN rn = lo THEN v END), MAX(CASE WHEN rn = hi THEN v END),
               MAX(pos - lo)
        FROM (
          SELECT {select_groups} v, rn, pos, CAST(pos AS INTEGER) AS lo,
                 CAST(pos AS INTEGER) + (pos > CAST(pos AS INTEGER)) AS hi
          FROM (
            SELECT {select_groups} "_v" AS v,
                   ROW_NUMBER() OVER ({partition} ORDER BY "_v") AS rn,
                   1 + {p} * (COUNT(*) OVER ({partition}) - 1) AS pos
            FROM ({inner_sql}) s
          ) w
        ) x
        WHERE rn = lo OR rn = hi
        {group_by}
    """  # noqa: S608 - identifiers are our own aliases; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        out = []
        for row in cursor.fetchall():
            key = tuple(row[: len(names)])
            low, high, frac = row[len(names) :]
            if low is None:
                out.append((key, None))
                continue
            high = low if high is None else high
            out.append((key, float(low) + float(frac or 0) * (float(high) - float(low))))
        return out


def raw_aggregate(
    inner_sql: str, params: Sequence[Any], names: list[str], *, fraction: float | None
) -> list[tuple[tuple[Any, ...], float | None]]:
    """Average (``fraction`` None) or percentile of column ``_v`` of a raw query, per group
    of its ``g0``, ``g1`` ... columns."""
    if fraction is not None and connection.vendor != "postgresql":
        return _sqlite_percentile(inner_sql, params, names, fraction)
    cols = ", ".join(f'"{n}"' for n in names)
    select_groups = f"{cols}, " if names else ""
    group_by = f"GROUP BY {cols}" if names else ""
    if fraction is None:
        agg = 'AVG("_v")'
    else:
        agg = f'percentile_cont({float(fraction)!r}) WITHIN GROUP (ORDER BY "_v")'
    sql = f"SELECT {select_groups}{agg} FROM ({inner_sql}) s {group_by}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (tuple(row[: len(names)]), None if row[-1] is None else float(row[-1]))
            for row in cursor.fetchall()
        ]
