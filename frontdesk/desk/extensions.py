"""Where other apps plug into the agent workspace without the workspace importing them.

The desk is the shell; feature apps (mail, sla, knowledge, ...) depend on it, never the other
way round. Each app registers its pieces once, from ``AppConfig.ready``:

- ``NavLink``: a link in the top bar (``visible(user)`` decides who sees it).
- ``SettingsLink``: an entry on the settings index for admins.
- ``TicketPanel``: a section in the ticket page's side column.
- ``TicketAction``: a template rendered in the ticket page's action bar (a button, a form).
- ``ComposerTool``: a template rendered in the reply composer (e.g. an article picker).
- ``MessageExtra``: per-message details under a message header (delivery state, sender
  checks, "show original"). ``context(messages, user)`` is called once per page with every
  message shown and returns ``{message_id: context}``: one query for all, not one per
  message.
- ``HistorySource``: lines another app adds to a ticket's History tab (e.g. the rules that
  ran). ``rows(ticket, user)`` is called once per page and returns objects with
  ``created_at``, ``who``, ``what``, ``old`` and ``new``: one query for all, not one per line.

Templates receive ``ticket``, ``user`` and the dict the entry's ``context`` returned under
``ext``. A ``context`` returning ``None`` hides the entry for that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Message, Ticket

TicketContext = Callable[["Ticket", "User"], "dict[str, Any] | None"]


def _always(user: User) -> bool:
    return True


def _none(ticket: Ticket, user: User) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class NavLink:
    """A top-bar link; with ``template`` the app renders it itself (e.g. a bell with a count,
    given ``link`` and ``user``)."""

    key: str
    title: Any
    url_name: str
    visible: Callable[[User], bool] = _always
    position: int = 100
    template: str = ""


@dataclass(frozen=True)
class SettingsLink:
    key: str
    title: Any
    url_name: str
    description: Any = ""
    position: int = 100


@dataclass(frozen=True)
class TicketPanel:
    """A side-column section. ``deferred``: the page shows a placeholder and fetches the
    panel right after it loads (htmx, ``desk:ticket_panel``), so a slow ``context`` (a
    search, a model) does not hold up opening the ticket."""

    key: str
    template: str
    context: TicketContext = _none
    position: int = 100
    deferred: bool = False


@dataclass(frozen=True)
class TicketAction:
    key: str
    template: str
    context: TicketContext = _none
    position: int = 100


@dataclass(frozen=True)
class ComposerTool:
    key: str
    template: str
    context: TicketContext = _none
    position: int = 100


@dataclass(frozen=True)
class MessageExtra:
    key: str
    template: str
    context: Callable[[list[Message], User], dict[int, dict[str, Any]]]
    position: int = 100


@dataclass(frozen=True)
class HistoryLine:
    """A line another app adds to the History tab, shown like a ticket event."""

    created_at: datetime
    who: str
    what: str
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class HistorySource:
    key: str
    rows: Callable[[Ticket, User], list[HistoryLine]]
    position: int = 100


_registry: dict[type, dict[str, Any]] = {
    NavLink: {},
    SettingsLink: {},
    TicketPanel: {},
    TicketAction: {},
    ComposerTool: {},
    MessageExtra: {},
    HistorySource: {},
}


def register(
    entry: NavLink
    | SettingsLink
    | TicketPanel
    | TicketAction
    | ComposerTool
    | MessageExtra
    | HistorySource,
) -> None:
    """Add (or replace, by key) one extension. Call from ``AppConfig.ready``."""
    _registry[type(entry)][entry.key] = entry


def entries(kind: type) -> list[Any]:
    return sorted(_registry[kind].values(), key=lambda e: (e.position, e.key))


def nav_links_for(user: User) -> list[NavLink]:
    return [link for link in entries(NavLink) if link.visible(user)]


DEFERRED_TEMPLATE = "desk/_deferred_panel.html"


def _rendered(kind: type, ticket: Ticket, user: User) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in entries(kind):
        if getattr(entry, "deferred", False):
            out.append((DEFERRED_TEMPLATE, {"key": entry.key}))
            continue
        ctx = entry.context(ticket, user)
        if ctx is not None:
            out.append((entry.template, ctx))
    return out


def ticket_panel(key: str) -> TicketPanel | None:
    return _registry[TicketPanel].get(key)


def ticket_extensions(ticket: Ticket, user: User, messages: Iterable[Message]) -> dict[str, Any]:
    """Everything the ticket page renders from other apps, computed once per page."""
    shown = list(messages)
    per_message: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for extra in entries(MessageExtra):
        for message_id, ctx in extra.context(shown, user).items():
            per_message.setdefault(message_id, []).append((extra.template, ctx))
    return {
        "ext_panels": _rendered(TicketPanel, ticket, user),
        "ext_actions": _rendered(TicketAction, ticket, user),
        "ext_composer": _rendered(ComposerTool, ticket, user),
        "ext_messages": per_message,
    }


def history_timeline(ticket: Ticket, user: User, events: Iterable[Any]) -> list[Any]:
    """The ticket's own events and the lines other apps add, in time order (an app's line
    after the ticket's events of the same instant)."""
    lines = list(events)
    for source in entries(HistorySource):
        lines.extend(source.rows(ticket, user))
    return sorted(lines, key=lambda line: line.created_at)
