"""Who may call what: most configuration is for desk staff only."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsAgent(BasePermission):
    """Agents, supervisors and admins."""

    message = "Only desk staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_agent)


def is_agent(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_agent)
