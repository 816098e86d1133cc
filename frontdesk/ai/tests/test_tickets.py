"""Agents on the ticket page: triage suggestions with one-click apply, auto-apply only when
the admin switched it on, similar tickets with their solutions, recurring-issue alerts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from frontdesk.ai import store
from frontdesk.ai.models import ClusterAlert, TriageSuggestion
from frontdesk.ai.services import ai_settings_save
from frontdesk.ai.similar import clusters_alert, similar_tickets
from frontdesk.ai.triage import triage_apply, triage_train
from frontdesk.tickets.models import MessageKind, Status, TicketLink, TicketType
from frontdesk.tickets.services import message_add, ticket_update

pytestmark = pytest.mark.django_db

PRINTER = [
    "printer jammed",
    "printer out of toner",
    "printer prints blank pages",
    "printer offline",
]
PASSWORD = [
    "forgot my password",
    "password reset link expired",
    "cannot log in password",
    "locked out",
]


def _solve(ticket, people, reply=""):
    if reply:
        message_add(ticket=ticket, author=people["alice"], body_text=reply, kind=MessageKind.PUBLIC)
    ticket_update(
        ticket=ticket, actor=people["sam"], changes={"status": Status.objects.get(slug="solved")}
    )


@pytest.fixture
def history(make_ticket, people):
    incident = TicketType.objects.get(slug="incident")
    question = TicketType.objects.get(slug="question")
    for n in range(7):
        for subject in PRINTER:
            t = make_ticket(
                subject=f"{subject} {n}", body=f"The {subject} on floor {n}.", team="l2"
            )
            ticket_update(ticket=t, actor=people["sam"], changes={"ticket_type": incident})
            _solve(t, people)
        for subject in PASSWORD:
            t = make_ticket(subject=f"{subject} {n}", body=f"I {subject}, help {n}.", team="l1")
            ticket_update(ticket=t, actor=people["sam"], changes={"ticket_type": question})
            _solve(t, people)


def test_agent_sees_suggestions_and_applies_one_in_one_click(history, make_ticket, people, client):
    model = triage_train()
    assert model.report["team"]["accuracy"] >= 0.9
    ticket = make_ticket(subject="the printer is jammed again", body="printer jammed", team=None)
    triage_apply(ticket.pk)
    suggestion = TriageSuggestion.objects.get(ticket=ticket, field="team")
    assert suggestion.value == str(people["l2"].pk)
    ticket.refresh_from_db()
    assert ticket.team_id is None  # suggested, not applied: auto-apply is off
    client.force_login(people["sam"])
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Suggested" in page and "L2" in page
    client.post(reverse("ai:suggestion_apply", args=[ticket.number, suggestion.pk]))
    ticket.refresh_from_db()
    assert ticket.team == people["l2"]
    suggestion.refresh_from_db()
    assert suggestion.applied_by == people["sam"]


def test_auto_apply_only_when_switched_on_and_only_once(history, make_ticket, people):
    ai_settings_save(changes={"triage_auto": {"team": True}, "triage_targets": {"team": 0.8}})
    triage_train()
    # A new ticket is triaged by its own message.created job (make_ticket runs the outbox).
    ticket = make_ticket(subject="forgot my password again", body="password reset", team=None)
    ticket.refresh_from_db()
    assert ticket.team == people["l1"]
    assert TriageSuggestion.objects.get(ticket=ticket, field="team").applied_at is not None
    # An agent moves it; a rerun of triage does not move it back.
    ticket_update(ticket=ticket, actor=people["sam"], changes={"team": people["l2"]})
    triage_apply(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.team == people["l2"]


def test_customer_never_sees_triage_or_similar_tickets(history, make_ticket, people, client):
    triage_train()
    ticket = make_ticket(subject="printer jammed", team=None)
    client.force_login(people["dana"])
    page = client.get(reverse("portal:request_detail", args=[ticket.number])).content.decode()
    assert "Suggested" not in page and "Similar tickets" not in page


def test_similar_solved_ticket_shows_its_solution(semantic, make_ticket, people):
    old = make_ticket(subject="VPN disconnects every hour", body="The VPN drops hourly.")
    _solve(old, people, reply="Update the VPN client to 5.2; the hourly drop is fixed there.")
    make_ticket(subject="Invoice address wrong", body="Please fix my invoice address.")
    new = make_ticket(subject="VPN keeps dropping each hour", body="My VPN connection drops.")
    found = similar_tickets(people["alice"], new)
    assert [s.ticket.pk for s in found.solved] == [old.pk]
    assert "Update the VPN client" in found.solved[0].solution
    assert all(s.ticket.subject != "Invoice address wrong" for s in found.open)
    # Carol (L2) may not see L1's tickets: none are listed for her.
    found_for_carol = similar_tickets(people["carol"], new)
    assert not found_for_carol.solved and not found_for_carol.open


def test_ticket_page_loads_similar_tickets_after_the_page(semantic, make_ticket, people, client):
    """The panel is a placeholder on the ticket page (the page does not wait for the
    neighbour search) and its own request lists the solved look-alike with its solution."""
    old = make_ticket(subject="VPN disconnects every hour", body="The VPN drops hourly.")
    _solve(old, people, reply="Update the VPN client to 5.2; the hourly drop is fixed there.")
    new = make_ticket(subject="VPN keeps dropping each hour", body="My VPN connection drops.")
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket", args=[new.number])).content.decode()
    panel_url = reverse("desk:ticket_panel", args=[new.number, "ai-similar"])
    assert panel_url in page and "Update the VPN client" not in page
    panel = client.get(panel_url).content.decode()
    assert "Similar tickets" in panel and f"#{old.number}" in panel
    assert "Update the VPN client" in panel


def test_ticket_index_survives_a_restart(semantic, make_ticket, people):
    old = make_ticket(subject="VPN disconnects every hour", body="The VPN drops hourly.")
    assert store.ticket_index_rebuild(model=semantic.name) >= 1
    later = make_ticket(subject="VPN drops every hour for me too", body="hourly VPN drop")
    # A new process: nothing loaded; the index file plus the newer rows give both.
    store._ticket_indexes.clear()
    found = similar_tickets(people["sam"], later)
    assert old.pk in [s.ticket.pk for s in found.open]


def test_fast_growing_cluster_alerts_supervisors_and_links_in_one_click(
    semantic, make_ticket, people, client
):
    ai_settings_save(changes={"cluster_size": 3, "cluster_minutes": 30})
    tickets = [
        make_ticket(subject=s, body=s)
        for s in (
            "Checkout page gives error 500",
            "Error 500 when I try to check out",
            "checkout fails with a 500 error",
        )
    ]
    make_ticket(subject="Change my delivery address", body="New address please")
    mail.outbox.clear()
    from frontdesk.ai.tests.conftest import commits_run

    alerts = clusters_alert()
    commits_run()
    assert len(alerts) == 1
    assert set(alerts[0].ticket_ids) == {t.pk for t in tickets}
    assert "500" in alerts[0].summary
    assert [m.to for m in mail.outbox] == [[people["sam"].email]]
    assert clusters_alert() == []  # the same cluster is not reported twice
    client.force_login(people["sam"])
    client.post(reverse("ai:cluster_link", args=[alerts[0].pk]))
    parent = min(tickets, key=lambda t: t.pk)
    assert TicketLink.objects.filter(source=parent, kind="parent").count() == 2
    assert ClusterAlert.objects.get().parent == parent


def test_triage_runs_before_routing_so_an_l2_ticket_goes_to_an_l2_agent(
    history, make_ticket, people
):
    from frontdesk.automation.models import RoutingMode
    from frontdesk.automation.services import team_routing_save, trigger_save

    team_routing_save(team=people["l2"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=False)
    trigger_save(
        trigger=None,
        fields={
            "name": "New L2 tickets are hardware",
            "event": "created",
            "conditions": {"all": [{"field": "ticket.team", "op": "eq", "value": "L2"}]},
            "actions": [{"type": "add_tag", "tag": "hardware"}],
            "active": True,
            "position": 0,
        },
    )
    ai_settings_save(changes={"triage_auto": {"team": True}, "triage_targets": {"team": 0.8}})
    triage_train()
    ticket = make_ticket(subject="printer jammed again", body="The printer jammed.", team=None)
    assert ticket.team == people["l2"]
    assert TriageSuggestion.objects.get(ticket=ticket, field="team").applied_at is not None
    # Routing saw the team triage set: Carol, L2's agent, has it; and so did the rules
    # for new tickets, which run before routing too.
    assert ticket.assignee == people["carol"]
    assert list(ticket.tags.values_list("name", flat=True)) == ["hardware"]
