"""Reporting pages: the dashboards, the report builder, exports, survey pages.

Views parse input, call one selector or service and render. Figures are scoped by
``selectors.scope_for`` (agents: their teams; supervisors and admins: all). Survey answer
pages need no sign-in: the signed token in the link is the permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.reporting import selectors, services, surveys
from frontdesk.reporting.exports import Table, table_csv, table_xlsx
from frontdesk.reporting.forms import (
    BuilderForm,
    CsatAnswerForm,
    FilterForm,
    NpsAnswerForm,
    SaveReportForm,
    SurveySettingsForm,
)
from frontdesk.reporting.metrics import MEASURES, Filters
from frontdesk.reporting.pdf import table_pdf
from frontdesk.reporting.reports import (
    ReportSpec,
    report_run,
    result_chart,
    result_table,
    spec_parse,
    value_export,
)
from frontdesk.tickets.queues import views_for
from frontdesk.tickets.selectors import ticket_get_for

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", table_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", table_xlsx),
    "pdf": ("application/pdf", table_pdf),
}
FILTER_KEYS = ("team", "channel", "ticket_type", "organization")


def _layout(request: HttpRequest, tab: str = "") -> dict[str, Any]:
    """The workspace sidebar (views; their counts load after the page) and the tab."""
    return {"views": list(views_for(request.user)), "counts_pending": True, "tab": tab}


def _dashboard_filters(request: HttpRequest) -> tuple[Filters, ReportSpec]:
    data = {k: v for k, v in request.GET.items() if k in ("days", "start", "end", *FILTER_KEYS)}
    data.setdefault("days", "30")
    try:
        spec = spec_parse({"measure": "created", **data})
    except ValidationError:
        spec = spec_parse({"measure": "created", "days": "30"})
    return spec.to_filters(), spec


def _filter_query(spec: ReportSpec) -> str:
    query = {k: v for k, v in spec.to_query().items() if k not in ("measure", "chart")}
    return urlencode(query)


@require_GET
@agent_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The supervisor dashboard: KPIs and charts for a range, live counters, agents."""
    scope = selectors.scope_for(request.user)
    filters, spec = _dashboard_filters(request)
    form = FilterForm(request.GET or None, scope=scope, initial={"days": 30})
    data = selectors.dashboard_data(filters=filters, scope=scope)
    return render(
        request,
        "reporting/supervisor.html",
        {
            **_layout(request, "dashboard"),
            **data,
            "form": form,
            "filters": filters,
            "filter_query": _filter_query(spec),
            "feedback": selectors.feedback_recent(scope=scope, filters=filters),
            "scoped": scope.team_ids is not None,
        },
    )


@require_GET
@agent_required
def live(request: HttpRequest) -> HttpResponse:
    """htmx: the live counters (polled every 30 s)."""
    scope = selectors.scope_for(request.user)
    filters, _spec = _dashboard_filters(request)
    return render(
        request,
        "reporting/_live.html",
        {
            "counters": selectors.live_counters(filters=filters, scope=scope),
            "filter_query": request.GET.urlencode(),
        },
    )


@require_GET
@agent_required
def agent_dashboard(request: HttpRequest) -> HttpResponse:
    """My queue, my SLA risks, my numbers (last 30 days)."""
    return render(
        request,
        "reporting/agent_dashboard.html",
        {**_layout(request, "agent"), **selectors.agent_numbers(user=request.user)},
    )


def _run(spec: ReportSpec, request: HttpRequest) -> dict[str, Any]:
    result = report_run(spec, selectors.scope_for(request.user))
    start, end = spec.date_range()
    table = result_table(result, str(result.measure.label))
    return {
        "result": result,
        "table": table,
        "display_rows": [
            (cells[:-1], row.value) for cells, row in zip(table.rows, result.rows, strict=True)
        ],
        "chart": None
        if spec.chart == "table"
        else result_chart(result, spec.chart, start=start, end=end),
        "spec": spec,
        "start": start,
        "end": end,
        "filter_query": urlencode(spec.to_query()),
    }


