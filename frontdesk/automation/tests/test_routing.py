"""Routing stories: tickets reach L1's agents by the team's strategy, only when available."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections

from frontdesk.automation.models import AgentProfile, RoutingMode, TeamRouting
from frontdesk.automation.routing import ticket_route
from frontdesk.automation.services import agent_profile_save, automation_user, team_routing_save
from frontdesk.automation.tasks import time_rules_task
from frontdesk.automation.tests.conftest import commits_run
from frontdesk.core import clock
from frontdesk.tickets.models import Priority, Ticket
from frontdesk.tickets.services import message_add, ticket_update

pytestmark = pytest.mark.django_db


def assignees(tickets):
    return [Ticket.objects.get(pk=t.pk).assignee.first_name for t in tickets]


def test_round_robin_takes_turns(people, make_ticket):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    tickets = [make_ticket(subject=f"Request {i}") for i in range(4)]
    assert assignees(tickets) == ["Alice", "Bob", "Alice", "Bob"]


def test_manual_teams_keep_tickets_waiting(people, make_ticket):
    ticket = make_ticket()
    assert ticket.assignee is None


def test_load_balanced_fills_by_capacity_and_stops_when_everyone_is_full(people, make_ticket):
    team_routing_save(team=people["l1"], mode=RoutingMode.LOAD, reassign_unavailable=False)
    agent_profile_save(user=people["alice"], capacity=1)
    agent_profile_save(user=people["bob"], capacity=3)
    tickets = [make_ticket(subject=f"Request {i}") for i in range(5)]
    got = Counter(t.assignee.first_name if t.assignee else None for t in tickets)
    assert got == {"Alice": 1, "Bob": 3, None: 1}


def test_skills_route_swedish_tickets_to_the_swedish_speaker(people, make_ticket):
    team_routing_save(team=people["l1"], mode=RoutingMode.SKILLS, reassign_unavailable=False)
    agent_profile_save(user=people["bob"], skills=["sv"])
    agent_profile_save(user=people["alice"], skills=["billing"])
    swedish = [make_ticket(requester=people["erik"], subject=f"Hej {i}") for i in range(3)]
    assert assignees(swedish) == ["Bob", "Bob", "Bob"]
    # No skill matches: the least loaded agent gets it.
    other = make_ticket(subject="Printer")
    assert assignees([other]) == ["Alice"]


def test_only_available_agents_receive_tickets(people, make_ticket):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    agent_profile_save(user=people["alice"], availability="away")
    assert assignees([make_ticket(), make_ticket()]) == ["Bob", "Bob"]
    today = clock.now().date()
    agent_profile_save(user=people["alice"], availability="online")
    agent_profile_save(
        user=people["bob"],
        away_from=today - timedelta(days=1),
        away_until=today + timedelta(days=2),
        dates_given=True,
    )
    assert assignees([make_ticket(), make_ticket()]) == ["Alice", "Alice"]


def test_an_agent_going_off_hands_tickets_back_when_the_team_asks(people, make_ticket, settle):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=True)
    tickets = [make_ticket(subject=f"Request {i}") for i in range(4)]
    assert Counter(assignees(tickets)) == {"Alice": 2, "Bob": 2}
    agent_profile_save(user=people["alice"], availability="off")
    settle()
    assert assignees(tickets) == ["Bob"] * 4


def test_going_off_keeps_tickets_when_the_team_does_not_ask(people, make_ticket, settle):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    tickets = [make_ticket(subject=f"Request {i}") for i in range(2)]
    agent_profile_save(user=people["alice"], availability="off")
    settle()
    assert assignees(tickets) == ["Alice", "Bob"]


def test_agents_set_their_own_availability(client, people):
    client.force_login(people["alice"])
    response = client.post(
        "/automation/me/",
        {"availability": "away", "away_from": "2030-01-01", "away_until": "2029-12-01"},
    )
    assert response.status_code == 400
    assert "comes after" in response.content.decode()
    response = client.post("/automation/me/", {"availability": "away"})
    assert response.status_code == 302
    assert AgentProfile.objects.get(user=people["alice"]).availability == "away"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [RoutingMode.ROUND_ROBIN, RoutingMode.LOAD])
def test_fifty_tickets_on_two_workers_are_spread_exactly(people, make_ticket, mode):
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite has a single writer)")
    tickets = [make_ticket(subject=f"Burst {i}") for i in range(50)]
    assert all(t.assignee_id is None for t in tickets)  # the team routes by hand so far
    TeamRouting.objects.update_or_create(team=people["l1"], defaults={"mode": mode})
    for name in ("alice", "bob"):  # room for all (the default capacity is 20 each)
        AgentProfile.objects.update_or_create(user=people[name], defaults={"capacity": 30})
    actor = automation_user()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(ids: list[int]) -> None:
        try:
            barrier.wait()
            for ticket_id in ids:
                ticket_route(ticket_id=ticket_id, actor=actor)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    ids = [t.pk for t in tickets]
    threads = [threading.Thread(target=worker, args=(ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    got = Counter(assignees(tickets))
    assert got == {"Alice": 25, "Bob": 25}


@pytest.fixture
def pre_route_hooks():
    """Hooks registered by a test are forgotten after it."""
    from frontdesk.automation import routing

    saved = list(routing._pre_route_hooks)
    yield routing.pre_route_register
    routing._pre_route_hooks[:] = saved


def test_triage_hook_moves_a_new_ticket_to_l2_before_routing_picks_carol(
    people, make_ticket, pre_route_hooks
):
    team_routing_save(team=people["l2"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    calls: list[tuple[str, int]] = []

    def broken_hook(ticket_id: int) -> None:
        calls.append(("broken", ticket_id))
        # A database error inside the hook: rolled back alone, routing goes on.
        Ticket.objects.create(pk=ticket_id)

    def triage_hook(ticket_id: int) -> None:
        calls.append(("triage", ticket_id))
        ticket = Ticket.objects.get(pk=ticket_id)
        urgent = Priority.objects.get(slug="urgent")
        ticket_update(
            ticket=ticket,
            actor=automation_user(),
            changes={"team": people["l2"], "priority": urgent},
        )

    pre_route_hooks(broken_hook)
    pre_route_hooks(triage_hook)
    pre_route_hooks(broken_hook)  # registering again changes nothing
    ticket = make_ticket(subject="Database down")
    assert calls == [("broken", ticket.pk), ("triage", ticket.pk)]
    assert ticket.team == people["l2"]
    assert ticket.priority.slug == "urgent"
    assert ticket.assignee == people["carol"]
    # Only new tickets go through the hooks: a later reply does not call them again.
    message_add(ticket=ticket, author=people["dana"], body_text="Still down.")
    commits_run()
    assert len(calls) == 2


def test_routing_goes_on_when_every_hook_fails(people, make_ticket, pre_route_hooks):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)

    def failing(ticket_id: int) -> None:
        raise RuntimeError("model not loaded")

    pre_route_hooks(failing)
    assert assignees([make_ticket()]) == ["Alice"]


def test_out_of_office_dates_set_in_advance_hand_tickets_back_the_day_they_begin(
    people, make_ticket, settle
):
    team_routing_save(team=people["l1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=True)
    tickets = [make_ticket(subject=f"Request {i}") for i in range(4)]
    assert Counter(assignees(tickets)) == {"Alice": 2, "Bob": 2}
    tomorrow = clock.now().date() + timedelta(days=1)
    agent_profile_save(
        user=people["alice"], away_from=tomorrow, away_until=tomorrow, dates_given=True
    )
    settle()
    assert Counter(assignees(tickets)) == {"Alice": 2, "Bob": 2}  # still here today
    with time_machine.travel(clock.now() + timedelta(days=1), tick=False):
        time_rules_task.call_local()
        settle()
        assert assignees(tickets) == ["Bob"] * 4
