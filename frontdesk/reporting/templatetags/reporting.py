"""Template helpers: measure values for people, and the portal's CSAT prompt.

The portal shows the prompt on a solved request with::

    {% load reporting %}{% csat_prompt ticket %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """3 h 20 min, 2 d 4 h, 45 s."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min") % {"m": minutes}
    return _("%(s)s s") % {"s": secs}


@register.filter
def measure_value(value: float | None, measure: Any) -> str:
    """A measure's value as people read it, by its unit."""
    if value is None:
        return "—"
    unit = getattr(measure, "unit", "count")
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "score":
        return f"{value:+.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{int(value):,}".replace(",", "\u202f")


@register.filter
def change_badge(pair: Any) -> str:
    """'up' / 'down' / '' comparing today with last week."""
    today, last = pair
    if today is None or last is None or today == last:
        return ""
    return "up" if today > last else "down"


@register.inclusion_tag("reporting/_csat_prompt.html", takes_context=True)
def csat_prompt(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    """The portal's rating prompt for a solved request its requester is viewing."""
    from frontdesk.reporting.surveys import (
        csat_answer_state,
        rating_choices,
        survey_settings_get,
    )
    from frontdesk.tickets.models import DONE_CATEGORIES

    request = context.get("request")
    user = getattr(request, "user", None)
    hidden = {"show": False}
    if user is None or not user.is_authenticated or ticket.requester_id != user.pk:
        return hidden
    if ticket.status_category not in DONE_CATEGORIES or ticket.merged_into_id:
        return hidden
    config = survey_settings_get()
    if not config.csat_enabled:
        return hidden
    from frontdesk.reporting.models import CsatSurvey

    survey = CsatSurvey.objects.filter(ticket=ticket).first()
    scale = survey.scale if survey else config.csat_scale
    state = csat_answer_state(survey) if survey else None
    return {
        "show": True,
        "ticket": ticket,
        "survey": survey,
        "ratings": rating_choices(scale),
        "reasons": config.csat_reasons,
        "can_change": state is None or state.can_change,
        "csrf_token": context.get("csrf_token"),
    }
