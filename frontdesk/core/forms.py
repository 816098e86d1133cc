"""A form renderer that writes the common widgets in Python.

Django renders each widget (and each ``<option>``) through a template include; the ticket
page's properties form alone made a few hundred of them per request. This renderer produces
the same markup for inputs, textareas and selects directly (escaped the way the templates
escape) and leaves every other widget template to Django.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

_INPUT = "django/forms/widgets/input.html"
_FAST_INPUTS = {
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "email",
        "number",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
        "search",
        "tel",
    )
}
_SELECT = {"django/forms/widgets/select.html"}
_TEXTAREA = "django/forms/widgets/textarea.html"


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{escape(str(value))}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget.get("value")
    value_attr = "" if value is None else f' value="{escape(str(value))}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{value_attr}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict[str, Any]) -> str:
    # The whitespace is the templates' own (select.html including select_option.html).
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
            f"{conditional_escape(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget.get("value")
    body = conditional_escape(value) if value else ""
    return f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


class FastWidgetRenderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: Any = None
    ) -> SafeString:
        widget = context.get("widget")
        if widget is not None:
            if template_name in _FAST_INPUTS and "type" in widget:
                return mark_safe(_input(widget))  # noqa: S308 - every part escaped above
            if template_name in _SELECT and "optgroups" in widget:
                return mark_safe(_select(widget))  # noqa: S308
            if template_name == _TEXTAREA:
                return mark_safe(_textarea(widget))  # noqa: S308
        return super().render(template_name, context, request)
