"""``{% sla_badge ticket %}``: the SLA countdown of a ticket row, no query per row."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from frontdesk.sla.selectors import badge_for, duration_short

register = template.Library()


@register.simple_tag
def sla_badge(ticket) -> SafeString | str:  # type: ignore[no-untyped-def]
    badge = badge_for(ticket)
    if badge is None:
        return ""
    if badge.due_at is not None:
        # The exact due time in the viewer's zone, ISO style like every other time on hover.
        title = _("Due %(when)s") % {
            "when": timezone.localtime(badge.due_at).strftime("%Y-%m-%d %H:%M")
        }
    else:
        title = _("The clock is stopped while the ticket waits.")
    extra = ""
    if badge.state == "warning":
        extra = _("breaching soon")
    elif badge.recorded_breach and badge.state != "breached":
        extra = _("breached")
    return format_html(
        '<span class="badge sla-badge sla-{} {}" title="{}">{}{}</span>',
        badge.state,
        badge.colour,
        title,
        badge.text,
        format_html(" · {}", extra) if extra else "",
    )


@register.filter
def sla_duration(value) -> str:  # type: ignore[no-untyped-def]
    """A timedelta as ``1h 20m`` (for the ticket panel)."""
    if value is None:
        return ""
    return duration_short(value)
