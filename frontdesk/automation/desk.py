"""The automation app's pieces of the workspace: the ticket panel and settings entries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.desk.extensions import (
    HistoryLine,
    HistorySource,
    NavLink,
    SettingsLink,
    TicketPanel,
    register,
)

if TYPE_CHECKING:
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket

PANEL_RUNS = 5


def panel_context(ticket: Ticket, user: User) -> dict[str, Any] | None:
    """Recent rule runs on this ticket (hidden when no rule ever looked at it)."""
    from frontdesk.automation.models import AutomationRun

    if not user.is_agent:
        return None
    runs = list(AutomationRun.objects.filter(ticket=ticket)[:PANEL_RUNS])
    return {"runs": runs} if runs else None


def _agent(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(user.is_authenticated and user.is_agent)


def history_rows(ticket: Ticket, user: User) -> list[HistoryLine]:
    from frontdesk.automation.selectors import run_history_rows

    return run_history_rows(ticket, user)


def register_all() -> None:
    # Rule runs as lines of the ticket's History tab (rows(ticket, user): one query a page).
    register(HistorySource(key="automation", rows=history_rows, position=60))
    register(
        TicketPanel(
            key="automation",
            template="automation/_panel.html",
            context=panel_context,
            position=60,
        )
    )
    register(
        NavLink(
            key="availability",
            title=_("My availability"),
            url_name="automation:me",
            visible=_agent,
            position=95,
            template="automation/_availability_link.html",
        )
    )
    register(
        SettingsLink(
            key="automation",
            title=_("Rules and routing"),
            url_name="automation:settings",
            description=_("Triggers, time-based rules, routing per team, agent skills."),
            position=30,
        )
    )
