"""Live hints over the websocket: who may connect, who hears about which ticket.

Each scenario runs on one event loop, as under uvicorn: the websocket consumers are
coroutines, and the sync parts (services, views) run through ``sync_to_async`` so that
their pushes reach the same loop, as a Django view's do in production.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from frontdesk.core.testing.aio import run_scenario
from frontdesk.desk.consumers import CLOSE_FORBIDDEN, DeskConsumer
from frontdesk.tickets.services import ticket_update

# The consumer reads the database from another thread: the test data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    """One websocket connection to the consumer, through the ASGI messages a server sends
    (asgiref's communicator; the one in channels.testing needs daphne)."""

    def __init__(self, user) -> None:  # type: ignore[no-untyped-def]
        scope = {"type": "websocket", "path": "/ws/desk/", "headers": [], "user": user}
        self.comm = ApplicationCommunicator(DeskConsumer.as_asgi(), scope)

    async def connect(self) -> Socket:
        await self.comm.send_input({"type": "websocket.connect"})
        first = await self.comm.receive_output(2)
        self.connected = first["type"] == "websocket.accept"
        self.code = first.get("code")
        return self

    async def send(self, data: object) -> None:
        await self.comm.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive(self) -> dict:
        message = await self.comm.receive_output(2)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def events(self) -> list[dict]:
        out = []
        while not await self.comm.receive_nothing(0.2):
            out.append(await self.receive())
        return out

    async def close(self) -> None:
        await self.comm.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.comm.wait(1)


def test_only_agents_may_connect(people):
    async def scenario() -> None:
        for user in (AnonymousUser(), people["dana"]):
            socket = await Socket(user).connect()
            assert not socket.connected
            assert socket.code == CLOSE_FORBIDDEN
        socket = await Socket(people["alice"]).connect()
        assert socket.connected
        await socket.close()

    run_scenario(scenario)


def test_agents_hear_about_tickets_they_may_see_and_nothing_else(people, make_ticket):
    ticket = make_ticket(subject="Live one", team="l1")

    async def scenario() -> None:
        alice = await Socket(people["alice"]).connect()
        carol = await Socket(people["carol"]).connect()
        await alice.send({"watch": ticket.number})
        assert await alice.receive() == {"event": "watching", "ticket": ticket.number}
        # Carol (team L2) may not see an L1 ticket: she is told nothing about it.
        await carol.send({"watch": ticket.number})
        assert await carol.receive() == {"event": "watching", "ticket": None}
        await sync_to_async(ticket_update)(
            ticket=ticket, actor=people["bob"], changes={"subject": "Live one, renamed"}
        )
        got_alice, got_carol = await alice.events(), await carol.events()
        assert {"event": "ticket.changed", "ticket_id": ticket.pk} in got_alice
        assert {"event": "queues.changed"} in got_alice
        assert all(e["event"] != "ticket.changed" for e in got_carol)
        assert {"event": "queues.changed"} in got_carol
        await alice.close()
        await carol.close()

    run_scenario(scenario)


def test_an_agent_arriving_on_a_ticket_is_announced_once(people, make_ticket):
    ticket = make_ticket(subject="Presence", team="l1")
    bob = Client()
    bob.force_login(people["bob"])
    url = reverse("desk:presence", kwargs={"number": ticket.number})

    def heartbeat(**extra: str) -> None:
        assert bob.post(url, {"version": ticket.version, **extra}).status_code == 200

    async def scenario() -> None:
        alice = await Socket(people["alice"]).connect()
        await alice.send({"watch": ticket.number})
        await alice.receive()
        await sync_to_async(heartbeat)()
        assert {"event": "presence.changed", "ticket_id": ticket.pk} in await alice.events()
        # A heartbeat that changes nothing is not news; starting to reply is.
        await sync_to_async(heartbeat)()
        assert all(e["event"] != "presence.changed" for e in await alice.events())
        await sync_to_async(heartbeat)(replying="1")
        assert {"event": "presence.changed", "ticket_id": ticket.pk} in await alice.events()
        await alice.close()

    run_scenario(scenario)


def test_a_push_to_one_agent_reaches_only_that_agent(people):
    from frontdesk.desk import live

    async def scenario() -> None:
        alice = await Socket(people["alice"]).connect()
        bob = await Socket(people["bob"]).connect()
        await sync_to_async(live.push_user)(people["alice"].pk, {"event": "notification"})
        assert await alice.events() == [{"event": "notification"}]
        assert await bob.events() == []
        await alice.close()
        await bob.close()

    run_scenario(scenario)


def test_a_malformed_message_gets_an_error_not_a_crash(people):
    async def scenario() -> None:
        socket = await Socket(people["alice"]).connect()
        await socket.send({"watch": "forty-two"})
        assert (await socket.receive())["event"] == "error"
        await socket.send(["not", "an", "object"])
        assert (await socket.receive())["event"] == "error"
        await socket.send({"watch": True})  # JSON true is not a ticket number
        assert (await socket.receive())["event"] == "error"
        await socket.send({"watch": 999999})
        assert await socket.receive() == {"event": "watching", "ticket": None}
        await socket.send({"watch": 10**30})  # beyond bigint: no such ticket, no crash
        assert await socket.receive() == {"event": "watching", "ticket": None}
        await socket.close()

    run_scenario(scenario)
