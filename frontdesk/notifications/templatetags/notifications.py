from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_for(context, user) -> int:  # type: ignore[no-untyped-def]
    """The unread count for the bell: cached per agent (no query on most pages); the bell's
    own refresh passes a fresh ``bell_unread``."""
    from frontdesk.notifications.services import unread_count_cached

    if not getattr(user, "is_authenticated", False):
        return 0
    fresh = context.get("bell_unread")
    if fresh is not None:
        return int(fresh)
    return unread_count_cached(user.pk)
