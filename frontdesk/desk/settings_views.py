"""Admin settings pages for the things admins change most: one declarative registry.

Each entry names a model, the form fields admins edit and the service that saves it.
Rarely used settings stay in the Django admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.services import team_save, team_set_members, user_create, user_update
from frontdesk.customers.models import Organization
from frontdesk.customers.services import organization_save
from frontdesk.desk.permissions import admin_required
from frontdesk.tickets.models import (
    CustomField,
    Level,
    Macro,
    Priority,
    PriorityMatrixCell,
    Status,
    TicketType,
)
from frontdesk.tickets.services import config_record_save, priority_matrix_set


@dataclass(frozen=True)
class Setting:
    title: Any
    model: type[models.Model]
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    save: Callable[[forms.ModelForm, models.Model | None], models.Model]
    queryset: Callable[[], Any] | None = None


def _config_save(form: forms.ModelForm, instance: models.Model | None) -> models.Model:
    data = form.cleaned_data
    many = {
        n: data[n]
        for n in form.fields
        if isinstance(form.fields[n], forms.ModelMultipleChoiceField)
    }
    plain = {n: v for n, v in data.items() if n not in many}
    return config_record_save(instance=instance or form._meta.model(), fields=plain, many=many)


def _team_save(form: forms.ModelForm, instance: models.Model | None) -> models.Model:
    data = form.cleaned_data
    team = team_save(
        team=instance,
        name=data["name"],
        tier=data["tier"],
        escalates_to=data["escalates_to"],
        email=data["email"],
    )
    team_set_members(team=team, members=list(data["members"]))
    return team


def _agent_save(form: forms.ModelForm, instance: models.Model | None) -> models.Model:
    data = form.cleaned_data
    if instance is None:
        return user_create(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            language=data["language"],
        )
    return user_update(
        user=instance,
        first_name=data["first_name"],
        last_name=data["last_name"],
        role=data["role"],
        language=data["language"],
        is_active=data["is_active"],
    )


def _organization_save(form: forms.ModelForm, instance: models.Model | None) -> models.Model:
    data = form.cleaned_data
    return organization_save(
        organization=instance,
        name=data["name"],
        notes=data["notes"],
        domains=data.get("domain_list", "").split(","),
    )


SETTINGS: dict[str, Setting] = {
    "teams": Setting(
        gettext_lazy("Teams"),
        Team,
        ("name", "tier", "escalates_to", "email"),
        ("name", "tier", "escalates_to"),
        _team_save,
    ),
    "agents": Setting(
        gettext_lazy("Agents"),
        User,
        ("email", "first_name", "last_name", "role", "language", "is_active"),
        ("email", "first_name", "last_name", "role", "is_active"),
        _agent_save,
        lambda: User.objects.exclude(role=Role.CUSTOMER).order_by("email"),
    ),
    "statuses": Setting(
        gettext_lazy("Statuses"),
        Status,
        ("name", "slug", "category", "position", "is_default", "active"),
        ("name", "category", "is_default", "active"),
        _config_save,
    ),
    "types": Setting(
        gettext_lazy("Ticket types"),
        TicketType,
        ("name", "slug", "description", "position", "customer_can_choose", "active"),
        ("name", "slug", "customer_can_choose", "active"),
        _config_save,
    ),
    "priorities": Setting(
        gettext_lazy("Priorities"),
        Priority,
        ("name", "slug", "rank", "color"),
        ("name", "slug", "rank"),
        _config_save,
    ),
    "custom-fields": Setting(
        gettext_lazy("Custom fields"),
        CustomField,
        (
            "key",
            "label",
            "field_type",
            "choices",
            "ticket_types",
            "required_on_solve",
            "customer_visible",
            "help_text",
            "position",
            "active",
        ),
        ("label", "key", "field_type", "required_on_solve", "active"),
        _config_save,
    ),
    "macros": Setting(
        gettext_lazy("Macros"),
        Macro,
        ("name", "body", "kind", "actions", "active"),
        ("name", "kind", "usage_count", "active"),
        _config_save,
        lambda: Macro.objects.filter(owner__isnull=True),
    ),
    "organizations": Setting(
        gettext_lazy("Organizations"),
        Organization,
        ("name", "notes"),
        ("name",),
        _organization_save,
    ),
}


def _setting(kind: str) -> Setting:
    setting = SETTINGS.get(kind)
    if setting is None:
        raise Http404("No such settings page")
    return setting


def _form_class(kind: str, setting: Setting) -> type[forms.ModelForm]:
    extra: dict[str, Any] = {}
    if kind == "teams":
        extra["members"] = forms.ModelMultipleChoiceField(
            queryset=User.objects.exclude(role=Role.CUSTOMER),
            required=False,
            label=_("Members"),
            widget=forms.CheckboxSelectMultiple,
        )
    if kind == "organizations":
        extra["domain_list"] = forms.CharField(
            required=False, label=_("Email domains"), help_text=_("Comma-separated, e.g. acme.com")
        )
    if kind == "agents":
        extra["role"] = forms.ChoiceField(
            choices=[c for c in Role.choices if c[0] != Role.CUSTOMER], label=_("Role")
        )
    meta = type("Meta", (), {"model": setting.model, "fields": setting.fields})
    return type(
        f"{setting.model.__name__}SettingsForm", (forms.ModelForm,), {"Meta": meta, **extra}
    )


@require_GET
@admin_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/settings/index.html", {"settings": SETTINGS})


@require_GET
@admin_required
def object_list(request: HttpRequest, kind: str) -> HttpResponse:
    setting = _setting(kind)
    queryset = setting.queryset() if setting.queryset else setting.model.objects.all()
    rows = [(obj, [getattr(obj, c) for c in setting.columns]) for obj in queryset]
    headers = [setting.model._meta.get_field(c).verbose_name for c in setting.columns]
    return render(
        request,
        "desk/settings/list.html",
        {"kind": kind, "setting": setting, "rows": rows, "headers": headers, "settings": SETTINGS},
    )


@require_http_methods(["GET", "POST"])
@admin_required
def object_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    setting = _setting(kind)
    queryset = setting.queryset() if setting.queryset else setting.model.objects.all()
    instance = get_object_or_404(queryset, pk=pk) if pk is not None else None
    form_class = _form_class(kind, setting)
    initial = {}
    if kind == "teams" and instance is not None:
        initial["members"] = list(instance.members.all())
    if kind == "organizations" and instance is not None:
        initial["domain_list"] = ", ".join(instance.domains.values_list("domain", flat=True))
    form = form_class(request.POST or None, instance=instance, initial=initial)
    if kind == "agents" and instance is not None:
        form.fields["email"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            setting.save(form, instance)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("desk:settings_list", kind=kind)
    return render(
        request,
        "desk/settings/edit.html",
        {
            "kind": kind,
            "setting": setting,
            "form": form,
            "instance": instance,
            "settings": SETTINGS,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def priority_matrix(request: HttpRequest) -> HttpResponse:
    """Urgency x impact -> priority, edited as a grid."""
    priorities = list(Priority.objects.order_by("rank"))
    by_slug = {p.slug: p for p in priorities}
    cells = {
        (c.urgency, c.impact): c.priority
        for c in PriorityMatrixCell.objects.select_related("priority")
    }
    if request.method == "POST":
        chosen = {}
        for urgency in Level.values:
            for impact in Level.values:
                slug = request.POST.get(f"{urgency}__{impact}", "")
                if slug not in by_slug:
                    messages.error(request, _("Choose a priority for every cell."))
                    return redirect("desk:priority_matrix")
                chosen[(urgency, impact)] = by_slug[slug]
        priority_matrix_set(cells=chosen)
        messages.success(request, _("Priority matrix saved; open tickets were recomputed."))
        return redirect("desk:priority_matrix")
    grid = [
        (label, urgency, [(impact, cells.get((urgency, impact))) for impact in Level.values])
        for urgency, label in Level.choices
    ]
    return render(
        request,
        "desk/settings/matrix.html",
        {"grid": grid, "levels": Level.choices, "priorities": priorities, "settings": SETTINGS},
    )
