"""Template helpers used on every list row, kept in Python because they run per row."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def reltime(value: datetime | None) -> str:
    """Relative time ("3 hours ago") with the exact time, in the viewer's zone, on hover."""
    if not value:
        return format_html('<span class="muted">—</span>')
    local = timezone.localtime(value)
    # ISO-style exact time on hover: unambiguous in every language and cheap per row.
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%Y-%m-%d %H:%M"),
        naturaltime(value),
    )
