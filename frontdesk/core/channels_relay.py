"""A channel layer that crosses processes on one machine without Redis.

Channels' ``InMemoryChannelLayer`` lives inside one process. In the embedded setup
(``make run``: the uvicorn web process plus a separate Huey job worker) a push made in the
job worker (a notification, a ticket changed by a rule) would never reach the websockets
held by the web process. ``RelayChannelLayer`` keeps the in-memory layer for everything
local and relays ``group_send`` and ``send`` through a small SQLite file (one table, WAL):

- a send from any process is delivered to its own local consumers at once and written as
  one row (origin, target, message) to the relay file;
- every process that holds consumers (has joined a group or is receiving) runs one poller
  task on its event loop that reads the rows written by other processes since the last it
  saw, every ``poll_interval`` seconds (0.1 s by default), and hands them to its local
  groups and channels;
- rows older than ``retention`` seconds are pruned by the writers.

A process with no consumers (the job worker) never polls; it only writes. Delivery is best
effort, as with any channel layer: a poller that falls more than ``retention`` behind skips
what was pruned. Past one machine, use Redis (``REDIS_URL``); see docs/scale-out.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import msgpack
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS relay (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    body BLOB NOT NULL
)
"""
GROUP = "g"
CHANNEL = "c"


class RelayChannelLayer(InMemoryChannelLayer):
    """The in-memory layer, plus a relay through ``path`` to the other processes."""

    def __init__(
        self,
        path: str | Path,
        poll_interval: float = 0.1,
        retention: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.retention = retention
        # Rows this instance wrote carry its origin; its poller skips them (delivered already).
        self.origin = uuid.uuid4().hex
        self._local = threading.local()
        self._poller: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    # --- the relay file -------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """One connection per thread (sync callers each run on their own thread)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            # No fsync per push (WAL + NORMAL syncs at checkpoints only), yet a power loss
            # cannot corrupt the file as it could with OFF; a lost row only delays a page.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
            self._local.connection = connection
        return connection

    def _write(self, kind: str, target: str, message: dict[str, Any]) -> None:
        self._write_many(kind, [(target, message)])

    def _write_many(self, kind: str, messages: list[tuple[str, dict[str, Any]]]) -> None:
        now = time.time()
        rows = [
            (now, self.origin, kind, target, msgpack.packb(message, use_bin_type=True))
            for target, message in messages
        ]
        db = self._db()
        db.executemany(
            "INSERT INTO relay (created, origin, kind, target, body) VALUES (?, ?, ?, ?, ?)", rows
        )
        # Writers prune (the job worker writes, so the file stays small without a poller).
        if now - self._last_prune > min(self.retention, 10.0):
            self._last_prune = now
            db.execute("DELETE FROM relay WHERE created < ?", (now - self.retention,))

    def _last_before(self, since: float) -> int:
        """The newest row written before ``since`` (what a new poller need not deliver)."""
        query = "SELECT COALESCE(MAX(id), 0) FROM relay WHERE created < ?"
        return int(self._db().execute(query, (since,)).fetchone()[0])

    def _read(self, after: int) -> list[tuple[int, str, str, str, bytes]]:
        query = "SELECT id, origin, kind, target, body FROM relay WHERE id > ? ORDER BY id"
        return self._db().execute(f"{query} LIMIT 1000", (after,)).fetchall()

    async def _relay(self, kind: str, target: str, message: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._write, kind, target, message)
        except (sqlite3.Error, OSError, TypeError, ValueError):
            # Best effort, like the push itself: pages poll as well.
            logger.exception("channel relay write to %s failed", self.path)

    def relay_many(self, messages: list[tuple[str, dict[str, Any]]]) -> bool:
        """``group_send`` of each (group, message) for sync code, with no event loop: when
        none of the groups has a member in this process (the job worker; a web process
        nobody has open), the rows are written on the calling thread in one statement and
        True is returned. False (nothing done) when some group has a member here: the
        caller sends through the loop (``group_send``) so those pages hear it too."""
        if any(group in self.groups for group, _message in messages):
            return False
        for group, _message in messages:
            self.require_valid_group_name(group)
        try:
            self._write_many(GROUP, messages)
        except (sqlite3.Error, OSError, TypeError, ValueError):
            logger.exception("channel relay write to %s failed", self.path)
        return True

    # --- the poller -----------------------------------------------------------------------

    def _ensure_poller(self) -> None:
        """Start (or restart, on a new event loop) the task that reads other processes' rows.

        Only processes that hold consumers call this, so the job worker never polls."""
        loop = asyncio.get_running_loop()
        poller = self._poller
        if poller is not None and not poller.done() and poller.get_loop() is loop:
            return
        # From now on, not from whenever the task first runs: a row written in between counts.
        self._poller = loop.create_task(self._poll(since=time.time()))

    async def _poll(self, *, since: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            last = await loop.run_in_executor(None, self._last_before, since)
        except (sqlite3.Error, OSError):
            logger.exception("channel relay %s unreadable", self.path)
            last = 0
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                rows = await loop.run_in_executor(None, self._read, last)
            except (sqlite3.Error, OSError):
                logger.exception("channel relay read from %s failed", self.path)
                continue
            for row_id, origin, kind, target, body in rows:
                last = row_id
                if origin == self.origin:
                    continue
                await self._deliver(kind, target, body)

    async def _deliver(self, kind: str, target: str, body: bytes) -> None:
        try:
            message = msgpack.unpackb(body, raw=False)
        except (ValueError, msgpack.UnpackException):
            logger.warning("channel relay: unreadable message for %s", target)
            return
        if kind == GROUP:
            await super().group_send(target, message)
        elif self._is_ours(target):
            # A full queue drops the message, as group_send does.
            with contextlib.suppress(ChannelFull):
                await super().send(target, message)

    # --- the channel layer API ------------------------------------------------------------

    async def new_channel(self, prefix: str = "specific.") -> str:
        """A process-specific channel whose name says which layer instance receives it."""
        name = await super().new_channel(prefix)
        return name.replace(".inmemory!", f".relay{self.origin}!", 1)

    def _is_ours(self, channel: str) -> bool:
        return f".relay{self.origin}!" in channel

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """A specific channel of another process goes through the relay; anything else
        (ours, or a plain channel name, which is process-local as in the in-memory layer)
        is delivered here."""
        if ".relay" in channel and "!" in channel and not self._is_ours(channel):
            self.require_valid_channel_name(channel)
            await self._relay(CHANNEL, channel, message)
            return
        await super().send(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        self._ensure_poller()
        return await super().receive(channel)

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        self._ensure_poller()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await super().group_send(group, message)
        await self._relay(GROUP, group, message)

    async def close(self) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
        self._poller = None
        await super().close()
