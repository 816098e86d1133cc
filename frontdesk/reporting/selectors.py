"""Every read the reporting pages make, scoped to what the viewer may see.

Agents see their teams' figures; supervisors and admins see every team; customers see no
figures at all. Each page runs a fixed number of aggregate queries (pinned in the tests).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from frontdesk.accounts.models import STAFF_ROLES, Team, User
from frontdesk.core import clock
from frontdesk.reporting.metrics import (
    FIRST_RESPONSE_BUCKETS,
    MEASURES,
    Filters,
    Result,
    Scope,
    backlog_by_age,
    coverage_memo,
    first_response_buckets,
    measure_available,
    measure_compute,
    measures_compute,
    open_snapshot,
    today,
    workload,
)
from frontdesk.reporting.models import CsatSurvey, SavedReport
from frontdesk.reporting.reports import result_chart
from frontdesk.reporting.surveys import survey_settings_get
from frontdesk.tickets.models import OPEN_CATEGORIES, Ticket
from frontdesk.tickets.selectors import team_ids_of


def scope_for(user: User) -> Scope:
    """The figures ``user`` may see: every team for supervisors and admins, else their own."""
    if not user.is_authenticated or not user.is_agent or not user.is_active:
        raise PermissionDenied
    if user.sees_all_tickets or user.is_desk_admin:
        return Scope(team_ids=None)
    return Scope(team_ids=tuple(team_ids_of(user)))


def teams_for(scope: Scope) -> QuerySet[Team]:
    teams = Team.objects.order_by("name")
    return teams if scope.team_ids is None else teams.filter(pk__in=scope.team_ids)


def _period(filters: Filters) -> str:
    return "day" if filters.days <= 92 else "week"


def dashboard_data(*, filters: Filters, scope: Scope) -> dict[str, Any]:
    """Everything the supervisor dashboard draws for a range: KPIs, charts, agents, and
    the live counters (which share its open-ticket snapshot)."""
    with coverage_memo():
        data = _dashboard_data(filters, scope)
        data["counters"] = live_counters(filters=filters, scope=scope)
        return data


def _dashboard_data(filters: Filters, scope: Scope) -> dict[str, Any]:
    """Each query answers several figures: the rollup parts are grouped by period and
    agent once and added up for the totals, the chart and the agents table."""
    period = _period(filters)
    cube = measures_compute(
        ("created", "solved", "reopen_rate", "one_touch_rate", FIRST_RESPONSE_BUCKETS),
        filters=filters,
        scope=scope,
        group=(period, "assignee"),
    )
    figures = _agent_figures(filters=filters, scope=scope, solved=cube["solved"])
    created = _collapsed(cube["created"], (period,), filters, scope)
    solved = _collapsed(cube["solved"], (period,), filters, scope)
    volume = result_chart(created, "bar", start=filters.start, end=filters.end)
    solved_chart = result_chart(solved, "bar", start=filters.start, end=filters.end)
    volume["datasets"].append(
        {"label": solved_chart["datasets"][0]["label"], "data": solved_chart["datasets"][0]["data"]}
    )
    sla = figures["sla_by_target"]
    kpis = [
        {"measure": MEASURES["created"], "value": sum(r.value or 0 for r in created.rows)},
        {"measure": MEASURES["solved"], "value": sum(r.value or 0 for r in solved.rows)},
        {
            "measure": MEASURES["first_response_median"],
            "value": _collapsed(figures["first_response_median"], (), filters, scope).total,
        },
        {
            "measure": MEASURES["resolution_median"],
            "value": _collapsed(figures["resolution_median"], (), filters, scope).total,
        },
        *(
            {
                "measure": MEASURES[key],
                "value": _collapsed(cube[key], (), filters, scope).total,
            }
            for key in ("reopen_rate", "one_touch_rate")
        ),
        {
            "measure": MEASURES["csat"],
            "value": _collapsed(figures["csat_trend"], (), filters, scope).total,
        },
    ]
    if set(filters.dims) <= MEASURES["nps"].dims:
        # NPS is about a contact's whole relationship, not one team's or channel's tickets:
        # shown for the whole desk or one organization only.
        nps = measure_compute("nps", filters=filters, scope=scope).total
        kpis.append({"measure": MEASURES["nps"], "value": nps})
    if sla is not None:
        # The per-target rows' parts add up to the overall compliance (no second query).
        met, total = (sum(r.parts.get(k) or 0 for r in sla.rows) for k in ("met", "n"))
        value = 100 * met / total if total else None
        kpis.append({"measure": MEASURES["sla_compliance"], "value": value})
    histogram = first_response_buckets(cube[FIRST_RESPONSE_BUCKETS.key])
    backlog = backlog_by_age(filters=filters, scope=scope)
    charts = {
        "volume": volume,
        "first_response": {
            "type": "bar",
            "labels": [str(label) for label, _n in histogram],
            "datasets": [
                {
                    "label": str(MEASURES["first_response_avg"].label),
                    "data": [n for _l, n in histogram],
                }
            ],
            "unit": "",
        },
        "backlog": {
            "type": "bar",
            "labels": [str(label) for _k, label, _n in backlog],
            "datasets": [
                {"label": str(MEASURES["backlog"].label), "data": [n for _k, _l, n in backlog]}
            ],
            "unit": "",
        },
        "csat": result_chart(
            _collapsed(figures["csat_trend"], (_csat_period(filters),), filters, scope),
            "line",
            start=filters.start,
            end=filters.end,
        ),
    }
    if sla is not None:
        charts["sla"] = result_chart(sla, "bar", start=filters.start, end=filters.end)
    return {
        "kpis": kpis,
        "charts": charts,
        "backlog_total": sum(n for _k, _l, n in backlog),
        "agents": agent_performance(filters=filters, scope=scope, figures=figures),
    }


def _csat_period(filters: Filters) -> str:
    return "day" if filters.days <= 31 else "week"


def _collapsed(result: Result, keep: tuple[str, ...], filters: Filters, scope: Scope) -> Result:
    """``result`` grouped by ``keep`` only: added up from its parts, or (exact percentiles,
    which do not add up) asked again."""
    collapsed = result.collapsed(keep)
    if collapsed is not None:
        return collapsed
    return measure_compute(result.measure.key, filters=filters, scope=scope, group=keep)


def _agent_figures(
    *, filters: Filters, scope: Scope, solved: Result | None = None
) -> dict[str, Any]:
    """The per-agent figures, grouped so that the dashboard's totals and trends can be
    added up from them: solved, median first response (histograms for long ranges), CSAT
    per agent and period, SLA compliance per agent and target."""
    group = ("assignee",)
    if solved is None:
        solved = measure_compute("solved", filters=filters, scope=scope, group=group)
    durations = measures_compute(
        ("first_response_median", "resolution_median"), filters=filters, scope=scope, group=group
    )
    figures: dict[str, Any] = {
        "solved": _collapsed(solved, group, filters, scope),
        **durations,
        "csat_trend": measure_compute(
            "csat", filters=filters, scope=scope, group=(_csat_period(filters), "assignee")
        ),
        "sla": None,
        "sla_by_target": None,
    }
    figures["csat"] = _collapsed(figures["csat_trend"], group, filters, scope)
    if measure_available(MEASURES["sla_compliance"]):
        both = measure_compute(
            "sla_compliance", filters=filters, scope=scope, group=("target", "assignee")
        )
        figures["sla"] = _collapsed(both, group, filters, scope)
        figures["sla_by_target"] = _collapsed(both, ("target",), filters, scope)
    return figures


def live_counters(*, filters: Filters, scope: Scope) -> list[dict[str, Any]]:
    """Today so far against the same part of the same weekday last week, and open now."""
    now = clock.now()
    day = today()
    week_ago = day - timedelta(days=7)
    today_f = filters.shifted(day, day, until=now)
    last_f = filters.shifted(week_ago, week_ago, until=now - timedelta(days=7))
    counters: list[dict[str, Any]] = [
        {
            "measure": MEASURES[key],
            "today": measure_compute(key, filters=today_f, scope=scope).total,
            "last_week": measure_compute(key, filters=last_f, scope=scope).total,
        }
        for key in ("created", "solved", "first_response_median")
    ]
    snapshot = open_snapshot(filters=filters, scope=scope)
    return counters + [
        {"key": "open", "value": sum(row["n"] for row in snapshot.values())},
        {"key": "unassigned", "value": snapshot.get(None, {}).get("n", 0)},
        {"key": "unanswered", "value": sum(row["unanswered"] for row in snapshot.values())},
    ]


def agents_in(scope: Scope) -> QuerySet[User]:
    agents = User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by(
        "first_name", "last_name", "pk"
    )
    if scope.team_ids is not None:
        agents = agents.filter(teams__in=scope.team_ids).distinct()
    return agents


def agent_performance(
    *, filters: Filters, scope: Scope, figures: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Per agent: solved, median first response, CSAT, SLA compliance, workload vs capacity.

    One grouped query per figure for all agents together (not one per agent).
    """
    if figures is None:
        figures = _agent_figures(filters=filters, scope=scope)
    solved = figures["solved"].by_key()
    frt = figures["first_response_median"].by_key()
    csat = figures["csat"].by_key()
    sla = figures["sla"].by_key() if figures["sla"] is not None else {}
    open_now = workload(scope=scope, filters=filters)
    capacity = survey_settings_get().agent_capacity or 1
    rows = []
    for agent in agents_in(scope):
        key = (agent.pk,)
        carrying = open_now.get(agent.pk, 0)
        rows.append(
            {
                "agent": agent,
                "solved": int(solved.get(key) or 0),
                "first_response_median": frt.get(key),
                "csat": csat.get(key),
                "sla": sla.get(key),
                "open": carrying,
                "capacity": capacity,
                "load": round(100 * carrying / capacity),
            }
        )
    return rows


