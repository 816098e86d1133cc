"""The rule editor as an admin uses it: rows in, JSON stored, preview of recent tickets."""

from __future__ import annotations

import pytest

from frontdesk.automation.models import TeamRouting, TimeRule, Trigger

pytestmark = pytest.mark.django_db


def rows(**extra):
    data = {
        "name": "VIP Acme",
        "description": "",
        "event": "created",
        "position": "0",
        "active": "on",
        "match": "all",
        "cond_field": ["organization.name", "ticket.subject", ""],
        "cond_op": ["eq", "contains", "eq"],
        "cond_value": ["Acme", "printer", ""],
        "act_type": ["add_tag", "notify", ""],
        "act_target": ["vip", "team", ""],
        "act_subject": ["", "", ""],
        "act_text": ["", "VIP request #{{ticket.number}}", ""],
    }
    data.update(extra)
    return data


def test_an_admin_builds_a_rule_from_rows_and_previews_it(people, make_ticket, client):
    make_ticket(subject="Printer on fire")
    make_ticket(requester=people["erik"], subject="Printer jam")
    client.force_login(people["ada"])
    preview = client.post("/automation/triggers/new/", {**rows(), "preview": "1"})
    text = preview.content.decode()
    assert preview.status_code == 200
    assert (
        "Replayed the last 2 times this event happened: the rule would have matched 1 of them."
        in text
    )
    assert "Printer on fire" in text and "Printer jam" not in text
    assert not Trigger.objects.exists()  # a preview saves nothing
    saved = client.post("/automation/triggers/new/", rows())
    assert saved.status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.conditions == {
        "all": [
            {"field": "organization.name", "op": "eq", "value": "Acme"},
            {"field": "ticket.subject", "op": "contains", "value": "printer"},
        ]
    }
    assert trigger.actions == [
        {"type": "add_tag", "tag": "vip"},
        {"type": "notify", "to": "team", "text": "VIP request #{{ticket.number}}"},
    ]
    page = client.get(saved["Location"]).content.decode()
    assert 'value="Acme"' in page and "would have matched" in page


def test_nested_conditions_are_edited_as_json_and_checked(people, client):
    client.force_login(people["ada"])
    nested = '{"any": [{"all": [{"field": "ticket.priority", "op": "eq", "value": "high"}]}]}'
    response = client.post(
        "/automation/triggers/new/",
        {**rows(), "conditions_mode": "json", "conditions_json": nested},
    )
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert "conditions_json" in client.get(f"/automation/triggers/{trigger.pk}/").content.decode()
    bad = client.post(
        f"/automation/triggers/{trigger.pk}/",
        {**rows(), "conditions_mode": "json", "conditions_json": "{not json"},
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.content.decode()
    bad_field = client.post(
        f"/automation/triggers/{trigger.pk}/",
        {**rows(), "cond_field": ["ticket.secret"], "cond_op": ["eq"], "cond_value": ["x"]},
    )
    assert bad_field.status_code == 400


def test_time_rules_routing_and_profiles_from_the_settings_page(people, client):
    client.force_login(people["ada"])
    response = client.post(
        "/automation/time-rules/new/",
        {
            **rows(act_type=["set"], act_target=["status"], act_text=["closed"]),
            "name": "Close solved",
            "status_category": "solved",
            "since": "solved_at",
            "hours": "96",
            "cond_field": [],
            "cond_op": [],
            "cond_value": [],
        },
    )
    assert response.status_code == 302
    rule = TimeRule.objects.get()
    assert (rule.since, rule.hours, rule.actions[0]["value"]) == ("solved_at", 96, "closed")
    client.post(
        f"/automation/routing/{people['l1'].pk}/",
        {"mode": "round_robin", "reassign_unavailable": "1"},
    )
    routing = TeamRouting.objects.get(team=people["l1"])
    assert (routing.mode, routing.reassign_unavailable) == ("round_robin", True)
    client.post(
        f"/automation/agents/{people['bob'].pk}/", {"capacity": "5", "skills": "sv, Billing"}
    )
    page = client.get("/automation/").content.decode()
    assert "billing, sv" in page and "Close solved" in page


def test_the_ticket_page_shows_what_the_rules_did(people, make_ticket, client):
    from frontdesk.automation.services import trigger_save

    trigger_save(
        trigger=None,
        fields={
            "name": "Tag everything",
            "event": "created",
            "conditions": {},
            "actions": [{"type": "add_tag", "tag": "seen"}],
            "active": True,
        },
    )
    ticket = make_ticket()
    client.force_login(people["alice"])
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert "Automation" in page and "Tag everything" in page and "add_tag seen" in page
    assert 'id="notification-bell"' in page
