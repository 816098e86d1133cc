"""The sla app's pieces of the agent workspace, registered from ``SlaConfig.ready``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.desk.extensions import SettingsLink, TicketAction, TicketPanel, register

if TYPE_CHECKING:
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket


def panel_context(ticket: Ticket, user: User) -> dict[str, Any] | None:
    """The SLA explained on the ticket page (hidden when no SLA ever applied)."""
    from frontdesk.sla.selectors import panel_for

    return panel_for(ticket) if user.is_agent else None


def escalate_context(ticket: Ticket, user: User) -> dict[str, Any] | None:
    """The "Escalate" action, shown when the ticket's team has a next tier."""
    from frontdesk.sla.escalation import next_tier_team

    if not user.is_agent or not ticket.is_open or ticket.team is None:
        return None
    next_team = next_tier_team(ticket.team)
    return None if next_team is None else {"next_team": next_team}


def register_all() -> None:
    register(TicketPanel(key="sla", template="sla/_panel.html", context=panel_context, position=10))
    register(
        TicketAction(
            key="sla-escalate",
            template="sla/_escalate_action.html",
            context=escalate_context,
            position=50,
        )
    )
    register(
        SettingsLink(
            key="sla",
            title=_("SLAs and escalation"),
            url_name="sla:settings",
            description=_("Business hours, holidays, SLA policies and escalation rules."),
            position=20,
        )
    )
