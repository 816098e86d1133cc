"""Pure validation of custom field values (no database): types, choices, required-on-solve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str
    choices: tuple[str, ...] = ()
    required_on_solve: bool = False


def _clean_one(spec: FieldSpec, raw: Any) -> Any:
    if raw is None or raw == "" or raw == []:
        return None
    kind = spec.field_type
    if kind == "text":
        return str(raw).strip() or None
    if kind == "number":
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == "checkbox":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "on", "yes"}:
            return True
        if text in {"0", "false", "off", "no"}:
            return False
        raise ValidationError(_("Enter true or false."))
    if kind == "choice":
        value = str(raw)
        if value not in spec.choices:
            raise ValidationError(_("“%(value)s” is not one of the choices.") % {"value": value})
        return value
    if kind == "multi_choice":
        values = [raw] if isinstance(raw, str) else list(raw)
        bad = [str(v) for v in values if str(v) not in spec.choices]
        if bad:
            raise ValidationError(
                _("“%(value)s” is not one of the choices.") % {"value": ", ".join(bad)}
            )
        return [v for v in spec.choices if v in {str(x) for x in values}] or None
    raise ValidationError(_("Unknown field type."))


def custom_fields_clean(
    specs: Iterable[FieldSpec], values: Mapping[str, Any], *, existing: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge ``values`` into ``existing`` after checking each; errors are keyed by field."""
    by_key = {spec.key: spec for spec in specs}
    errors: dict[str, list[str]] = {}
    result = dict(existing)
    for key, raw in values.items():
        spec = by_key.get(key)
        if spec is None:
            errors[key] = [_("Unknown field.")]
            continue
        try:
            cleaned = _clean_one(spec, raw)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    if errors:
        raise ValidationError(errors)
    return result


def custom_fields_missing_for_solve(
    specs: Iterable[FieldSpec], values: Mapping[str, Any]
) -> list[FieldSpec]:
    """Fields that must have a value before the ticket can be solved."""
    return [
        spec
        for spec in specs
        if spec.required_on_solve and values.get(spec.key) in (None, "", [], False)
    ]
