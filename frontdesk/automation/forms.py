"""Rule editor forms: conditions and actions as rows of plain fields, stored as JSON.

A flat "all of" / "any of" list of conditions is edited as rows (field, operator, value);
anything nested is edited as JSON in a text area (checked, never executed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from frontdesk.automation.actions import ACTION_TYPES
from frontdesk.automation.conditions import FLAG_OPERATORS, LIST_OPERATORS, OPERATORS
from frontdesk.automation.facts import FIELDS
from frontdesk.automation.models import SinceField, TriggerEvent
from frontdesk.tickets.models import StatusCategory

BLANK_ROWS = 3
OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "not_contains": _("does not contain"),
    "gt": _("greater than"),
    "lt": _("less than"),
    "gte": _("at least"),
    "lte": _("at most"),
    "is_empty": _("is empty"),
    "changed": _("changed"),
    "changed_from": _("changed from"),
    "changed_to": _("changed to"),
    "matches": _("has the words (a|b, wild*card)"),
    "in_business_hours": _("in business hours (yes/no)"),
}


def condition_rows(conditions: Any) -> tuple[str, list[dict[str, str]]] | None:
    """("all"|"any", rows) for a flat condition; None when it needs the JSON editor."""
    if not conditions:
        return "all", []
    if not isinstance(conditions, Mapping):
        return None
    mode = "all" if "all" in conditions else "any" if "any" in conditions else None
    if mode is None or len(conditions) != 1 or not isinstance(conditions[mode], list):
        return None
    rows = []
    for leaf in conditions[mode]:
        if not isinstance(leaf, Mapping) or set(leaf) - {"field", "op", "value"}:
            return None
        value = leaf.get("value", "")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append(
            {
                "field": str(leaf.get("field", "")),
                "op": str(leaf.get("op", "")),
                "value": str(value),
            }
        )
    return mode, rows


def _value(op: str, text: str) -> Any:
    text = text.strip()
    if op in LIST_OPERATORS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if op in FLAG_OPERATORS:
        return text.lower() not in {"no", "false", "0", "off"}
    if op in ("gt", "lt", "gte", "lte"):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


def conditions_from_post(data: QueryDict) -> Any:
    """The conditions the editor posted: JSON when given, else the rows."""
    raw = (data.get("conditions_json") or "").strip()
    if data.get("conditions_mode") == "json":
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("The conditions are not valid JSON: %(e)s") % {"e": exc}
            ) from exc
    mode = "any" if data.get("match") == "any" else "all"
    leaves = []
    for field, op, value in zip(
        data.getlist("cond_field"),
        data.getlist("cond_op"),
        data.getlist("cond_value"),
        strict=False,
    ):
        if not field and op != "in_business_hours":
            continue
        if op not in OPERATORS:
            continue
        leaf: dict[str, Any] = {"field": field, "op": op}
        if op not in ("changed",) or value.strip():
            leaf["value"] = _value(op, value)
        leaves.append(leaf)
    return {mode: leaves} if leaves else {}


def action_rows(actions: Any) -> list[dict[str, str]]:
    rows = []
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, Mapping):
            continue
        kind = str(action.get("type", ""))
        target = (
            action.get("field")
            or action.get("agent")
            or action.get("to")
            or action.get("tag")
            or action.get("macro")
            or action.get("subscription")
            or ""
        )
        text = (
            action.get("value")
            or action.get("template")
            or action.get("body")
            or action.get("text")
            or action.get("reason")
            or ""
        )
        rows.append(
            {
                "type": kind,
                "target": str(target),
                "subject": str(action.get("subject", "")),
                "text": str(text),
            }
        )
    return rows


def actions_from_post(data: QueryDict) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for kind, target, subject, text in zip(
        data.getlist("act_type"),
        data.getlist("act_target"),
        data.getlist("act_subject"),
        data.getlist("act_text"),
        strict=False,
    ):
        target, text = target.strip(), text.strip()
        if not kind:
            continue
        action: dict[str, Any] = {"type": kind}
        if kind == "set":
            action.update(field=target, value=text)
        elif kind == "assign":
            action["agent"] = target
        elif kind in ("add_tag", "remove_tag"):
            action["tag"] = target or text
        elif kind == "note":
            action["body"] = text
        elif kind == "email":
            action.update(to=target or "requester", subject=subject.strip(), body=text)
        elif kind == "email_template":
            # The template's name goes under "Value or text" (or, mistyped, "Subject").
            action.update(to=target or "requester", template=text or subject.strip())
        elif kind == "notify":
            action.update(to=target or "assignee", text=text)
        elif kind == "webhook":
            action["subscription"] = target
        elif kind == "macro":
            action["macro"] = target
        elif kind == "escalate":
            action["reason"] = text
        actions.append(action)
    return actions


def editor_context(conditions: Any, actions: Any) -> dict[str, Any]:
    rows = condition_rows(conditions)
    mode, cond_rows = rows if rows is not None else ("all", [])
    blank = {"field": "", "op": "eq", "value": ""}
    return {
        "json_mode": rows is None,
        "conditions_json": json.dumps(conditions or {}, indent=2, ensure_ascii=False),
        "match": mode,
        "cond_rows": cond_rows + [blank] * BLANK_ROWS,
        "act_rows": action_rows(actions)
        + [{"type": "", "target": "", "subject": "", "text": ""}] * 2,
        "fields": [(k, v[0]) for k, v in FIELDS.items()],
        "operators": [(op, OPERATOR_LABELS[op]) for op in OPERATORS],
        "action_types": list(ACTION_TYPES.items()),
    }


class TriggerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    event = forms.ChoiceField(label=_("When"), choices=TriggerEvent.choices)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TimeRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    status_category = forms.ChoiceField(
        label=_("Tickets that are"),
        choices=[("", _("any open status"))] + list(StatusCategory.choices),
        required=False,
    )
    since = forms.ChoiceField(label=_("Hours since"), choices=SinceField.choices)
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=24 * 365)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(
        label=_("Availability"),
        choices=[
            ("online", _("Online: receives new tickets")),
            ("away", _("Away: keeps tickets, receives none")),
            ("off", _("Off: not working")),
        ],
    )
    away_from = forms.DateField(
        label=_("Out of office from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    away_until = forms.DateField(
        label=_("Out of office until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AgentProfileForm(forms.Form):
    capacity = forms.IntegerField(label=_("Capacity (open tickets)"), min_value=0, max_value=1000)
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        help_text=_("Comma-separated: languages (sv), tags (billing), ticket types (incident)."),
    )


class EmailTemplateForm(forms.Form):
    """Name and description; the per-language texts are ``subject_<code>``/``body_<code>``."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


def template_texts_from_post(data: QueryDict) -> dict[str, dict[str, str]]:
    from django.conf import settings

    return {
        code: {"subject": data.get(f"subject_{code}", ""), "body": data.get(f"body_{code}", "")}
        for code, _label in settings.LANGUAGES
    }
