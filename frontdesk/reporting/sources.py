"""Facts that other apps own: SLA target records (frontdesk.sla ``TicketSla``) and
knowledge-base deflection sessions (frontdesk.knowledge ``DeflectionEvent``).

Reporting reads them only through this module, by model lookup (``apps.get_model``), so the
rest of the app works whether or not those apps are installed; ``metrics.measure_available``
hides their measures when they are not.

SLA: one ``TicketSla`` row per ticket holds, per target, whether it was achieved and
breached, and the elapsed time as the target counts it (business hours with pauses taken
out, or calendar time). Compliance counts achieved targets: the first-response target on
the day of the first reply, the resolution target on the day of the (last) solve.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Case, Count, DateField, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Trunc, TruncDate

if TYPE_CHECKING:
    from frontdesk.reporting.metrics import Filters, Measure, Result, Scope

# target -> (achieved-seconds column, breached column, ticket anchor)
SLA_TARGETS = {
    "first_response": ("first_response_seconds", "first_response_breached", "first_response_at"),
    "resolution": ("resolution_seconds", "resolution_breached", "solved_at"),
}


def _model(app: str, name: str) -> Any:
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


def sla_records() -> Any:
    """The SLA app's per-ticket model (``sla.TicketSla``), or None without the SLA app."""
    return _model("sla", "TicketSla")


def sla_due_column() -> str | None:
    """The ticket column holding the next SLA due time (written by the SLA services)."""
    from frontdesk.tickets.models import Ticket

    names = {f.name for f in Ticket._meta.concrete_fields}
    return "sla_due_at" if "sla_due_at" in names else None


def _sla_rows(target: str, filters: Filters, scope: Scope) -> Any:
    from frontdesk.reporting.metrics import day_start, filter_q

    model = sla_records()
    seconds, _breached, anchor = SLA_TARGETS[target]
    rows = model.objects.filter(
        filter_q(filters, scope, prefix="ticket__"),
        ticket__merged_into__isnull=True,
        **{
            f"{seconds}__isnull": False,
            f"ticket__{anchor}__gte": day_start(filters.start),
            f"ticket__{anchor}__lt": day_start(filters.end + timedelta(days=1)),
        },
    )
    if filters.until is not None:
        rows = rows.filter(**{f"ticket__{anchor}__lt": filters.until})
    return rows


def sla_compliance(
    measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]
) -> Result:
    """Share of achieved SLA targets that were met, per target kind and the other groups.

    One grouped query per target kind (two), merged by key.
    """
    from frontdesk.reporting.metrics import Result, _finished, _group_exprs, _grouped_parts

    grouped = []
    inner = tuple(g for g in group if g != "target")
    for target, (_seconds, breached, anchor) in SLA_TARGETS.items():
        rows = _sla_rows(target, filters, scope)
        exprs = _group_exprs(inner, anchor=f"ticket__{anchor}", prefix="ticket__")
        parts = {"met": Count("pk", filter=Q(**{breached: False})), "n": Count("pk")}
        for keys, values in _grouped_parts(rows, exprs, parts):
            if not values.get("n"):
                continue
            # Put the target kind where it was asked for in ``group``.
            full = list(keys)
            if "target" in group:
                full.insert(group.index("target"), target)
            grouped.append((tuple(full), values))
    return Result(measure, group, _finished(measure, grouped, group), "live")


def sla_time(measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]) -> Result:
    """Business-time durations from the SLA records (average or median)."""
    from django.db.models import F, FloatField
    from django.db.models.functions import Cast

    from frontdesk.reporting.dbfuncs import percentile_rows
    from frontdesk.reporting.metrics import (
        Result,
        Row,
        _finished,
        _group_exprs,
        _grouped_parts,
        _normal,
    )

    target = "first_response" if measure.key.startswith("first_response") else "resolution"
    seconds, _breached, anchor = SLA_TARGETS[target]
    rows = _sla_rows(target, filters, scope)
    exprs = _group_exprs(group, anchor=f"ticket__{anchor}", prefix="ticket__")
    if measure.key.endswith("_median"):
        values = percentile_rows(
            rows, groups=exprs, value=Cast(F(seconds), FloatField()), fraction=0.5
        )
        out = [Row(tuple(_normal(k) for k in keys), v) for keys, v in values if v is not None]
        return Result(measure, group, out, "live")
    grouped = _grouped_parts(rows, exprs, {"s": Sum(seconds), "n": Count("pk")})
    return Result(measure, group, _finished(measure, grouped, group), "live")


# --- knowledge base deflection ----------------------------------------------------------------


def kb_available() -> bool:
    return _model("knowledge", "DeflectionEvent") is not None


def kb_deflection(
    measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]
) -> Result:
    """Request-form sessions that showed suggestions, and those of them in which an article
    was opened and no request was sent (the knowledge app's definition), per period.

    One query: sessions are grouped in a subquery, then counted per period. Deflection is
    desk-wide (a customer filling in the form belongs to no team yet), so team scoping
    does not narrow it.
    """
    from frontdesk.reporting.metrics import Result, _finished, day_start, local_tz

    model = _model("knowledge", "DeflectionEvent")
    events = model.objects.filter(
        created_at__gte=day_start(filters.start),
        created_at__lt=day_start(filters.end + timedelta(days=1)),
    )

    def flag(kinds: tuple[str, ...]) -> Max:
        return Max(
            Case(When(kind__in=kinds, then=Value(1)), default=Value(0), output_field=IntegerField())
        )

    period = group[0] if group else None
    sessions = (
        events.order_by()
        .values("session")
        .annotate(
            seen=flag(("shown", "opened")), opened=flag(("opened",)), sent=flag(("submitted",))
        )
    )
    if period == "day":
        sessions = sessions.annotate(g0=TruncDate(Min("created_at"), tzinfo=local_tz()))
    elif period:
        sessions = sessions.annotate(
            g0=Trunc(Min("created_at"), period, output_field=DateField(), tzinfo=local_tz())
        )
    sql, params = sessions.query.sql_with_params()
    select = '"g0", ' if period else ""
    group_by = 'GROUP BY "g0"' if period else ""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT {select}COUNT(*),
                       SUM(CASE WHEN "opened" = 1 AND "sent" = 0 THEN 1 ELSE 0 END)
                FROM ({sql}) s WHERE "seen" = 1 {group_by}""",  # noqa: S608 - our own aliases
            params,
        )
        fetched = cursor.fetchall()
    from frontdesk.reporting.metrics import _normal

    grouped = [
        (((_normal(r[0]),) if period else ()), {"n": r[-2] or 0, "deflected": r[-1] or 0})
        for r in fetched
    ]
    return Result(measure, group, _finished(measure, grouped, group), "live")
