"""The forum reacts to its own changes: mail people, keep the help-center index current."""

from __future__ import annotations

from typing import Any

from frontdesk.community.search import thread_index
from frontdesk.core.events import subscribe


def post_visible(payload: dict[str, Any]) -> None:
    from frontdesk.community.tasks import post_notify

    post_notify(int(payload["post_id"]))


def thread_changed(payload: dict[str, Any]) -> None:
    thread_index(int(payload["topic_id"]))


def register() -> None:
    subscribe("community.post_visible", post_visible)
    subscribe("community.thread_changed", thread_changed)
