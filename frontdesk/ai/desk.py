"""The ai app's pieces of the agent workspace, registered from ``AiConfig.ready``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.desk.extensions import NavLink, SettingsLink, TicketPanel, register

if TYPE_CHECKING:
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket


def triage_context(ticket: Ticket, user: User) -> dict[str, Any] | None:
    """Triage suggestions with confidence and a one-click apply (hidden when there are none)."""
    from frontdesk.ai.selectors import suggestions_for
    from frontdesk.ai.triage import field_label

    if not user.is_agent:
        return None
    rows = suggestions_for(ticket)
    if not rows:
        return None
    return {"suggestions": [(s, field_label(s.field)) for s in rows]}


def similar_context(ticket: Ticket, user: User) -> dict[str, Any] | None:
    from frontdesk.ai.similar import similar_tickets

    if not user.is_agent:
        return None
    found = similar_tickets(user, ticket)
    if not found.open and not found.solved:
        return None
    return {"similar": found}


def register_all() -> None:
    register(
        TicketPanel(
            key="ai-triage", template="ai/_triage_panel.html", context=triage_context, position=20
        )
    )
    register(
        TicketPanel(
            key="ai-similar",
            template="ai/_similar_panel.html",
            context=similar_context,
            position=30,
            # a nearest-neighbour search and its visibility checks: fetched after the page
            deferred=True,
        )
    )
    register(
        NavLink(
            key="ai-unanswered",
            title=_("Unanswered questions"),
            url_name="ai:unanswered",
            visible=lambda user: user.is_agent,
            position=80,
        )
    )
    register(
        SettingsLink(
            key="ai",
            title=_("AI and automation aids"),
            url_name="ai:settings",
            description=_(
                "Which mode runs (semantic or lexical), the answer bot's threshold, triage "
                "precision and auto-apply, recurring-issue alerts."
            ),
            position=60,
        )
    )
