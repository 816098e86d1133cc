"""Settings forms for calendars, policies (with their target grid) and escalation rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team
from frontdesk.customers.models import Organization
from frontdesk.sla.clock import WEEKDAYS
from frontdesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy, TargetKind
from frontdesk.tickets.models import Channel, Priority, StatusCategory, TicketType

DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
PAUSABLE_CATEGORIES = [
    (StatusCategory.PENDING.value, StatusCategory.PENDING.label),
    (StatusCategory.ON_HOLD.value, StatusCategory.ON_HOLD.label),
    (StatusCategory.NEW.value, StatusCategory.NEW.label),
]


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="Europe/Stockholm",
        help_text=_("A name from the time-zone database, e.g. Europe/Stockholm."),
    )
    country = forms.CharField(
        label=_("Public holidays of"),
        max_length=2,
        required=False,
        help_text=_("A country code such as SE or US (the holidays package); empty: none."),
    )
    subdivision = forms.CharField(label=_("Region"), max_length=10, required=False)
    holiday_categories = forms.CharField(
        label=_("Holiday categories"),
        max_length=100,
        required=False,
        initial="public",
        help_text=_("Comma-separated, e.g. public, de_facto (Christmas Eve in Sweden)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[day] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                help_text=_("e.g. 08:00-12:00, 13:00-17:00; 22:00-06:00 runs past midnight"),
            )

    @classmethod
    def initial_for(cls, calendar: BusinessCalendar) -> dict[str, Any]:
        return {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            "holiday_categories": calendar.holiday_categories,
            **{day: (calendar.weekly or {}).get(day, "") for day in WEEKDAYS},
        }


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    yearly = forms.BooleanField(label=_("Every year"), required=False)


class IcalForm(forms.Form):
    file = forms.FileField(label=_("iCalendar file (.ics)"))


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        initial=10,
        help_text=_("Policies are tried in this order; the first that matches applies."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    calendar = forms.ModelChoiceField(
        label=_("Business hours"), queryset=BusinessCalendar.objects.all(), empty_label=None
    )
    pause_categories = forms.MultipleChoiceField(
        label=_("Statuses that pause resolution and periodic updates"),
        choices=PAUSABLE_CATEGORIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[StatusCategory.PENDING.value, StatusCategory.ON_HOLD.value],
    )
    warning_percent = forms.IntegerField(
        label=_("Warn at (% of each target)"),
        min_value=0,
        max_value=99,
        initial=75,
        help_text=_("0: no warnings."),
    )
    priority = forms.MultipleChoiceField(
        label=_("Priority is"), required=False, widget=forms.CheckboxSelectMultiple
    )
    ticket_type = forms.MultipleChoiceField(
        label=_("Type is"), required=False, widget=forms.CheckboxSelectMultiple
    )
    organization = forms.ModelMultipleChoiceField(
        label=_("Organization is"), queryset=Organization.objects.all(), required=False
    )
    requester_group = forms.CharField(
        label=_("Requester is in group"),
        required=False,
        help_text=_("Group names, comma-separated."),
    )
    team = forms.ModelMultipleChoiceField(
        label=_("Team is"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel is"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = forms.CharField(
        label=_("Has a tag"), required=False, help_text=_("Tags, comma-separated (any of them).")
    )

    POLICY_FIELDS = (
        "name",
        "position",
        "active",
        "calendar",
        "pause_categories",
        "warning_percent",
    )
    CONDITION_FIELDS = (
        "priority",
        "ticket_type",
        "organization",
        "requester_group",
        "team",
        "channel",
        "tag",
    )

    @property
    def policy_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.POLICY_FIELDS]

    @property
    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONDITION_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priorities = list(Priority.objects.order_by("-rank"))
        self.fields["priority"].choices = [(p.slug, p.label) for p in self.priorities]
        self.fields["ticket_type"].choices = [
            (t.slug, t.label) for t in TicketType.objects.filter(active=True)
        ]
        self.grid: list[tuple[Priority, list[tuple[str, forms.BoundField, forms.BoundField]]]] = []
        for priority in self.priorities:
            cells = []
            for kind, label in TargetKind.choices:
                minutes = f"t_{priority.pk}_{kind}"
                business = f"b_{priority.pk}_{kind}"
                self.fields[minutes] = forms.IntegerField(
                    label=f"{priority.label}: {label}", min_value=1, required=False
                )
                self.fields[business] = forms.BooleanField(
                    label=_("business hours"), required=False, initial=True
                )
                cells.append((str(label), self[minutes], self[business]))
            self.grid.append((priority, cells))

    @classmethod
    def initial_for(cls, policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": policy.name,
            "position": policy.position,
            "active": policy.active,
            "calendar": policy.calendar_id,
            "pause_categories": policy.pause_categories,
            "warning_percent": policy.warning_percent,
        }
        for condition in policy.conditions or []:
            name, values = condition.get("field"), condition.get("values") or []
            if name in ("requester_group", "tag"):
                initial[name] = ", ".join(str(v) for v in values)
            else:
                initial[name] = values
        for target in policy.targets.all():
            initial[f"t_{target.priority_id}_{target.kind}"] = target.minutes
            initial[f"b_{target.priority_id}_{target.kind}"] = target.business_hours
        return initial

    def conditions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        out: list[dict[str, Any]] = [
            {"field": name, "values": list(data[name])}
            for name in ("priority", "ticket_type", "channel")
            if data.get(name)
        ]
        out.extend(
            {"field": name, "values": [o.pk for o in data[name]]}
            for name in ("organization", "team")
            if data.get(name)
        )
        if _split(data.get("requester_group", "")):
            out.append({"field": "requester_group", "values": _split(data["requester_group"])})
        if _split(data.get("tag", "")):
            tags = [t.lower().replace(" ", "-") for t in _split(data["tag"])]
            out.append({"field": "tag", "values": tags})
        return out

    def targets(self) -> dict[tuple[int, str], tuple[int | None, bool]]:
        data = self.cleaned_data
        return {
            (p.pk, kind): (data.get(f"t_{p.pk}_{kind}"), bool(data.get(f"b_{p.pk}_{kind}")))
            for p in self.priorities
            for kind in TargetKind.values
        }

    def clean_requester_group(self) -> str:
        names = _split(self.cleaned_data.get("requester_group", ""))
        unknown = set(names) - set(
            Group.objects.filter(name__in=names).values_list("name", flat=True)
        )
        if unknown:
            raise forms.ValidationError(
                _("No such group: %(names)s") % {"names": ", ".join(sorted(unknown))}
            )
        return ", ".join(names)


class RuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        fields = (
            "name",
            "position",
            "active",
            "trigger",
            "policy",
            "target",
            "reassign_team",
            "raise_priority",
            "add_tag",
            "notify_assignee",
            "notify_team_lead",
            "notify_supervisors",
        )