@require_GET
@agent_required
def builder(request: HttpRequest) -> HttpResponse:
    """Pick a measure, group by up to two dimensions, a range: see a chart and a table."""
    scope = selectors.scope_for(request.user)
    context: dict[str, Any] = {
        **_layout(request, "builder"),
        "saved": selectors.saved_reports_for(request.user),
    }
    initial = {"measure": "created", "group1": "day", "days": 30, "chart": "bar"}
    form = BuilderForm(request.GET or None, scope=scope, initial=initial)
    context["form"] = form
    context["measures"] = [m for m in MEASURES.values()]
    if request.GET.get("measure"):
        try:
            spec = spec_parse(request.GET)
        except ValidationError as exc:
            context["errors"] = exc.message_dict
        else:
            context.update(_run(spec, request))
            context["save_form"] = SaveReportForm()
    return render(request, "reporting/builder.html", context)


@require_POST
@agent_required
def report_save(request: HttpRequest) -> HttpResponse:
    try:
        spec = spec_parse(request.POST)
    except ValidationError as exc:
        messages.error(request, " ".join(" ".join(v) for v in exc.message_dict.values()))
        return redirect("reporting:builder")
    form = SaveReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(v) for v in form.errors.values()))
        return redirect(reverse("reporting:builder") + "?" + urlencode(spec.to_query()))
    report = services.saved_report_save(
        report=None,
        owner=request.user,
        spec=spec,
        name=form.cleaned_data["name"],
        shared=form.cleaned_data["shared"],
        schedule=form.cleaned_data["schedule"],
        recipients=form.cleaned_data["recipients"],
        attachment=form.cleaned_data["attachment"],
    )
    messages.success(request, _("Report saved."))
    return redirect("reporting:report", pk=report.pk)


@require_GET
@agent_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.saved_report_get_for(request.user, pk)
    context: dict[str, Any] = {**_layout(request, "builder"), "report": report}
    try:
        spec = spec_parse(report.spec)
    except ValidationError as exc:
        context["errors"] = exc.message_dict
    else:
        context.update(_run(spec, request))
    if report.owner_id == request.user.pk:
        context["edit_form"] = SaveReportForm(instance=report)
    return render(request, "reporting/report.html", context)


@require_POST
@agent_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.saved_report_get_for(request.user, pk)
    if report.owner_id != request.user.pk:
        raise PermissionDenied
    form = SaveReportForm(request.POST, instance=report)
    if form.is_valid():
        services.saved_report_save(
            report=report,
            owner=request.user,
            spec=None,
            name=form.cleaned_data["name"],
            shared=form.cleaned_data["shared"],
            schedule=form.cleaned_data["schedule"],
            recipients=form.cleaned_data["recipients"],
            attachment=form.cleaned_data["attachment"],
        )
        messages.success(request, _("Report saved."))
    else:
        messages.error(request, " ".join(" ".join(v) for v in form.errors.values()))
    return redirect("reporting:report", pk=pk)


@require_POST
@agent_required
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.saved_report_get_for(request.user, pk)
    services.saved_report_delete(report=report, actor=request.user)
    messages.success(request, _("Report deleted."))
    return redirect("reporting:builder")


def _download(table: Table, fmt: str, name: str) -> HttpResponse:
    if fmt not in EXPORTS:
        raise Http404("Unknown format")
    content_type, render_table = EXPORTS[fmt]
    response = HttpResponse(render_table(table), content_type=content_type)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60] or "report"
    response["Content-Disposition"] = f'attachment; filename="{safe}.{fmt}"'
    return response


@require_GET
@agent_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The builder's current table as CSV or XLSX."""
    try:
        spec = spec_parse(request.GET)
    except ValidationError as exc:
        return HttpResponse(" ".join(" ".join(v) for v in exc.message_dict.values()), status=400)
    data = _run(spec, request)
    return _download(data["table"], fmt, spec.measure)


@require_GET
@agent_required
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = selectors.saved_report_get_for(request.user, pk)
    try:
        spec = spec_parse(report.spec)
    except ValidationError as exc:
        return HttpResponse(" ".join(" ".join(v) for v in exc.message_dict.values()), status=400)
    table = _run(spec, request)["table"]
    table.title = report.name
    return _download(table, fmt, report.name)


