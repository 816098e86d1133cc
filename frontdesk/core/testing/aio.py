"""Run a test's async scenario on an event loop of its own, on a thread of its own.

A browser test's Playwright (sync API) keeps an event loop running on the main thread while
its browser is open, and ``async_to_sync``/``asyncio.run`` refuse to start there. A fresh
thread has no loop, whichever tests ran before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_scenario(scenario: Callable[[], Awaitable[Any]]) -> Any:
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, scenario()).result()
