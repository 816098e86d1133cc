"""Forms of the customer portal: they parse what a customer typed; services decide."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontdesk.tickets.forms import MultipleFileField, custom_form_field
from frontdesk.tickets.models import CustomField, Level, TicketType
from frontdesk.tickets.selectors import custom_fields_for

URGENCY_CHOICES = [
    (Level.LOW.value, _("Low: it can wait")),
    (Level.MEDIUM.value, _("Medium: it slows me down")),
    (Level.HIGH.value, _("High: I cannot work")),
]


def customer_types() -> list[TicketType]:
    return list(TicketType.objects.filter(active=True, customer_can_choose=True))


def customer_fields_for(ticket_type: TicketType | None) -> list[CustomField]:
    """Fields a customer fills in for this type."""
    if ticket_type is None:
        return []
    return custom_fields_for(ticket_type, customer_visible_only=True)


class RequestForm(forms.Form):
    """A new request: the chosen type decides which extra fields are asked."""

    type = forms.ModelChoiceField(
        queryset=TicketType.objects.filter(active=True, customer_can_choose=True),
        to_field_name="slug",
        label=_("What do you need help with?"),
        empty_label=None,
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=250,
        help_text=_("A few words, e.g. “Cannot print from my laptop”."),
    )
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, what you expected, and anything you already tried."),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it for you?"),
        choices=URGENCY_CHOICES,
        initial=Level.MEDIUM,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Screenshots or documents that help explain it."),
    )

    def __init__(self, *args: Any, ticket_type: TicketType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # With htmx, choosing another type swaps in that type's questions; without it the
        # choice still counts when the form is sent.
        self.fields["type"].widget.attrs.update(
            {
                "hx-get": reverse("portal:request_new"),
                "hx-trigger": "change",
                "hx-target": "#type-fields",
                "hx-swap": "innerHTML",
            }
        )
        self.custom_field_names: list[str] = []
        for definition in customer_fields_for(ticket_type):
            name = f"cf_{definition.key}"
            self.fields[name] = custom_form_field(definition, mark_required_on_solve=False)
            self.custom_field_names.append(name)

    @property
    def custom_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_field_names]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("subject", "body", "urgency", "attachments")]

    def custom_values(self) -> dict[str, Any]:
        """Only what the customer filled in: an untouched field says nothing."""
        values = {}
        for name in self.custom_field_names:
            value = self.cleaned_data.get(name)
            if value in (None, "", [], False):
                continue
            values[name[3:]] = value
        return values


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)


@cache
def _time_zones() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(zoneinfo.available_timezones())
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    ]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The language of my browser")),
            *settings.LANGUAGES,
        ]
        self.fields["timezone"].choices = [
            ("", _("Default (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            *_time_zones(),
        ]
