"""Django's ASGI handler, tuned for a project whose views and middleware are synchronous.

Django's stock handler, for every request, builds an async middleware chain that hops
between the event loop and a worker thread at each sync/async boundary (each
``MiddlewareMixin`` in async mode runs its hooks through ``sync_to_async``), and starts and
joins a new thread for the request's thread-sensitive work. This handler keeps Django's
request parsing, signals and response streaming, but:

- runs the whole middleware chain and the view synchronously, in one hop from the event
  loop (as under WSGI), and
- takes each request's thread from a small pool of reusable single-thread executors
  instead of creating one per request (asgiref's ``ThreadSensitiveContext(executor=...)``).

Every thread-sensitive call of one request still runs on that request's one thread, so
Django's per-thread state (database connections, the active language) behaves as under a
threaded WSGI server. Websockets are Channels' (see config/asgi.py), untouched.
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

# Idle request threads kept for reuse; more are made while more requests run at once.
POOL_KEEP = 16

_handlers: weakref.WeakSet[SyncASGIHandler] = weakref.WeakSet()


def request_threads_close() -> None:
    """Close the idle request threads and their database connections (a test tearing down
    its database, a process winding down); the next request starts a fresh thread."""
    for handler in list(_handlers):
        idle, handler._idle = handler._idle, []
        for executor in idle:
            executor.submit(_connections_close).result()
            executor.shutdown(wait=True)


def _connections_close() -> None:
    from django.db import connections

    connections.close_all()


class SyncASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        self._idle: list[ThreadPoolExecutor] = []
        super().__init__()
        _handlers.add(self)

    def load_middleware(self, is_async: bool = False) -> None:
        # The synchronous chain: middleware hooks and the view run on the request's thread.
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = (
            self._idle.pop()
            if self._idle
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < POOL_KEEP:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)
