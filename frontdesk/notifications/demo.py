"""Demo notification defaults: agents keep the built-in preferences (assignments, mentions
and breaches by email too); the supervisor also hears about new unassigned tickets."""

from __future__ import annotations

from typing import Any

from frontdesk.accounts.models import Role
from frontdesk.notifications.models import Kind
from frontdesk.notifications.services import preferences_save


def after_tickets(context: dict[str, Any]) -> None:
    for user in (context.get("staff") or {}).values():
        if user.role == Role.SUPERVISOR:
            preferences_save(user=user, choices={Kind.NEW_TICKET: (True, False)})
