"""The agent workspace's websocket: one connection per open page, hints only (see live.py)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from frontdesk.desk.live import AGENTS_GROUP, ticket_group, user_group
from frontdesk.tickets.selectors import ticket_get_for

# Close codes (4000-4999 are the application's): not signed in as an agent.
CLOSE_FORBIDDEN = 4403


class DeskConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_agent:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.watching: str | None = None
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        if self.watching:
            await self.channel_layer.group_discard(self.watching, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """``{"watch": <ticket number>}``: hints about that ticket, if the agent may see it."""
        watch = content.get("watch") if isinstance(content, dict) else None
        if not isinstance(watch, int) or isinstance(watch, bool):
            await self.send_json({"event": "error", "error": 'expected {"watch": number}'})
            return
        ticket_id = await self._visible_ticket_id(watch)
        if self.watching:
            await self.channel_layer.group_discard(self.watching, self.channel_name)
            self.watching = None
        if ticket_id is not None:
            self.watching = ticket_group(ticket_id)
            await self.channel_layer.group_add(self.watching, self.channel_name)
        await self.send_json(
            {"event": "watching", "ticket": content["watch"] if ticket_id else None}
        )

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["data"])

    @database_sync_to_async
    def _visible_ticket_id(self, number: int) -> int | None:
        try:
            return ticket_get_for(self.user, number).pk
        except Http404:
            return None
