"""People, organizations and desk configuration through the API, scoped by persona."""

from __future__ import annotations

import pytest

from frontdesk.accounts.models import Role, User
from frontdesk.customers.services import organization_save
from frontdesk.tickets.models import CustomField, Macro, MessageKind, SavedView

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return [row["id"] for row in rows]


def test_customer_sees_only_herself_in_users(api_as, people):
    assert ids(api_as("dana").get("/api/v1/users/")) == [people["dana"].pk]
    assert api_as("dana").get(f"/api/v1/users/{people['dan'].pk}/").status_code == 404
    assert api_as("dana").get(f"/api/v1/users/{people['dana'].pk}/").status_code == 200


def test_agent_searches_contacts_and_agents(api_as, people):
    alice = api_as("alice")
    assert ids(alice.get("/api/v1/users/", {"q": "scully"})) == [people["dana"].pk]
    agents = set(ids(alice.get("/api/v1/users/", {"role": "agent"})))
    assert agents == {people[p].pk for p in ("alice", "bob", "carol", "sam", "ada")}
    acme = set(ids(alice.get("/api/v1/users/", {"organization": people["acme"].pk})))
    assert acme == {people["dana"].pk, people["dan"].pk}
    assert alice.get("/api/v1/users/", {"role": "boss"}).status_code == 400


