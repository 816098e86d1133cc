"""What the ai app does when tickets, articles and forum threads change (one place).

Every handler takes ids, is idempotent (vectors are re-embedded only when their text
changed; triage suggests once per ticket and field) and does nothing in lexical mode
where it would need the model.
"""

from __future__ import annotations

from typing import Any

from frontdesk.ai import embeddings, indexing
from frontdesk.core.events import subscribe


def ticket_changed(payload: dict[str, Any]) -> None:
    if embeddings.backend() is not None:
        indexing.tickets_embed([int(payload["ticket_id"])])


def message_created(payload: dict[str, Any]) -> None:
    """A new ticket: embed it, then triage it (routing calls ``triage_apply`` first too)."""
    from frontdesk.ai.triage import triage_apply

    if not payload.get("ticket_created"):
        return
    ticket_id = int(payload["ticket_id"])
    if embeddings.backend() is not None:
        indexing.tickets_embed([ticket_id])
    triage_apply(ticket_id)


def article_changed(payload: dict[str, Any]) -> None:
    if embeddings.backend() is not None:
        indexing.article_embed(int(payload["article_id"]))


def thread_changed(payload: dict[str, Any]) -> None:
    if embeddings.backend() is not None:
        indexing.thread_embed(int(payload["topic_id"]))


def register() -> None:
    subscribe("ticket.changed", ticket_changed)
    subscribe("message.created", message_created)
    subscribe("knowledge.article_changed", article_changed)
    subscribe("community.thread_changed", thread_changed)
