"""The ticket serializers write their output by hand (it is the hot part of every ticket
response); here that output is held to what DRF renders from the declared fields, so the
schema, the docs and the responses cannot drift apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from frontdesk.api.selectors import ticket_reload
from frontdesk.api.serializers import CustomerTicketSerializer, TicketSerializer
from frontdesk.tickets.models import CustomField, FieldType
from frontdesk.tickets.services import ticket_merge, ticket_update

pytestmark = pytest.mark.django_db


def declared_rendering(serializer) -> dict:
    """DRF's own field-by-field rendering of the declared fields."""
    return serializers.Serializer.to_representation(serializer, serializer.instance)


@pytest.fixture
def full_ticket(people, make_ticket):
    """A ticket with every field filled: assignee, team, organization, CCs, tags, custom
    fields, due and solved times, merged into another."""
    CustomField.objects.create(
        key="asset", label="Asset", field_type=FieldType.TEXT, customer_visible=True
    )
    CustomField.objects.create(key="cost", label="Cost", field_type=FieldType.NUMBER)
    ticket = make_ticket(assignee=people["alice"])
    ticket_update(
        ticket=ticket,
        actor=people["alice"],
        changes={
            "cc": [people["erik"]],
            "tags": ["printer", "vip"],
            "custom_fields": {"asset": "PRN-7", "cost": 12},
            "due_at": timezone.now() + timedelta(days=2),
            "urgency": "high",
        },
    )
    survivor = make_ticket(subject="The same printer")
    ticket_merge(source=ticket, target=survivor, actor=people["alice"])
    return ticket_reload(ticket)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Stockholm"])
def test_agent_view_of_a_ticket_is_what_its_declared_fields_render(full_ticket, zone):
    with timezone.override(zone):
        serializer = TicketSerializer(full_ticket)
        assert serializer.data == declared_rendering(serializer)
        assert list(serializer.data) == list(serializer.fields)
    assert serializer.data["merged_into"] is not None
    assert serializer.data["tags"] == ["printer", "vip"]
    assert serializer.data["cc"][0]["email"] == "erik@example.org"


def test_customer_view_shows_only_visible_custom_fields(full_ticket):
    serializer = CustomerTicketSerializer(
        full_ticket, context={"customer_field_keys": frozenset({"asset"})}
    )
    expected = declared_rendering(serializer)
    expected["custom_fields"] = {"asset": "PRN-7"}
    assert serializer.data == expected
    assert list(serializer.data) == list(serializer.fields)


def test_a_bare_ticket_renders_its_empty_fields_as_drf_does(people, make_ticket):
    ticket = ticket_reload(make_ticket(team=None))
    serializer = TicketSerializer(ticket)
    assert serializer.data == declared_rendering(serializer)
    assert serializer.data["team"] is None
    assert serializer.data["assignee"] is None
    assert serializer.data["merged_into"] is None
