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


TOPICS = "/api/v1/community/topics/"


def test_erik_asks_through_the_api_and_waits_for_a_moderator(forum, people):
    erik = client_as(people["erik"])
    response = erik.post(
        TOPICS,
        {"category": "printers", "title": "Toner smears", "body_md": "Smears on **every** page"},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["first_post"]["status"] == "held"
    assert "<strong>every</strong>" in created["first_post"]["body_html"]
    assert "Toner smears" not in titles(client_as().get(TOPICS))
    assert "Toner smears" in titles(erik.get(TOPICS))
    # A moderator approves: everyone sees it.
    from frontdesk.community.models import Post

    post_moderate(
        post=Post.objects.get(pk=created["first_post"]["id"]),
        actor=people["alice"],
        action="approve",
    )
    assert "Toner smears" in titles(client_as().get(TOPICS))


def test_bad_input_names_the_field(forum, people):
    dana = client_as(people["dana"])
    cases = [
        ({"title": "x", "body_md": "y"}, "category"),
        ({"category": "members-lounge-nope", "title": "x", "body_md": "y"}, "category"),
        ({"category": "printers", "title": "   ", "body_md": "y"}, "title"),
        ({"category": "printers", "title": "x", "body_md": " "}, "body_md"),
        ({"category": "printers", "title": "x", "body_md": "y", "stauts": 1}, "stauts"),
    ]
    for payload, field in cases:
        response = dana.post(TOPICS, payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), (payload, response.json())
    asked = forum["asked"]
    answer = forum["answer"]
    vote = f"{TOPICS}{asked.pk}/posts/{answer.pk}/vote/"
    response = dana.post(vote, {"value": "sideways"}, format="json")
    assert response.status_code == 400 and "value" in response.json()
    own = f"{TOPICS}{asked.pk}/posts/{answer.pk}/vote/"
    response = client_as(people["alice"]).post(own, {"value": "up"}, format="json")
    assert response.status_code == 400 and "post" in response.json()
    assert client_as().post(TOPICS, {}, format="json").status_code == 401
    # Signed-out callers may not post even in a public board.
    assert client_as().post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "hi"}).status_code == 401


def test_replies_votes_and_accepting_through_the_api(forum, people):
    asked, answer = forum["asked"], forum["answer"]
    dana, erik = client_as(people["dana"]), client_as(people["erik"])
    reply = dana.post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "Thanks, trying it."})
    # A moderator marked another post of hers as spam: her replies wait for review.
    assert reply.status_code == 201 and reply.json()["status"] == "held"
    vote = erik.post(f"{TOPICS}{asked.pk}/posts/{answer.pk}/vote/", {"value": "up"})
    assert vote.status_code == 200 and vote.json()["score"] == 1
    # Only the asker (or an agent) accepts.
    accept = f"{TOPICS}{asked.pk}/posts/{answer.pk}/accept/"
    assert erik.post(accept).status_code == 403
    response = dana.post(accept)
    assert response.status_code == 200 and response.json()["accepted_post"] == answer.pk
    # A post of another topic is not this topic's post.
    other = topic_create(
        category=asked.category, author=people["alice"], title="Other", body_md="x"
    )
    assert dana.post(f"{TOPICS}{other.pk}/posts/{answer.pk}/accept/").status_code == 404
    # Locked: customers' replies are refused, naming the topic; agents may still answer.
    topic_moderate(topic=asked, actor=people["alice"], action="lock")
    locked = dana.post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "More?"})
    assert locked.status_code == 400 and "topic" in locked.json()
    agent = client_as(people["alice"]).post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "Done."})
    assert agent.status_code == 201


def test_the_hourly_limit_holds_through_the_api(forum, people, settings):
    settings.COMMUNITY_POSTS_PER_HOUR = 1
    asked = forum["asked"]
    dana = client_as(people["dana"])
    # Dana posted the question and a (spam) reply within the hour already.
    response = dana.post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "One more"})
    assert response.status_code == 429
    assert (
        client_as(people["alice"])
        .post(f"{TOPICS}{asked.pk}/reply/", {"body_md": "Agents have no limit"})
        .status_code
        == 201
    )


def test_edits_through_the_api_are_moderated_and_kept(forum, people):
    asked, answer = forum["asked"], forum["answer"]
    question = asked.posts.get(is_first=True)
    edit = f"{TOPICS}{asked.pk}/posts/{question.pk}/edit/"
    assert client_as(people["erik"]).post(edit, {"body_md": "vandal"}).status_code == 403
    response = client_as(people["dana"]).post(edit, {"body_md": "Card stock jams, tray 2."})
    # Dana's other reply was marked as spam: her edits now wait for a moderator.
    assert response.status_code == 200 and response.json()["status"] == "held"
    assert [r.body_md for r in question.revisions.all()] == ["Card stock jams."]
    assert client_as().get(f"{TOPICS}{asked.pk}/").status_code == 404
    fixed = client_as(people["alice"]).post(
        f"{TOPICS}{asked.pk}/posts/{answer.pk}/edit/", {"body_md": "Use the manual feed slot."}
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "visible"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anon", 401), ("dana", 201), ("erik", 201), ("alice", 201), ("sam", 201)],
)
def test_who_may_start_a_topic_through_the_api(forum, people, persona, expected):
    client = client_as(None if persona == "anon" else people[persona])
    response = client.post(
        TOPICS, {"category": "printers", "title": "Question", "body_md": "Why?"}, format="json"
    )
    assert response.status_code == expected
    # The members' board takes topics from signed-in people only (and anon cannot post).
    members = {"category": "members-lounge", "title": "Hi", "body_md": "Hello"}
    assert client.post(TOPICS, members, format="json").status_code == (
        401 if persona == "anon" else 201
    )
