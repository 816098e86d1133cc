"""Forms of the reporting pages: dashboard filters, the report builder, survey settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.customers.models import Organization
from frontdesk.reporting.dimensions import DIMENSIONS
from frontdesk.reporting.metrics import Scope, measures_available
from frontdesk.reporting.models import SavedReport, SurveySettings
from frontdesk.reporting.reports import CHARTS, RANGES
from frontdesk.reporting.selectors import agents_in, teams_for
from frontdesk.tickets.models import Channel, Priority, TicketType

ANY = [("", _("All"))]


def _choices(queryset: Any, attr: str = "name") -> list[tuple[str, str]]:
    return [(str(o.pk), str(getattr(o, attr))) for o in queryset]


class FilterForm(forms.Form):
    """Range and slice of the dashboards; state lives in the URL (bookmarkable)."""

    days = forms.TypedChoiceField(
        label=_("Range"), coerce=int, required=False, choices=[(k, v) for k, v in RANGES.items()]
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=ANY + list(Channel.choices)
    )
    ticket_type = forms.ChoiceField(label=_("Type"), required=False)
    organization = forms.ChoiceField(label=_("Organization"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = ANY + _choices(teams_for(scope))
        self.fields["ticket_type"].choices = ANY + _choices(TicketType.objects.all(), "label")
        self.fields["organization"].choices = ANY + _choices(
            Organization.objects.order_by("name")[:1000]
        )


class BuilderForm(FilterForm):
    measure = forms.ChoiceField(label=_("Measure"))
    group1 = forms.ChoiceField(label=_("Group by"), required=False)
    group2 = forms.ChoiceField(label=_("Then by"), required=False)
    chart = forms.ChoiceField(label=_("Show as"), choices=list(CHARTS.items()))
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    field_order = [
        "measure",
        "group1",
        "group2",
        "chart",
        "days",
        "start",
        "end",
        "team",
        "channel",
        "ticket_type",
        "priority",
        "organization",
        "assignee",
    ]

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, scope=scope, **kwargs)
        self.fields["measure"].choices = [(m.key, m.label) for m in measures_available()]
        dims = [("", _("(nothing)"))] + [(k, d.label) for k, d in DIMENSIONS.items()]
        self.fields["group1"].choices = dims
        self.fields["group2"].choices = dims
        self.fields["priority"].choices = ANY + _choices(Priority.objects.all(), "label")
        self.fields["assignee"].choices = ANY + _choices(agents_in(scope), "display_name")


class SaveReportForm(forms.ModelForm):
    class Meta:
        model = SavedReport
        fields = ["name", "shared", "schedule", "attachment", "recipients"]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only scheduled reports are attached to anything: CSV unless PDF is chosen.
        self.fields["attachment"].required = False

    def clean_attachment(self) -> str:
        return self.cleaned_data.get("attachment") or "csv"

    def clean_recipients(self) -> str:
        from django.core.validators import validate_email

        lines = [x.strip() for x in self.cleaned_data["recipients"].replace(",", "\n").splitlines()]
        emails = [x for x in lines if x]
        for email in emails:
            validate_email(email)
        return "\n".join(emails)


class SurveySettingsForm(forms.ModelForm):
    reasons = forms.CharField(
        label=_("Reasons to choose from"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line; the customer may pick one with their rating."),
    )

    class Meta:
        model = SurveySettings
        fields = [
            "csat_enabled",
            "csat_scale",
            "csat_change_hours",
            "nps_enabled",
            "nps_interval_days",
            "nps_sample_percent",
            "agent_capacity",
        ]

    field_order = [
        "csat_enabled",
        "csat_scale",
        "reasons",
        "csat_change_hours",
        "nps_enabled",
        "nps_interval_days",
        "nps_sample_percent",
        "agent_capacity",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].initial = "\n".join(self.instance.csat_reasons or [])


class CsatAnswerForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), coerce=int, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("What was the main reason?"), required=False)
    comment = forms.CharField(
        label=_("Anything else you'd like to tell us?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    def __init__(self, *args: Any, ratings: list, reasons: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = ratings
        self.fields["reason"].choices = [("", _("(choose one, optional)"))] + [
            (r, r) for r in reasons
        ]
        if not reasons:
            del self.fields["reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The survey page shows errors above the form: name the field a problem is in.
        for name in ("reason", "comment"):
            for error in self.errors.get(name, []):
                self.add_error(None, f"{self.fields[name].label} {error}")
        return cleaned


class NpsAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(11)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What is the main reason for your score?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
