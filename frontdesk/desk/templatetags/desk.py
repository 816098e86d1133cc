from __future__ import annotations

from typing import Any

from django import template

from frontdesk.desk.extensions import SettingsLink, entries, nav_links_for

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_nav_links(context: dict[str, Any]) -> list[Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return nav_links_for(user)


@register.simple_tag
def desk_settings_links() -> list[Any]:
    return entries(SettingsLink)
