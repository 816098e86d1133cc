"""Form pieces both the workspace and the portal use for tickets."""

from __future__ import annotations

from typing import Any

from django import forms

from frontdesk.tickets.models import CustomField, FieldType


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files under one name; size and type checks are the service's."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def custom_form_field(definition: CustomField, *, mark_required_on_solve: bool) -> forms.Field:
    """The form field for a custom field definition.

    Nothing is required at the form: the service enforces what must be filled before
    solving (agents see those marked with an asterisk).
    """
    label = definition.label
    if mark_required_on_solve and definition.required_on_solve:
        label += " *"
    common: dict[str, Any] = {"label": label, "required": False, "help_text": definition.help_text}
    choices = [(c, c) for c in definition.choices or []]
    if definition.field_type == FieldType.NUMBER:
        return forms.DecimalField(**common)
    if definition.field_type == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.field_type == FieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if definition.field_type == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if definition.field_type == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    return forms.CharField(max_length=500, **common)
