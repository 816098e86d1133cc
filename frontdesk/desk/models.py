"""Workspace state per agent: which tickets they have seen since the last change."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TicketSeen(models.Model):
    """When an agent last opened a ticket; a later update makes it stand out as unread."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket"], name="ticket_seen_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.ticket_id}"
