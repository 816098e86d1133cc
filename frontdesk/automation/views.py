"""Automation pages: rules, time rules, routing and agent profiles (admins); an agent's own
availability. Views parse input, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import ValidationError as FormError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.models import Role, Team, User
from frontdesk.automation.actions import PLACEHOLDERS
from frontdesk.automation.forms import (
    AgentProfileForm,
    AvailabilityForm,
    EmailTemplateForm,
    TimeRuleForm,
    TriggerForm,
    actions_from_post,
    conditions_from_post,
    editor_context,
    template_texts_from_post,
)
from frontdesk.automation.models import (
    AgentProfile,
    EmailTemplate,
    RoutingMode,
    TeamRouting,
    TimeRule,
    Trigger,
)
from frontdesk.automation.selectors import trigger_preview
from frontdesk.automation.services import (
    agent_profile_save,
    email_template_delete,
    email_template_save,
    email_template_users,
    profile_for,
    team_routing_save,
    time_rule_delete,
    time_rule_save,
    trigger_delete,
    trigger_save,
)
from frontdesk.automation.timerules import time_rule_preview
from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.desk.settings_views import SETTINGS


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"settings": SETTINGS, **context}, status=status)


def _problems(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for v in exc.message_dict.values() for m in v]
    return list(exc.messages)


@admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    teams = list(Team.objects.order_by("tier", "name"))
    routing = {r.team_id: r for r in TeamRouting.objects.all()}
    agents = list(User.objects.exclude(role=Role.CUSTOMER).filter(is_active=True).order_by("email"))
    profiles = {p.user_id: p for p in AgentProfile.objects.filter(user__in=agents)}
    return _render(
        request,
        "automation/settings.html",
        {
            "triggers": Trigger.objects.all(),
            "time_rules": TimeRule.objects.all(),
            "teams": [(t, routing.get(t.pk)) for t in teams],
            "modes": RoutingMode.choices,
            "agents": [(a, profiles.get(a.pk)) for a in agents],
        },
    )


def _rule_page(
    request: HttpRequest,
    *,
    rule: Trigger | TimeRule | None,
    form_class: type,
    save: Any,
    template: str,
    preview: Any,
    initial: dict[str, Any],
    edit_name: str,
) -> HttpResponse:
    form = form_class(request.POST or None, initial=initial)
    conditions = rule.conditions if rule else {}
    actions = rule.actions if rule else []
    problems: list[str] = []
    matches = None
    if request.method == "POST":
        try:
            conditions = conditions_from_post(request.POST)
        except FormError as exc:
            problems += exc.messages
        actions = actions_from_post(request.POST)
        if form.is_valid() and not problems:
            fields = {**form.cleaned_data, "conditions": conditions, "actions": actions}
            if "preview" in request.POST:
                matches = preview(fields)
            else:
                try:
                    saved = save(rule, fields)
                except ValidationError as exc:
                    problems += _problems(exc)
                else:
                    messages.success(request, _("Rule saved."))
                    return redirect(edit_name, pk=saved.pk)
    elif rule is not None:
        matches = preview({"conditions": conditions, "event": getattr(rule, "event", "")})
    return _render(
        request,
        template,
        {
            "rule": rule,
            "form": form,
            "problems": problems,
            "matches": matches,
            **editor_context(conditions, actions),
        },
        status=400 if problems or form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def trigger_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(Trigger, pk=pk) if pk is not None else None
    initial = (
        {
            "name": rule.name,
            "description": rule.description,
            "event": rule.event,
            "position": rule.position,
            "active": rule.active,
        }
        if rule
        else {"active": True, "position": 0}
    )

    def save(rule: Trigger | None, fields: dict[str, Any]) -> Trigger:
        return trigger_save(trigger=rule, fields=fields)

    def preview(fields: dict[str, Any]) -> list[Any]:
        return trigger_preview(conditions=fields.get("conditions"), event=fields.get("event", ""))

    response = _rule_page(
        request,
        rule=rule,
        form_class=TriggerForm,
        save=save,
        template="automation/trigger_edit.html",
        preview=preview,
        initial=initial,
        edit_name="automation:trigger_edit",
    )
    return response


@require_POST
@admin_required
def trigger_remove(request: HttpRequest, pk: int) -> HttpResponse:
    trigger_delete(trigger=get_object_or_404(Trigger, pk=pk))
    messages.success(request, _("Rule deleted."))
    return redirect("automation:settings")


@require_http_methods(["GET", "POST"])
@admin_required
def time_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(TimeRule, pk=pk) if pk is not None else None
    initial = (
        {
            "name": rule.name,
            "status_category": rule.status_category,
            "since": rule.since,
            "hours": rule.hours,
            "position": rule.position,
            "active": rule.active,
        }
        if rule
        else {"active": True, "position": 0, "hours": 96, "since": "updated_at"}
    )

    def save(rule: TimeRule | None, fields: dict[str, Any]) -> TimeRule:
        return time_rule_save(rule=rule, fields=fields)

    def preview(fields: dict[str, Any]) -> list[Any]:
        probe = TimeRule(
            pk=rule.pk if rule else 0,
            status_category=fields.get("status_category", rule.status_category if rule else ""),
            since=fields.get("since", rule.since if rule else "updated_at"),
            hours=fields.get("hours", rule.hours if rule else 24),
            conditions=fields.get("conditions") or {},
        )
        return time_rule_preview(probe)

    response = _rule_page(
        request,
        rule=rule,
        form_class=TimeRuleForm,
        save=save,
        template="automation/time_rule_edit.html",
        preview=preview,
        initial=initial,
        edit_name="automation:time_rule_edit",
    )
    return response


@require_POST
@admin_required
def time_rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    time_rule_delete(rule=get_object_or_404(TimeRule, pk=pk))
    messages.success(request, _("Rule deleted."))
    return redirect("automation:settings")


@require_POST
@admin_required
def team_routing(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    try:
        team_routing_save(
            team=team,
            mode=request.POST.get("mode", ""),
            reassign_unavailable=bool(request.POST.get("reassign_unavailable")),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(_problems(exc)))
    else:
        messages.success(request, _("Routing of %(team)s saved.") % {"team": team.name})
    return redirect("automation:settings")


@require_http_methods(["GET", "POST"])
@admin_required
def agent_profile(request: HttpRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(User.objects.exclude(role=Role.CUSTOMER), pk=pk)
    profile = profile_for(agent)
    form = AgentProfileForm(
        request.POST or None,
        initial={"capacity": profile.capacity, "skills": ", ".join(profile.skills or [])},
    )
    if request.method == "POST" and form.is_valid():
        agent_profile_save(
            user=agent,
            capacity=form.cleaned_data["capacity"],
            skills=form.cleaned_data["skills"].split(","),
        )
        messages.success(request, _("Saved."))
        return redirect("automation:settings")
    return _render(
        request,
        "automation/agent_profile.html",
        {"agent": agent, "profile": profile, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@agent_required
def me(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request.user)
    form = AvailabilityForm(
        request.POST or None,
        initial={
            "availability": profile.availability,
            "away_from": profile.away_from,
            "away_until": profile.away_until,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            agent_profile_save(
                user=request.user,
                availability=form.cleaned_data["availability"],
                away_from=form.cleaned_data["away_from"],
                away_until=form.cleaned_data["away_until"],
                dates_given=True,
            )
        except ValidationError as exc:
            for message in _problems(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Your availability is saved."))
            return redirect("automation:me")
    return render(
        request,
        "automation/me.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )


@require_GET
@admin_required
def email_templates(request: HttpRequest) -> HttpResponse:
    templates = list(EmailTemplate.objects.all())
    languages = django_settings.LANGUAGES
    rows = [(t, [name for code, name in languages if code in (t.texts or {})]) for t in templates]
    return _render(request, "automation/email_templates.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@admin_required
def email_template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk) if pk is not None else None
    initial = {"name": template.name, "description": template.description} if template else {}
    form = EmailTemplateForm(request.POST or None, initial=initial)
    texts = template.texts if template else {}
    problems: list[str] = []
    if request.method == "POST":
        texts = template_texts_from_post(request.POST)
        if form.is_valid():
            try:
                saved = email_template_save(
                    template=template,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    texts=texts,
                )
            except ValidationError as exc:
                problems = _problems(exc)
            else:
                messages.success(request, _("Email template saved."))
                return redirect("automation:email_template_edit", pk=saved.pk)
    languages = [
        (code, label, (texts or {}).get(code) or {}) for code, label in django_settings.LANGUAGES
    ]
    return _render(
        request,
        "automation/email_template_edit.html",
        {
            "template": template,
            "form": form,
            "languages": languages,
            "problems": problems,
            "placeholders": PLACEHOLDERS,
            "used_by": email_template_users(template=template) if template else [],
        },
        status=400 if problems or form.errors else 200,
    )


@require_POST
@admin_required
def email_template_remove(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(EmailTemplate, pk=pk)
    try:
        email_template_delete(template=template)
    except ValidationError as exc:
        messages.error(request, " ".join(_problems(exc)))
        return redirect("automation:email_template_edit", pk=template.pk)
    messages.success(request, _("Email template deleted."))
    return redirect("automation:email_templates")
