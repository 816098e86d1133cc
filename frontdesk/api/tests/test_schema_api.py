"""The OpenAPI document is valid and complete; its Swagger page loads under our CSP."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi(api_as):
    response = api_as(None).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # drf-spectacular's bundled OpenAPI 3 JSON schema
    try:
        from openapi_spec_validator import validate
    except ImportError:
        pass
    else:
        validate(schema)
    paths = set(schema["paths"])
    assert {
        "/api/v1/tickets/",
        "/api/v1/tickets/{number}/",
        "/api/v1/tickets/{number}/messages/",
        "/api/v1/tickets/{number}/merge/",
        "/api/v1/tickets/{number}/links/",
        "/api/v1/tickets/{number}/solve/",
        "/api/v1/tickets/{number}/reopen/",
        "/api/v1/tickets/{number}/events/",
        "/api/v1/users/",
        "/api/v1/organizations/",
        "/api/v1/teams/",
        "/api/v1/tags/",
        "/api/v1/custom-fields/",
        "/api/v1/macros/",
        "/api/v1/macros/{id}/apply/",
        "/api/v1/views/",
        "/api/v1/views/{id}/tickets/",
        "/api/v1/me/",
    } <= paths
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert "patch" in schema["paths"]["/api/v1/tickets/{number}/"]
    assert "put" not in schema["paths"]["/api/v1/tickets/{number}/"]


def test_docs_page_loads(api_as, client, people):
    client.force_login(people["alice"])
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"/api/v1/schema/" in response.content
    assert "'unsafe-inline'" in response["Content-Security-Policy"]
    # Everywhere else the policy stays strict.
    assert "'unsafe-inline'" not in client.get("/api/v1/me/")["Content-Security-Policy"]


def test_docs_need_a_signed_in_user(client):
    assert client.get("/api/v1/docs/").status_code in (401, 403)