def agent_numbers(*, user: User, days: int = 30) -> dict[str, Any]:
    """The agent dashboard: my queue, my SLA risks, my numbers over ``days`` (solved, median
    first response and resolution, one-touch rate, CSAT, SLA compliance), my workload
    against capacity and the latest ratings of my tickets."""
    end = today()
    mine = Filters.of(end - timedelta(days=days - 1), end, assignee=user.pk)
    everyone = Scope(team_ids=None)  # an agent always sees their own numbers
    keys = ["solved", "first_response_median", "resolution_median", "one_touch_rate", "csat"]
    if measure_available(MEASURES["sla_compliance"]):
        keys.append("sla_compliance")
    numbers = [
        {
            "measure": MEASURES[key],
            "value": measure_compute(key, filters=mine, scope=everyone).total,
        }
        for key in keys
    ]
    open_mine = Ticket.objects.filter(
        assignee=user, status_category__in=OPEN_CATEGORIES, merged_into__isnull=True
    )
    queue = open_mine.select_related("status", "priority", "requester").order_by(
        "-updated_at", "-id"
    )[:25]
    carrying = open_mine.count()
    capacity = survey_settings_get().agent_capacity or 1
    return {
        "numbers": numbers,
        "queue": list(queue),
        "queue_total": carrying,
        "workload": {
            "open": carrying,
            "capacity": capacity,
            "load": round(100 * carrying / capacity),
        },
        "risks": sla_risks_for(user),
        "feedback": feedback_recent(scope=everyone, filters=mine, with_comment=False),
        "days": days,
    }


