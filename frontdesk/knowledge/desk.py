"""The knowledge base's pieces in the agent workspace (registered from AppConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontdesk.desk import extensions


def _is_agent(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_agent)


def register() -> None:
    extensions.register(
        extensions.NavLink(
            key="knowledge",
            title=_("Knowledge base"),
            url_name="knowledge:manage",
            visible=_is_agent,
            position=50,
        )
    )
    extensions.register(
        extensions.ComposerTool(key="knowledge", template="knowledge/desk/_composer_tool.html")
    )
    extensions.register(
        extensions.TicketAction(key="knowledge", template="knowledge/desk/_ticket_action.html")
    )
