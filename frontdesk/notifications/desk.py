"""The notifications app's pieces of the workspace: the bell and the settings entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from frontdesk.desk.extensions import NavLink, SettingsLink, register


def _agent(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(user.is_authenticated and user.is_agent)


def register_all() -> None:
    register(
        NavLink(
            key="notifications",
            title=_("Notifications"),
            url_name="notifications:list",
            visible=_agent,
            position=90,
            template="notifications/_bell.html",
        )
    )
    register(
        SettingsLink(
            key="notifications-customer",
            title=_("Customer emails"),
            url_name="notifications:templates",
            description=_("The texts customers get when a request arrives, is answered or solved."),
            position=40,
        )
    )
    register(
        SettingsLink(
            key="notifications-webhooks",
            title=_("Webhooks"),
            url_name="notifications:webhooks",
            description=_("Signed JSON, Slack or Teams messages when tickets change."),
            position=45,
        )
    )
