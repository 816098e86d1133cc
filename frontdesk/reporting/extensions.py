"""What reporting adds to the agent workspace: the Reports link, the survey settings
entry and the feedback panel on the ticket page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from frontdesk.desk.extensions import NavLink, SettingsLink, TicketPanel, register

if TYPE_CHECKING:
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket


def _feedback_panel(ticket: Ticket, user: User) -> dict[str, Any] | None:
    from frontdesk.reporting.models import CsatSurvey

    survey = CsatSurvey.objects.filter(ticket=ticket).first()
    if survey is None:
        return None
    return {"survey": survey}


def register_all() -> None:
    register(
        NavLink(
            key="reports",
            title=_("Reports"),
            url_name="reporting:dashboard",
            visible=lambda user: user.is_agent,
            position=50,
        )
    )
    register(
        SettingsLink(
            key="surveys",
            title=_("Surveys and reporting"),
            url_name="reporting:survey_settings",
            description=_("Satisfaction (CSAT) and NPS surveys, agent capacity."),
            position=60,
        )
    )
    register(
        TicketPanel(
            key="feedback",
            template="reporting/_ticket_feedback.html",
            context=_feedback_panel,
            position=40,
        )
    )
