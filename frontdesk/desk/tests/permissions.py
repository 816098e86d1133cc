"""The desk's routes that are not in the matrix's own list (tests/test_permission_matrix.py)."""

from __future__ import annotations

from frontdesk.core.testing.permissions import AGENT_TICKET_PAGE

ROUTES = {
    # Carol (L2) is not told Dana's L1 ticket exists.
    "desk:ticket_panel": ("GET", AGENT_TICKET_PAGE),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.desk.extensions import TicketPanel, entries

    panels = entries(TicketPanel)
    key = panels[0].key if panels else "none"
    return {"desk:ticket_panel": {"number": scenario["ticket"].number, "key": key}}
