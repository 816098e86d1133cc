"""The knowledge base reacts to its own changes: keep the help-center index current."""

from __future__ import annotations

from typing import Any

from frontdesk.core.events import subscribe
from frontdesk.knowledge.search import article_index


def article_reindex(payload: dict[str, Any]) -> None:
    article_index(int(payload["article_id"]))


def register() -> None:
    subscribe("knowledge.article_changed", article_reindex)
