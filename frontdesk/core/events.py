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
_local: dict[str, list[Handler]] = defaultdict(list)


def subscribe(topic: str, handler: Handler) -> None:
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))


def subscribe_local(topic: str, handler: Handler) -> None:
    """React in the process that made the change, right after its commit, best effort.

    For things that may be lost without harm (live pushes to open browsers); durable
    reactions subscribe with ``subscribe`` and run from the outbox.
    """
    if handler not in _local[topic]:
        _local[topic].append(handler)


def local_handlers_for(topic: str) -> list[Handler]:
    return list(_local.get(topic, ()))
