from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def unread_for(user) -> int:  # type: ignore[no-untyped-def]
    """The unread count for the bell (one indexed count on the partial unread index)."""
    from frontdesk.notifications.services import unread_count

    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user.pk)
