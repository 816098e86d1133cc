"""API clients that sign in the way integrations do: with a personal token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontdesk.accounts.services import api_token_create


@pytest.fixture
def api_as(people):
    """``api_as("dana")`` is a client carrying Dana's token; ``api_as(None)`` is anonymous."""

    def client_for(name: str | None) -> APIClient:
        client = APIClient()
        if name is not None:
            _token, key = api_token_create(user=people[name], name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for


@pytest.fixture
def dana_ticket(make_ticket):
    """The ticket every persona story looks at: Dana's request, owned by team L1."""
    return make_ticket()
