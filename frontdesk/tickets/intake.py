"""The one way in: every channel turns what it received into an ``InboundMessage``.

Email, the portal form, chat, the API and the agent's "new ticket" form build one of these
and call ``tickets.services.message_receive``; no channel writes tickets any other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.models import Channel, MessageKind

if TYPE_CHECKING:
    from frontdesk.accounts.models import Team, User
    from frontdesk.tickets.models import Status, Ticket, TicketType


@dataclass
class InboundMessage:
    """A message from any channel. ``ticket`` set: a reply to it; unset: a new ticket.

    ``requester`` is the customer a new ticket is for; it defaults to ``author`` (an agent
    logging a phone call sets it to the caller).
    """

    channel: Channel
    author: User
    body_text: str
    subject: str = ""
    body_html: str = ""
    ticket: Ticket | None = None
    requester: User | None = None
    kind: MessageKind = MessageKind.PUBLIC
    attachments: list[IncomingFile] = field(default_factory=list)
    ticket_type: TicketType | None = None
    urgency: str | None = None
    impact: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    cc: list[User] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    team: Team | None = None
    assignee: User | None = None
    status: Status | None = None
    language: str = ""
    external_id: str = ""
    received_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