def test_agent_adds_customer_contact_and_customer_cannot(api_as, people):
    response = api_as("alice").post(
        "/api/v1/users/",
        {
            "email": "Pat@Acme.example",
            "first_name": "Pat",
            "organization": people["acme"].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pat = User.objects.get(email="pat@acme.example")
    assert pat.role == Role.CUSTOMER and pat.organization == people["acme"]
    again = api_as("bob").post("/api/v1/users/", {"email": "pat@acme.example"}, format="json")
    assert again.status_code == 400 and "email" in again.json()
    sneaky = api_as("alice").post(
        "/api/v1/users/", {"email": "x@y.example", "role": "admin"}, format="json"
    )
    assert sneaky.status_code == 400 and "role" in sneaky.json()
    assert (
        api_as("dana")
        .post("/api/v1/users/", {"email": "friend@example.com"}, format="json")
        .status_code
        == 403
    )


def test_customers_see_only_their_own_organization(api_as, people):
    organization_save(
        organization=people["acme"], name="Acme", domains=["acme.example"], notes="Pays late"
    )
    dana = api_as("dana").get("/api/v1/organizations/").json()["results"]
    assert dana == [
        {
            "id": people["acme"].pk,
            "name": "Acme",
            "domains": ["acme.example"],
            "created_at": dana[0]["created_at"],
        }
    ]
    assert api_as("dana").get(f"/api/v1/organizations/{people['globex'].pk}/").status_code == 404
    agents_view = api_as("alice").get("/api/v1/organizations/").json()["results"]
    assert [o["name"] for o in agents_view] == ["Acme", "Globex"]
    assert agents_view[0]["notes"] == "Pays late"


def test_teams_and_tags_are_for_agents(api_as, make_ticket, people):
    make_ticket(tags=["billing", "bug"])
    teams = api_as("alice").get("/api/v1/teams/").json()
    assert [t["name"] for t in teams] == ["L1", "L2"]
    assert set(teams[0]["members"]) == {people["alice"].pk, people["bob"].pk}
    assert [
        t["name"] for t in api_as("alice").get("/api/v1/tags/", {"q": "bi"}).json()["results"]
    ] == ["billing"]
    assert api_as("dana").get("/api/v1/teams/").status_code == 403
    assert api_as("dana").get("/api/v1/tags/").status_code == 403


def test_customer_sees_only_customer_visible_custom_fields(api_as, make_ticket):
    CustomField.objects.create(
        key="order", label="Order number", field_type="text", customer_visible=True
    )
    CustomField.objects.create(key="root_cause", label="Root cause", field_type="text")
    assert [f["key"] for f in api_as("dana").get("/api/v1/custom-fields/").json()] == ["order"]
    assert [f["key"] for f in api_as("alice").get("/api/v1/custom-fields/").json()] == [
        "order",
        "root_cause",
    ]
    ticket = make_ticket(custom_fields={"order": "A-1", "root_cause": "toner"})
    assert api_as("dana").get(f"/api/v1/tickets/{ticket.number}/").json()["custom_fields"] == {
        "order": "A-1"
    }
    refused = api_as("dana").post(
        "/api/v1/tickets/",
        {"subject": "x", "body": "y", "custom_fields": {"root_cause": "me"}},
        format="json",
    )
    assert refused.status_code == 400 and "custom_fields.root_cause" in refused.json()


def test_agent_applies_macro_to_ticket(api_as, dana_ticket, people):
    macro = Macro.objects.create(
        name="Need model",
        body="Hi {{requester.first_name}}, which model is it?",
        actions={"status": "pending", "add_tags": ["needs-info"]},
    )
    private = Macro.objects.create(name="Bob's", body="x", owner=people["bob"])
    alice = api_as("alice")
    assert [m["name"] for m in alice.get("/api/v1/macros/").json()] == ["Need model"]
    assert alice.get(f"/api/v1/macros/{private.pk}/").status_code == 404

    preview = alice.get(f"/api/v1/macros/{macro.pk}/render/", {"ticket": dana_ticket.number})
    assert preview.json() == {"body": "Hi Dana, which model is it?"}
    response = alice.post(
        f"/api/v1/macros/{macro.pk}/apply/", {"ticket": dana_ticket.number}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["message"]["body_text"] == "Hi Dana, which model is it?"
    assert data["ticket"]["status"] == "pending"
    assert data["ticket"]["tags"] == ["needs-info"]
    assert dana_ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 2

    missing = alice.post(f"/api/v1/macros/{macro.pk}/apply/", {"ticket": 999_999}, format="json")
    assert missing.status_code == 400 and "ticket" in missing.json()
    assert (
        api_as("dana")
        .post(f"/api/v1/macros/{macro.pk}/apply/", {"ticket": dana_ticket.number}, format="json")
        .status_code
        == 403
    )


def test_macro_naming_a_removed_status_is_a_400(api_as, dana_ticket):
    macro = Macro.objects.create(name="Broken", body="", actions={"status": "gone"})
    response = api_as("alice").post(
        f"/api/v1/macros/{macro.pk}/apply/", {"ticket": dana_ticket.number}, format="json"
    )
    assert response.status_code == 400 and "macro" in response.json()


def test_saved_views_with_counts_and_tickets(api_as, make_ticket, people):
    mine = make_ticket(assignee=people["alice"])
    make_ticket()
    make_ticket(team="l2")
    views = {v["key"]: v for v in api_as("alice").get("/api/v1/views/").json()}
    assert views["my-open"]["count"] == 1
    assert views["all-open"]["count"] == 2  # Carol's team's ticket is not Alice's to see
    personal = SavedView.objects.create(name="Bob's", owner=people["bob"], filters={})
    assert personal.pk not in [v["id"] for v in api_as("alice").get("/api/v1/views/").json()]
    rows = api_as("alice").get(f"/api/v1/views/{views['my-open']['id']}/tickets/").json()
    assert [r["number"] for r in rows["results"]] == [mine.number]
    assert api_as("alice").get(f"/api/v1/views/{personal.pk}/tickets/").status_code == 404
    assert api_as("dana").get("/api/v1/views/").status_code == 403


def test_me_describes_the_caller(api_as, people):
    me = api_as("alice").get("/api/v1/me/").json()
    assert me["email"] == "alice@example.com"
    assert me["is_agent"] is True
    assert me["teams"] == [{"id": people["l1"].pk, "name": "L1"}]
    assert api_as("erik").get("/api/v1/me/").json()["language"] == "sv"