@require_GET
@agent_required
def agents_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The dashboard's agent table as CSV or XLSX."""
    scope = selectors.scope_for(request.user)
    filters, _spec = _dashboard_filters(request)
    rows = selectors.agent_performance(filters=filters, scope=scope)
    frt, csat = MEASURES["first_response_median"], MEASURES["csat"]
    table = Table(
        title=_("Agents"),
        headers=[
            _("Agent"),
            _("Solved"),
            _("First response, median (hours)"),
            _("CSAT (%)"),
            _("SLA compliance (%)"),
            _("Open now"),
            _("Capacity"),
        ],
        rows=[
            [
                r["agent"].display_name,
                r["solved"],
                value_export(frt, r["first_response_median"]),
                value_export(csat, r["csat"]),
                value_export(csat, r["sla"]),
                r["open"],
                r["capacity"],
            ]
            for r in rows
        ],
    )
    return _download(table, fmt, "agents")


@require_http_methods(["GET", "POST"])
@admin_required
def survey_settings(request: HttpRequest) -> HttpResponse:
    current = surveys.survey_settings_get()
    form = SurveySettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reasons"}
        reasons = [x.strip() for x in form.cleaned_data["reasons"].splitlines() if x.strip()]
        try:
            surveys.survey_settings_save(**data, csat_reasons=reasons)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Survey settings saved."))
            return redirect("reporting:survey_settings")
    return render(request, "reporting/settings.html", {"form": form})


@require_http_methods(["GET", "POST"])
def csat_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The page an email rating link opens. The link's rating is pre-chosen and submitted
    by our script at once (one click); GET itself records nothing, so mail scanners that
    follow links cannot rate on the customer's behalf."""
    try:
        survey = surveys.csat_survey_from_token(token)
    except surveys.SurveyLinkInvalid:
        return render(request, "reporting/survey_invalid.html", status=404)
    config = surveys.survey_settings_get()
    ratings = surveys.rating_choices(survey.scale)
    state = surveys.csat_answer_state(survey)
    initial: dict[str, Any] = {
        "rating": survey.rating,
        "reason": survey.reason,
        "comment": survey.comment,
    }
    preset = request.GET.get("rating")
    autosubmit = False
    if request.method == "GET" and preset is not None and state.can_change:
        try:
            chosen = int(preset)
        except ValueError:
            chosen = None
        if chosen in {v for v, _l in ratings} and chosen != survey.rating:
            initial["rating"] = chosen
            autosubmit = survey.answered_at is None
    form = CsatAnswerForm(
        request.POST or None, initial=initial, ratings=ratings, reasons=config.csat_reasons
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.csat_answer(
                survey=survey,
                rating=form.cleaned_data["rating"],
                reason=form.cleaned_data.get("reason", ""),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            saved = True
            state = surveys.csat_answer_state(survey)
    return render(
        request,
        "reporting/survey_csat.html",
        {
            "survey": survey,
            "form": form,
            "state": state,
            "saved": saved,
            "autosubmit": autosubmit,
        },
        status=400 if request.method == "POST" and not saved else 200,
    )


@require_http_methods(["GET", "POST"])
def nps_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = surveys.nps_survey_from_token(token)
    except surveys.SurveyLinkInvalid:
        return render(request, "reporting/survey_invalid.html", status=404)
    initial: dict[str, Any] = {"score": survey.score, "comment": survey.comment}
    preset = request.GET.get("score", "")
    if request.method == "GET" and preset.isdigit() and 0 <= int(preset) <= 10:
        initial["score"] = int(preset)
    form = NpsAnswerForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        survey = surveys.nps_answer(
            survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
        )
        saved = True
    return render(
        request, "reporting/survey_nps.html", {"survey": survey, "form": form, "saved": saved}
    )


@require_POST
def csat_portal(request: HttpRequest, number: int) -> HttpResponse:
    """The portal prompt's answer: the signed-in requester rates their solved request."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    ticket = ticket_get_for(request.user, number)
    if ticket.requester_id != request.user.pk:
        raise PermissionDenied
    survey = surveys.csat_survey_ensure(ticket=ticket)
    if survey is None:
        return HttpResponse(_("This request is not solved yet."), status=400)
    config = surveys.survey_settings_get()
    form = CsatAnswerForm(
        request.POST, ratings=surveys.rating_choices(survey.scale), reasons=config.csat_reasons
    )
    if not form.is_valid():
        return HttpResponse(_("Choose one of the ratings."), status=400)
    try:
        surveys.csat_answer(
            survey=survey,
            rating=form.cleaned_data["rating"],
            reason=form.cleaned_data.get("reason", ""),
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you for your feedback."))
    next_url = request.POST.get("next", "")
    # Back to the page the prompt was on; only a path on this site ("/\\evil" and
    # "//evil" are other sites to a browser).
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("home")
