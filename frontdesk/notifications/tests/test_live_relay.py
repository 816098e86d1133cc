"""Live pushes cross processes without Redis (the embedded setup: web process + job worker).

The job worker creates Alice's notification; her open page, held by the web process,
hears about it at once. Each scenario here runs the "other process" as a real subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import connection

from frontdesk.core.channels_relay import RelayChannelLayer
from frontdesk.core.testing.aio import run_scenario
from frontdesk.desk.consumers import DeskConsumer

ROOT = Path(settings.BASE_DIR)

SENDER = """
import sys, time
from asgiref.sync import async_to_sync
from frontdesk.core.channels_relay import RelayChannelLayer
layer = RelayChannelLayer(path=sys.argv[1])
for group in sys.argv[2:]:
    async_to_sync(layer.group_send)(group, {"type": "live.event", "sent": time.time()})
"""


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


async def next_message(layer: RelayChannelLayer, channel: str, timeout: float) -> dict:
    return await asyncio.wait_for(layer.receive(channel), timeout)


def test_a_group_send_from_another_process_reaches_the_group_here_within_a_second(tmp_path):
    path = str(tmp_path / "relay.sqlite3")

    async def scenario() -> None:
        layer = RelayChannelLayer(path=path)
        alice = await layer.new_channel()
        bob = await layer.new_channel()
        await layer.group_add("desk-user-1", alice)
        await layer.group_add("desk-user-2", bob)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, run_python, SENDER, path, "desk-user-1")
        message = await next_message(layer, alice, 2)
        assert message["type"] == "live.event"
        assert time.time() - message["sent"] < 1.0
        # Bob's group heard nothing, and Alice's message came once.
        with pytest.raises(TimeoutError):
            await next_message(layer, bob, 0.5)
        with pytest.raises(TimeoutError):
            await next_message(layer, alice, 0.5)
        await layer.close()

    run_scenario(scenario)


def test_a_process_hears_its_own_group_send_once_and_other_layers_hear_it_too(tmp_path):
    path = str(tmp_path / "relay.sqlite3")

    async def scenario() -> None:
        web, other_web = RelayChannelLayer(path=path), RelayChannelLayer(path=path)
        here, there = await web.new_channel(), await other_web.new_channel()
        await web.group_add("desk-agents", here)
        await other_web.group_add("desk-agents", there)
        await web.group_send("desk-agents", {"type": "live.event", "n": 1})
        assert (await next_message(web, here, 1))["n"] == 1
        assert (await next_message(other_web, there, 1))["n"] == 1
        with pytest.raises(TimeoutError):
            await next_message(web, here, 0.5)
        await web.close()
        await other_web.close()

    run_scenario(scenario)


def test_a_reply_to_a_specific_channel_reaches_the_process_that_owns_it(tmp_path):
    path = str(tmp_path / "relay.sqlite3")

    async def scenario() -> None:
        owner, other = RelayChannelLayer(path=path), RelayChannelLayer(path=path)
        channel = await owner.new_channel()
        receiving = asyncio.ensure_future(next_message(owner, channel, 2))
        await asyncio.sleep(0.05)
        await other.send(channel, {"type": "reply", "text": "hej"})
        assert (await receiving)["text"] == "hej"
        await owner.close()
        await other.close()

    run_scenario(scenario)


def test_a_job_worker_relays_from_sync_code_without_a_loop_hop(tmp_path):
    """``relay_many``: what a process with no pages of its own (the job worker) uses."""
    path = str(tmp_path / "relay.sqlite3")
    worker = RelayChannelLayer(path=path)
    hints = [
        ("desk-ticket-1", {"type": "live.event", "n": 1}),
        ("desk-agents", {"type": "live.event", "n": 2}),
    ]

    async def scenario() -> None:
        web = RelayChannelLayer(path=path)
        agent = await web.new_channel()
        await web.group_add("desk-agents", agent)
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, worker.relay_many, hints) is True
        assert (await next_message(web, agent, 1))["n"] == 2
        # A process whose own pages are in a group must send through its loop instead.
        assert web.relay_many([("desk-agents", {"type": "live.event"})]) is False
        await web.close()

    run_scenario(scenario)


def test_old_rows_are_pruned_by_writers(tmp_path):
    path = tmp_path / "relay.sqlite3"

    async def scenario() -> None:
        layer = RelayChannelLayer(path=path, retention=0.2)
        await layer.group_send("desk-agents", {"type": "live.event"})
        await asyncio.sleep(0.3)
        layer._last_prune = 0.0
        await layer.group_send("desk-agents", {"type": "live.event"})

    run_scenario(scenario)
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM relay").fetchone()[0] == 1


# --- the real thing: a notification made in another process reaches Alice's socket ---------


def database_url() -> str:
    """The test database, for a subprocess that plays the job worker."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"])
    # DATABASE_URL's ?host=/socket/dir&port= land in OPTIONS, a plain host:port in HOST/PORT.
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    port = db["PORT"] or db["OPTIONS"].get("port", "")
    return f"postgresql://{user}@/{db['NAME']}?host={quote(str(host))}&port={port}"


def job_worker_env() -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "FRONTDESK_TESTING": "1",
        "FRONTDESK_VAR_DIR": str(settings.VAR_DIR),
    }


NOTIFY = """
import django
django.setup()
from frontdesk.accounts.models import User
from frontdesk.notifications.services import notify
alice = User.objects.get(email="alice@example.com")
notify(user=alice, kind="rule", title="Rule says hello", key="relay-test")
"""


@pytest.mark.django_db(transaction=True)
def test_a_notification_made_by_the_job_worker_reaches_alices_open_page(people):
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("RelayChannelLayer")

    async def scenario() -> None:
        scope = {"type": "websocket", "path": "/ws/desk/", "headers": [], "user": people["alice"]}
        socket = ApplicationCommunicator(DeskConsumer.as_asgi(), scope)
        await socket.send_input({"type": "websocket.connect"})
        assert (await socket.receive_output(2))["type"] == "websocket.accept"
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: run_python(NOTIFY, env=job_worker_env()))
        started = time.monotonic()
        message = await socket.receive_output(2)
        assert time.monotonic() - started < 1.0
        assert json.loads(message["text"]) == {"event": "notification", "unread": 1}
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(1)

    run_scenario(scenario)
