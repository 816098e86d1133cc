"""Macro placeholders such as {{ticket.number}}: pure substitution, nothing executable."""

from __future__ import annotations

import re
from collections.abc import Mapping

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")


def placeholders_render(template: str, context: Mapping[str, Mapping[str, object]]) -> str:
    """Replace known placeholders; unknown ones stay visible so the agent notices them."""

    def replace(match: re.Match[str]) -> str:
        group, name = match.group(1), match.group(2)
        value = context.get(group, {}).get(name)
        return match.group(0) if value is None else str(value)

    return _PLACEHOLDER_RE.sub(replace, template)
