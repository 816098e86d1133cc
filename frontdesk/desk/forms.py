"""Forms of the agent workspace: they parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team, User
from frontdesk.tickets.catalog import catalog
from frontdesk.tickets.forms import MultipleFileField, custom_form_field
from frontdesk.tickets.models import (
    CustomField,
    Level,
    Macro,
    MessageKind,
    Priority,
    Status,
    StatusCategory,
    TicketType,
)


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=MessageKind.choices, initial=MessageKind.PUBLIC, widget=forms.RadioSelect
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea, required=False)
    status = forms.ModelChoiceField(
        queryset=Status.objects.filter(active=True),
        required=False,
        label=_("Then set status"),
        empty_label=_("(keep status)"),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    macro = forms.ModelChoiceField(
        queryset=Macro.objects.filter(active=True), required=False, widget=forms.HiddenInput
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def agent_choices() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(
            role__in=["agent", "supervisor", "admin"], is_active=True
        ).order_by("first_name", "email"),
        required=False,
        label=_("Assignee"),
        empty_label=_("(unassigned)"),
    )


def model_choices(field: forms.ModelChoiceField, rows: list[Any]) -> list[tuple[Any, Any]]:
    """What iterating ``field.choices`` gives (``ModelChoiceIterator``), for rows at hand."""
    choices: list[tuple[Any, Any]] = []
    if field.empty_label is not None:
        choices.append(("", field.empty_label))
    for row in rows:
        value = ModelChoiceIteratorValue(field.prepare_value(row), row)
        choices.append((value, field.label_from_instance(row)))
    return choices


class PropertiesForm(forms.Form):
    """The ticket's editable properties; custom fields are added per ticket type."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    ticket_type = forms.ModelChoiceField(
        queryset=TicketType.objects.filter(active=True), label=_("Type"), empty_label=None
    )
    status = forms.ModelChoiceField(
        queryset=Status.objects.filter(active=True), label=_("Status"), empty_label=None
    )
    urgency = forms.ChoiceField(choices=Level.choices, label=_("Urgency"))
    impact = forms.ChoiceField(choices=Level.choices, label=_("Impact"))
    priority = forms.ModelChoiceField(
        queryset=Priority.objects.all(),
        required=False,
        label=_("Priority"),
        empty_label=_("(from urgency and impact)"),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Team"), empty_label=_("(no team)")
    )
    assignee = agent_choices()
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas.")
    )
    cc = forms.CharField(
        label=_("CC"), required=False, help_text=_("Email addresses, separated by commas.")
    )
    due_at = forms.DateTimeField(
        label=_("Due"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: object, custom_fields: list[CustomField] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        # Evaluate each choice list once per page, not once per time it is rendered; types,
        # statuses and priorities come from the process's copy of the configuration.
        rows = catalog()
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                known = rows.choices_for(name)
                field.widget.choices = (
                    list(iter(field.choices))  # iter: no COUNT query
                    if known is None
                    else model_choices(field, known)
                )
        self.custom_field_names = []
        for definition in custom_fields or []:
            name = f"cf_{definition.key}"
            self.fields[name] = custom_form_field(definition, mark_required_on_solve=True)
            self.custom_field_names.append(name)

    def clean_cc(self) -> list[str]:
        from django.core.validators import validate_email

        emails = [e.strip().lower() for e in self.cleaned_data["cc"].split(",") if e.strip()]
        for email in emails:
            try:
                validate_email(email)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("“%(email)s” is not an email address.") % {"email": email}
                ) from exc
        return emails

    def custom_values(self) -> dict[str, object]:
        return {name[3:]: self.cleaned_data.get(name) for name in self.custom_field_names}


class NewTicketForm(forms.Form):
    requester = forms.EmailField(label=_("Requester email"))
    requester_name = forms.CharField(label=_("Requester name"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            ("phone", _("Phone")),
            ("email", _("Email")),
            ("chat", _("Chat")),
            ("sms", _("SMS")),
            ("whatsapp", _("WhatsApp")),
            ("agent", _("Agent")),
        ],
        initial="phone",
    )
    ticket_type = forms.ModelChoiceField(
        queryset=TicketType.objects.filter(active=True), label=_("Type"), empty_label=None
    )
    urgency = forms.ChoiceField(choices=Level.choices, label=_("Urgency"), initial="medium")
    impact = forms.ChoiceField(choices=Level.choices, label=_("Impact"), initial="medium")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, label=_("Team"))
    assignee = agent_choices()
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class BulkForm(forms.Form):
    tickets = forms.ModelMultipleChoiceField(queryset=None, to_field_name="number")  # type: ignore[arg-type]
    action = forms.ChoiceField(
        choices=[("update", _("Update")), ("merge", _("Merge into the first selected"))]
    )
    status = forms.ModelChoiceField(
        queryset=Status.objects.filter(active=True),
        required=False,
        label=_("Status"),
        empty_label=_("(status)"),
    )
    priority = forms.ModelChoiceField(
        queryset=Priority.objects.all(),
        required=False,
        label=_("Priority"),
        empty_label=_("(priority)"),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Team"), empty_label=_("(team)")
    )
    assignee = forms.CharField(required=False, label=_("Assignee"))
    add_tag = forms.CharField(required=False, label=_("Add tag"))

    def __init__(self, *args: object, queryset, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = queryset
        # Every queue page renders these two lists: from the cached configuration.
        rows = catalog()
        for name in ("status", "priority"):
            field = self.fields[name]
            field.widget.choices = model_choices(field, rows.choices_for(name) or [])


class ViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        required=False,
        choices=[("", _("anyone")), ("me", _("me")), ("none", _("nobody"))],
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    status_category = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=StatusCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.MultipleChoiceField(
        label=_("Priority"), required=False, widget=forms.CheckboxSelectMultiple
    )
    ticket_type = forms.MultipleChoiceField(
        label=_("Type"), required=False, widget=forms.CheckboxSelectMultiple
    )
    tag = forms.CharField(label=_("Tag"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[
            ("-updated_at", _("Recently updated first")),
            ("updated_at", _("Least recently updated")),
            ("-created_at", _("Newest first")),
            ("created_at", _("Oldest first")),
            ("-number", _("Highest number first")),
            ("sla_due_at", _("Next SLA due first")),
        ],
    )
    shared = forms.BooleanField(label=_("Share with all agents"), required=False)

    def __init__(self, *args: object, can_share: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("any team")), ("mine", _("my teams"))] + [
            (str(t.pk), t.name) for t in Team.objects.all()
        ]
        self.fields["priority"].choices = [(p.slug, p.label) for p in Priority.objects.all()]
        self.fields["ticket_type"].choices = [
            (t.slug, t.label) for t in TicketType.objects.filter(active=True)
        ]
        if not can_share:
            del self.fields["shared"]

    def filters(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in ("assignee", "team", "status_category", "priority", "ticket_type", "tag")
            if data.get(key)
        }
