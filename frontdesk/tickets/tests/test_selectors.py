"""Who may open which ticket by its number: the compiled staff lookup agrees with the filter
every list uses, for every persona and every kind of ticket."""

from __future__ import annotations

import pytest
from django.http import Http404

from frontdesk.accounts.models import Team, TeamMembership
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import ticket_get_for, ticket_list_for

pytestmark = pytest.mark.django_db


def _opens(user, ticket) -> bool:
    try:
        found = ticket_get_for(user, ticket.number)
    except Http404:
        return False
    assert found.pk == ticket.pk
    return True


def test_staff_and_customers_open_exactly_the_tickets_their_lists_show(people, make_ticket):
    l1, l2 = Team.objects.get(name="L1"), Team.objects.get(name="L2")
    third = Team.objects.create(name="Field service", tier="L2")
    # Carol works in two teams here: the compiled lookup is made per number of teams.
    TeamMembership.objects.create(user=people["carol"], team=third)
    tickets = {
        "l1": make_ticket(),
        "l2": make_ticket(team="l2"),
        "third": make_ticket(team=third),
        "no team": make_ticket(team=None),
        "l2, assigned to Alice": make_ticket(team="l2", assignee=people["alice"]),
        "Erik's, L1": make_ticket(requester=people["erik"]),
        "Dan's (Dana's organization)": make_ticket(requester=people["dan"]),
    }
    lonely = people["bob"]
    TeamMembership.objects.filter(user=lonely).delete()  # an agent in no team at all
    lonely.refresh_from_db()
    expected = {
        "alice": {
            "l1",
            "no team",
            "l2, assigned to Alice",
            "Erik's, L1",
            "Dan's (Dana's organization)",
        },
        "bob": {"no team"},
        "carol": {"l2", "third", "no team", "l2, assigned to Alice"},
        "sam": set(tickets),
        "ada": set(tickets),
        "dana": {
            "l1",
            "l2",
            "third",
            "no team",
            "l2, assigned to Alice",
            "Dan's (Dana's organization)",
        },
        "erik": {"Erik's, L1"},
    }
    for name, visible in expected.items():
        user = lonely if name == "bob" else people[name]
        listed = set(ticket_list_for(user).values_list("pk", flat=True))
        for label, ticket in tickets.items():
            opens = _opens(user, ticket)
            assert opens == (label in visible), (name, label)
            assert opens == (ticket.pk in listed), (name, label)
    assert l1 and l2  # the fixture's teams are the ones make_ticket used


@pytest.mark.parametrize("number", [0, -5, 2**63, 10**30, True])
def test_numbers_outside_the_range_name_no_ticket(people, number):
    for user in (people["alice"], people["sam"], people["dana"]):
        with pytest.raises(Http404):
            ticket_get_for(user, number)


def test_a_deactivated_agent_opens_nothing(people, make_ticket):
    ticket = make_ticket(team=None)
    alice = people["alice"]
    assert _opens(alice, ticket)
    alice.is_active = False
    assert not _opens(alice, ticket)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_the_desk_answers_404_for_an_overlong_number(client, people):
    client.force_login(people["alice"])
    assert client.get(f"/desk/tickets/{'9' * 25}/").status_code == 404
