"""The outbox topic registry: which handlers react to which topic.

Each app registers its reactions in one visible place (its ``handlers.py``, imported from
``AppConfig.ready``). Handlers take the outbox payload (ids only), must be idempotent and
must not depend on the order in which they run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], None]

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(topic: str, handler: Handler) -> None:
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))
