"""The ai app's routes in the permission matrix (tests/test_permission_matrix.py)."""

from __future__ import annotations

from frontdesk.core.testing.permissions import (
    ADMIN_PAGE,
    AGENT_PAGE,
    AGENT_TICKET_POST,
    LOGIN,
    PORTAL_PAGE,
)

ADMIN_POST = {
    "anon": LOGIN,
    **dict.fromkeys(("dana", "erik", "alice", "carol", "sam"), 403),
    "ada": None,
}
SUPERVISOR_PAGE = {**AGENT_PAGE, "alice": 403, "carol": 403}
SUPERVISOR_POST = {**SUPERVISOR_PAGE, "sam": None, "ada": None}
# Only the asker may rate an answer (Dana asked); others are not told it exists.
ASKER_POST = {
    "anon": LOGIN,
    "dana": None,
    "erik": 404,
    "alice": 404,
    "carol": 404,
    "sam": 404,
    "ada": 404,
}

ROUTES = {
    "ai:ask": ("GET", PORTAL_PAGE),
    "ai:answer_feedback": ("POST", ASKER_POST),
    "ai:unanswered": ("GET", AGENT_PAGE),
    "ai:answer_draft": ("POST", {**AGENT_TICKET_POST, "carol": None}),
    "ai:suggestion_apply": ("POST", AGENT_TICKET_POST),
    "ai:cluster": ("GET", SUPERVISOR_PAGE),
    "ai:cluster_link": ("POST", SUPERVISOR_POST),
    "ai:settings": ("GET", ADMIN_PAGE),
    "ai:train": ("POST", ADMIN_POST),
}
FRESH = {"ai:cluster_link", "ai:answer_draft"}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.ai.models import BotAnswer, ClusterAlert, TriageSuggestion
    from frontdesk.core import clock

    ticket = scenario["ticket"]
    people = scenario["people"]
    answer = BotAnswer.objects.create(
        question="Where is my parcel?",
        language="en",
        user=people["dana"],
        answered=False,
        confidence=0.1,
        created_at=clock.now(),
    )
    suggestion = TriageSuggestion.objects.create(
        ticket=ticket,
        field="team",
        value=str(people["l1"].pk),
        label="L1",
        confidence=0.9,
        created_at=clock.now(),
    )
    other = type(ticket).objects.exclude(pk=ticket.pk).first()
    alert = ClusterAlert.objects.create(
        created_at=clock.now(),
        ticket_ids=[ticket.pk] + ([other.pk] if other else []),
        summary="matrix",
    )
    return {
        "ai:answer_feedback": {"pk": answer.pk},
        "ai:answer_draft": {"pk": answer.pk},
        "ai:suggestion_apply": {"number": ticket.number, "pk": suggestion.pk},
        "ai:cluster": {"pk": alert.pk},
        "ai:cluster_link": {"pk": alert.pk},
    }
