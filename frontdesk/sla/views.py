"""SLA pages: the settings (calendars, policies, escalation rules) and the escalate action.

Views parse input, call one service and render; admins only, except escalating a ticket,
which any agent who can see the ticket may do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.desk.settings_views import SETTINGS
from frontdesk.sla.clock import WEEKDAYS
from frontdesk.sla.escalation import ticket_escalate
from frontdesk.sla.forms import CalendarForm, HolidayForm, IcalForm, PolicyForm, RuleForm
from frontdesk.sla.models import BusinessCalendar, CalendarHoliday, EscalationRule, SlaPolicy
from frontdesk.sla.services import (
    calendar_builtin,
    calendar_delete,
    calendar_holiday_add,
    calendar_holiday_remove,
    calendar_holidays_import_ical,
    calendar_save,
    policy_delete,
    policy_save,
    policy_targets_set,
    rule_delete,
    rule_save,
)
from frontdesk.tickets.selectors import ticket_can_see, ticket_get_for

ICAL_MAX_BYTES = 2 * 1024 * 1024


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(v) for v in exc.message_dict.values())
    return " ".join(exc.messages)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"settings": SETTINGS, **context}, status=status)


@require_GET
@admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    calendar_builtin()
    return _render(
        request,
        "sla/settings.html",
        {
            "calendars": BusinessCalendar.objects.prefetch_related("holiday_rows"),
            "policies": SlaPolicy.objects.select_related("calendar").prefetch_related(
                "targets", "targets__priority"
            ),
            "rules": EscalationRule.objects.select_related("policy", "reassign_team"),
        },
    )


# --- calendars --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk) if pk is not None else None
    if calendar is not None and calendar.builtin:
        return _render(request, "sla/calendar_builtin.html", {"calendar": calendar})
    initial = CalendarForm.initial_for(calendar) if calendar else {}
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = calendar_save(
                calendar=calendar,
                name=data["name"],
                time_zone=data["time_zone"].strip(),
                weekly={day: data.get(day) or "" for day in WEEKDAYS},
                country=data["country"],
                subdivision=data["subdivision"],
                holiday_categories=data["holiday_categories"] or "public",
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Calendar saved."))
            return redirect("sla:calendar_edit", pk=saved.pk)
    holidays = calendar.holiday_rows.all() if calendar else []
    return _render(
        request,
        "sla/calendar_edit.html",
        {
            "calendar": calendar,
            "form": form,
            "holidays": holidays,
            "holiday_form": HolidayForm(),
            "ical_form": IcalForm(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def calendar_holiday_create(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk, builtin=False)
    form = HolidayForm(request.POST)
    if form.is_valid():
        calendar_holiday_add(
            calendar=calendar,
            day=form.cleaned_data["date"],
            name=form.cleaned_data["name"],
            yearly=form.cleaned_data["yearly"],
        )
        messages.success(request, _("Holiday added."))
    else:
        messages.error(request, _("Give the holiday a date."))
    return redirect("sla:calendar_edit", pk=calendar.pk)


@require_POST
@admin_required
def calendar_holiday_delete(request: HttpRequest, pk: int, holiday_pk: int) -> HttpResponse:
    holiday = get_object_or_404(CalendarHoliday, pk=holiday_pk, calendar_id=pk)
    calendar_holiday_remove(holiday=holiday)
    messages.success(request, _("Holiday removed."))
    return redirect("sla:calendar_edit", pk=pk)


@require_POST
@admin_required
def calendar_ical(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk, builtin=False)
    form = IcalForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an .ics file to import."))
        return redirect("sla:calendar_edit", pk=calendar.pk)
    upload = form.cleaned_data["file"]
    if upload.size > ICAL_MAX_BYTES:
        messages.error(request, _("That file is too large for a holiday calendar."))
        return redirect("sla:calendar_edit", pk=calendar.pk)
    try:
        count = calendar_holidays_import_ical(calendar=calendar, data=upload.read())
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("%(count)s holidays imported.") % {"count": count})
    return redirect("sla:calendar_edit", pk=calendar.pk)


@require_POST
@admin_required
def calendar_remove(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    try:
        calendar_delete(calendar=calendar)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("sla:settings")
    messages.success(request, _("Calendar deleted."))
    return redirect("sla:settings")


# --- policies ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk is not None else None
    initial = PolicyForm.initial_for(policy) if policy else {"calendar": calendar_builtin().pk}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = policy_save(
                policy=policy,
                name=data["name"],
                calendar=data["calendar"],
                conditions=form.conditions(),
                pause_categories=data["pause_categories"],
                warning_percent=data["warning_percent"],
                position=data["position"],
                active=data["active"],
            )
            policy_targets_set(policy=saved, targets=form.targets())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("Policy saved. Open tickets pick it up with their next change.")
            )
            return redirect("sla:settings")
    return _render(
        request,
        "sla/policy_edit.html",
        {"policy": policy, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def policy_remove(request: HttpRequest, pk: int) -> HttpResponse:
    policy_delete(policy=get_object_or_404(SlaPolicy, pk=pk))
    messages.success(request, _("Policy deleted."))
    return redirect("sla:settings")


# --- escalation rules -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(EscalationRule, pk=pk) if pk is not None else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RuleForm.Meta.fields}
        try:
            rule_save(rule=rule, fields=fields)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Escalation rule saved."))
            return redirect("sla:settings")
    return _render(
        request,
        "sla/rule_edit.html",
        {"rule": rule, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rule_delete(rule=get_object_or_404(EscalationRule, pk=pk))
    messages.success(request, _("Escalation rule deleted."))
    return redirect("sla:settings")


# --- agents -----------------------------------------------------------------------------------


@require_POST
@agent_required
def escalate(request: HttpRequest, number: int) -> HttpResponse:
    """Hand the ticket to the next tier with the agent's reason (required)."""
    ticket = ticket_get_for(request.user, number)
    try:
        escalation = ticket_escalate(
            ticket=ticket, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        raise
    else:
        messages.success(
            request,
            _("Escalated to %(team)s with your note.") % {"team": escalation.to_team.name},
        )
        if not ticket_can_see(request.user, ticket):
            # The next tier's team owns it now and it is nobody's: back to the queues.
            return redirect("desk:home")
    return redirect("desk:ticket", number=ticket.number)


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
