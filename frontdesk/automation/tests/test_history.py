"""Rule runs appear in the ticket's History tab, between the changes they made."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.automation.services import trigger_save

pytestmark = pytest.mark.django_db


def test_history_shows_the_rules_that_acted_between_the_changes(
    client, people, make_ticket, django_capture_on_commit_callbacks
):
    trigger_save(
        trigger=None,
        fields={
            "name": "Refunds to billing",
            "event": "created",
            "conditions": {"all": [{"field": "message.body", "op": "matches", "value": "refund"}]},
            "actions": [{"type": "add_tag", "tag": "billing"}],
            "active": True,
            "position": 0,
        },
    )
    with django_capture_on_commit_callbacks(execute=True):  # the outbox jobs run
        ticket = make_ticket(subject="Invoice", body="A refund, please.")
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket_history", args=[ticket.number])).content.decode()
    assert "Rule “Refunds to billing” matched" in page
    assert "Add a tag: billing" in page
    assert page.index("Rule “Refunds to billing”") > page.index("created")
    client.force_login(people["dana"])  # customers never see the desk's history
    assert client.get(reverse("desk:ticket_history", args=[ticket.number])).status_code in {
        302,
        403,
        404,
    }
