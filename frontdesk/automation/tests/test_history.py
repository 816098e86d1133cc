"""Rule runs appear in the ticket's History tab, between the changes they made."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from frontdesk.automation.services import trigger_save

pytestmark = pytest.mark.django_db


def test_history_shows_the_rules_that_acted_between_the_changes(client, people, make_ticket):
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
    ticket = make_ticket(subject="Invoice", body="A refund, please.")
    while connection.run_on_commit:  # the outbox jobs run as after a real commit
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in callbacks:
            func()
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
