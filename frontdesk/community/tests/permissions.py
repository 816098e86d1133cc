"""The community forum's routes in the permission matrix (see core/testing/permissions.py).

Scenario: Dana asked "Matrix topic" in a public category (approved by Alice); Alice
replied. Reading is open to everyone; posting needs sign-in; moderation is for agents.
"""

from __future__ import annotations

from frontdesk.core.testing.permissions import AGENT_PAGE, LOGIN, PERSONAS

PUBLIC_PAGE = dict.fromkeys(PERSONAS, 200)
SIGNED_IN_PAGE = {"anon": LOGIN, **dict.fromkeys(PERSONAS[1:], 200)}
SIGNED_IN_BAD_POST = {"anon": LOGIN, **dict.fromkeys(PERSONAS[1:], 400)}
SIGNED_IN_POST = {"anon": LOGIN, **dict.fromkeys(PERSONAS[1:], 302)}
AGENT_POST = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": None,
    "carol": None,
    "sam": None,
    "ada": None,
}

API_BAD_POST = {"anon": 401, **dict.fromkeys(PERSONAS[1:], 400)}
API_POST_OK = {"anon": 401, **dict.fromkeys(PERSONAS[1:], 200)}

ROUTES = {
    "community:home": ("GET", PUBLIC_PAGE),
    "community:category": ("GET", PUBLIC_PAGE),
    "community:topic": ("GET", PUBLIC_PAGE),
    "community:topic_new": ("GET", SIGNED_IN_PAGE),
    # Empty forms are refused with 400 once signed in; real posts are in test_forum.py.
    "community:reply": ("POST", SIGNED_IN_BAD_POST),
    "community:vote": ("POST", SIGNED_IN_BAD_POST),
    "community:subscribe": ("POST", SIGNED_IN_POST),
    "community:accept": ("POST", {**SIGNED_IN_POST, "erik": 403}),
    "community:edit": ("GET", {**AGENT_PAGE}),
    "community:history": ("GET", AGENT_PAGE),
    "community:moderation": ("GET", AGENT_PAGE),
    "community:topic_moderate": ("POST", AGENT_POST),
    "community:post_moderate": ("POST", AGENT_POST),
    "community:to_ticket": ("POST", AGENT_POST),
    "community:to_article": ("POST", AGENT_POST),
    # REST API: reads show what the pages show, also without credentials. Writes need a
    # sign-in (401); an empty payload is a 400 naming the field; only the author or an
    # agent edits Alice's answer, only the asker (Dana) or an agent accepts it (a toggle).
    # Creating a topic (POST on the topic list) is tried per persona in test_api.py.
    "api:forum-category-list": ("GET", PUBLIC_PAGE),
    "api:forum-topic-list": ("GET", PUBLIC_PAGE),
    "api:forum-topic-detail": ("GET", PUBLIC_PAGE),
    "api:forum-topic-posts": ("GET", PUBLIC_PAGE),
    "api:forum-topic-reply": ("POST", API_BAD_POST),
    "api:forum-topic-post-vote": ("POST", API_BAD_POST),
    "api:forum-topic-post-accept": ("POST", {**API_POST_OK, "erik": 403}),
    "api:forum-topic-post-edit": ("POST", {**API_BAD_POST, "dana": 403, "erik": 403}),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.community.models import Post, Topic
    from frontdesk.community.services import (
        category_save,
        post_create,
        post_moderate,
        topic_create,
    )

    people = scenario["people"]
    topic = Topic.objects.filter(title="Matrix topic").first()
    if topic is None:
        category = category_save(name="Matrix board")
        topic = topic_create(
            category=category, author=people["dana"], title="Matrix topic", body_md="Question?"
        )
        post_moderate(post=topic.posts.get(), actor=people["alice"], action="approve")
        post_create(topic=topic, author=people["alice"], body_md="Answer.")
    reply = Post.objects.get(topic=topic, is_first=False)
    on_topic = {"pk": topic.pk}
    on_reply = {"pk": reply.pk}
    return {
        "community:category": {"slug": topic.category.slug},
        "community:topic": on_topic,
        "community:reply": on_topic,
        "community:subscribe": on_topic,
        "community:topic_moderate": on_topic,
        "community:to_article": on_topic,
        "community:vote": on_reply,
        "community:accept": on_reply,
        "community:edit": on_reply,
        "community:history": on_reply,
        "community:post_moderate": on_reply,
        "community:to_ticket": on_reply,
        "api:forum-topic-detail": on_topic,
        "api:forum-topic-posts": on_topic,
        "api:forum-topic-reply": on_topic,
        "api:forum-topic-post-vote": {"pk": topic.pk, "post_id": reply.pk},
        "api:forum-topic-post-accept": {"pk": topic.pk, "post_id": reply.pk},
        "api:forum-topic-post-edit": {"pk": topic.pk, "post_id": reply.pk},
    }
