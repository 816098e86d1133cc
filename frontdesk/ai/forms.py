"""The admin's AI settings form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.ai.models import AiSettings
from frontdesk.ai.triage import BASE_FIELDS
from frontdesk.tickets.models import CustomField, FieldType


class AiSettingsForm(forms.Form):
    bot_threshold = forms.FloatField(
        label=_("Answer only above this confidence"), min_value=0.0, max_value=1.0
    )
    cluster_size = forms.IntegerField(label=_("Alert at this many similar tickets"), min_value=2)
    cluster_minutes = forms.IntegerField(label=_("Within this many minutes"), min_value=1)
    cluster_similarity = forms.FloatField(
        label=_("How alike they must be (0-1)"), min_value=0.3, max_value=1.0
    )
    triage_custom_fields = forms.MultipleChoiceField(
        label=_("Also predict these choice fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Any = None, *, instance_values: AiSettings) -> None:
        self.fields_auto: list[str] = []
        initial = {
            "bot_threshold": instance_values.bot_threshold,
            "cluster_size": instance_values.cluster_size,
            "cluster_minutes": instance_values.cluster_minutes,
            "cluster_similarity": instance_values.cluster_similarity,
            "triage_custom_fields": instance_values.triage_custom_fields,
        }
        super().__init__(data, initial=initial)
        choice_fields = CustomField.objects.filter(active=True, field_type=FieldType.CHOICE)
        self.fields["triage_custom_fields"].choices = [(f.key, f.label) for f in choice_fields]
        fields = list(BASE_FIELDS) + [f"custom:{k}" for k in instance_values.triage_custom_fields]
        for name in fields:
            self.fields[f"target__{name}"] = forms.FloatField(
                label=_("Precision target"),
                min_value=0.5,
                max_value=1.0,
                initial=(instance_values.triage_targets or {}).get(name, 0.9),
            )
            self.fields[f"auto__{name}"] = forms.BooleanField(
                label=_("Apply by itself above the threshold"),
                required=False,
                initial=(instance_values.triage_auto or {}).get(name, False),
            )
            self.fields_auto.append(name)

    def triage_rows(self) -> list[tuple[str, Any, Any]]:
        return [(n, self[f"target__{n}"], self[f"auto__{n}"]) for n in self.fields_auto]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "bot_threshold": data["bot_threshold"],
            "cluster_size": data["cluster_size"],
            "cluster_minutes": data["cluster_minutes"],
            "cluster_similarity": data["cluster_similarity"],
            "triage_custom_fields": list(data["triage_custom_fields"]),
            "triage_targets": {n: data[f"target__{n}"] for n in self.fields_auto},
            "triage_auto": {n: bool(data[f"auto__{n}"]) for n in self.fields_auto},
        }
