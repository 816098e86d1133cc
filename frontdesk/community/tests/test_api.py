"""The forum over REST: readers see what the forum pages show them, nothing more."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontdesk.community.services import (
    category_save,
    post_create,
    post_moderate,
    topic_create,
    topic_moderate,
)

pytestmark = pytest.mark.django_db


def client_as(user=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def forum(people):
    """A public board with Dana's answered question, Erik's held first post, a hidden
    topic, a spam reply, and a members-only board."""
    board = category_save(name="Printers")
    members = category_save(name="Members lounge", signed_in_only=True)
    asked = topic_create(
        category=board, author=people["dana"], title="Printer jams", body_md="Card stock jams."
    )
    post_moderate(post=asked.posts.get(), actor=people["alice"], action="approve")
    answer = post_create(topic=asked, author=people["alice"], body_md="Use the manual feed.")
    spam = post_create(topic=asked, author=people["dana"], body_md="Cheap toner here")
    post_moderate(post=spam, actor=people["alice"], action="spam")
    held = topic_create(category=board, author=people["erik"], title="Hello", body_md="First!")
    hidden = topic_create(
        category=board, author=people["alice"], title="Old outage", body_md="Resolved."
    )
    topic_moderate(topic=hidden, actor=people["alice"], action="hide")
    lounge = topic_create(
        category=members, author=people["alice"], title="Welcome", body_md="Say hi."
    )
    return {"asked": asked, "answer": answer, "held": held, "hidden": hidden, "lounge": lounge}


def titles(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return {t["title"] for t in response.json()["results"]}


def test_topics_are_listed_as_the_forum_pages_list_them(forum, people):
    assert titles(client_as().get("/api/v1/community/topics/")) == {"Printer jams"}
    assert titles(client_as(people["dana"]).get("/api/v1/community/topics/")) == {
        "Printer jams",
        "Welcome",
    }
    # Erik sees his own topic while it waits for a moderator.
    assert "Hello" in titles(client_as(people["erik"]).get("/api/v1/community/topics/"))
    assert titles(client_as(people["alice"]).get("/api/v1/community/topics/")) == {
        "Printer jams",
        "Hello",
        "Old outage",
        "Welcome",
    }
    members_only = client_as().get("/api/v1/community/topics/", {"category": "members-lounge"})
    assert members_only.status_code == 400 and "category" in members_only.json()


def test_hidden_held_and_spam_stay_out_of_reach(forum, people):
    for topic in ("held", "hidden", "lounge"):
        url = f"/api/v1/community/topics/{forum[topic].pk}/"
        assert client_as().get(url).status_code == 404
        assert client_as().get(f"{url}posts/").status_code == 404
    assert (
        client_as(people["dana"]).get(f"/api/v1/community/topics/{forum['held'].pk}/").status_code
        == 404
    )
    posts = client_as().get(f"/api/v1/community/topics/{forum['asked'].pk}/posts/").json()
    bodies = [p["body_html"] for p in posts["results"]]
    assert bodies == ["<p>Card stock jams.</p>\n", "<p>Use the manual feed.</p>\n"]
    assert posts["results"][1]["by_agent"] is True
    assert "email" not in posts["results"][0]["author"]
    agent_view = client_as(people["alice"]).get(
        f"/api/v1/community/topics/{forum['asked'].pk}/posts/"
    )
    assert [p["status"] for p in agent_view.json()["results"]] == ["visible", "visible", "spam"]


def test_categories_for_signed_out_callers_leave_out_members_boards(forum, people):
    anonymous = client_as().get("/api/v1/community/categories/").json()
    assert [c["name"] for c in anonymous] == ["Printers"]
    signed_in = client_as(people["erik"]).get("/api/v1/community/categories/").json()
    assert {c["name"] for c in signed_in} == {"Printers", "Members lounge"}
