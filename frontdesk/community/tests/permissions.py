"""The community forum's routes in the permission matrix (see core/testing/permissions.py)."""

from __future__ import annotations

from frontdesk.core.testing.permissions import AGENT_PAGE, PERSONAS

ROUTES = {
    "community:home": ("GET", dict.fromkeys(PERSONAS, 200)),
    "community:moderation": ("GET", AGENT_PAGE),
}
