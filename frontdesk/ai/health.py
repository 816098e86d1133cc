"""``/healthz`` says which mode the AI features run in (semantic or lexical fallback).

The check never loads the model itself: a health probe must stay fast. Until something in
this process used the model it reports what would be used.
"""

from __future__ import annotations

from typing import Any

from frontdesk.ai import embeddings
from frontdesk.core import health


def ai_health() -> dict[str, Any]:
    if "backend" in embeddings._state:
        return {**embeddings.status(), "loaded": True}
    mode, reason = embeddings.expected_mode()
    return {"ok": True, "mode": mode, "loaded": False, "reason": reason}


def register() -> None:
    health.register("ai", ai_health)