SLA_TARGET_NAMES = {
    "first_response": gettext_lazy("First response"),
    "next_response": gettext_lazy("Next response"),
    "periodic_update": gettext_lazy("Update"),
    "resolution": gettext_lazy("Resolution"),
}


def sla_risks_for(user: User, limit: int = 10) -> list[Ticket]:
    """My open tickets closest to (or past) their due time: the SLA due columns when the SLA
    app provides them, else the ticket's own due date. Each ticket carries ``risk_due``,
    ``risk_overdue`` and ``risk_target`` (which SLA target is next, if known) for the page.
    A paused SLA has no due time, so a ticket waiting on its customer is not at risk."""
    from frontdesk.reporting import sources

    now = clock.now()
    soon = now + timedelta(hours=24)
    base = Ticket.objects.filter(
        assignee=user, status_category__in=OPEN_CATEGORIES, merged_into__isnull=True
    ).select_related("status", "priority")
    due = sources.sla_due_column() or "due_at"
    risks = list(base.filter(**{f"{due}__lte": soon}).order_by(due, "id")[:limit])
    for ticket in risks:
        ticket.risk_due = getattr(ticket, due)  # type: ignore[attr-defined]
        ticket.risk_overdue = ticket.risk_due <= now  # type: ignore[attr-defined]
        target = getattr(ticket, "sla_target", "") if due != "due_at" else ""
        ticket.risk_target = SLA_TARGET_NAMES.get(target, "")  # type: ignore[attr-defined]
    return risks


def saved_reports_for(user: User) -> QuerySet[SavedReport]:
    return SavedReport.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def saved_report_get_for(user: User, pk: int) -> SavedReport:
    from django.http import Http404

    report = saved_reports_for(user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report")
    return report


def csat_for_ticket(ticket: Ticket) -> CsatSurvey | None:
    return CsatSurvey.objects.filter(ticket=ticket).first()


def feedback_recent(
    *, scope: Scope, filters: Filters | None = None, limit: int = 8, with_comment: bool = True
) -> list[CsatSurvey]:
    """The latest ratings answered in the range, of the tickets the filters select (a
    team's, an agent's, a channel's ...): those with a comment for the supervisor
    dashboard, every rating for an agent's own."""
    from frontdesk.reporting.metrics import day_start, filter_q

    surveys = CsatSurvey.objects.filter(answered_at__isnull=False, rating__isnull=False)
    if with_comment:
        surveys = surveys.exclude(comment="")
    if filters is not None:
        surveys = surveys.filter(
            filter_q(filters, scope, prefix="ticket__"),
            answered_at__gte=day_start(filters.start),
            answered_at__lt=day_start(filters.end + timedelta(days=1)),
        )
    elif scope.team_ids is not None:
        surveys = surveys.filter(ticket__team_id__in=scope.team_ids)
    return list(surveys.select_related("ticket").order_by("-answered_at", "-pk")[:limit])


def range_from(days: int) -> tuple[date, date]:
    end = today()
    return end - timedelta(days=days - 1), end
