"""Every read of the forum, scoped to the reader.

Signed-out readers see categories that are not ``signed_in_only``. Hidden topics, held
posts, hidden posts and spam are for agents (and held posts for their own author too).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from frontdesk.accounts.models import User
from frontdesk.community.models import ForumCategory, Post, PostStatus, Subscription, Topic


def _signed_in(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated)


def categories_for(user: User | None) -> QuerySet[ForumCategory]:
    categories = ForumCategory.objects.all()
    return categories if _signed_in(user) else categories.filter(signed_in_only=False)


def topic_list_for(user: User | None) -> QuerySet[Topic]:
    """Topics the reader may open, pinned first, then by latest activity."""
    topics = Topic.objects.filter(category__in=categories_for(user))
    if not (_signed_in(user) and user.is_agent):
        opened = Post.objects.filter(topic=OuterRef("pk"), is_first=True, status=PostStatus.VISIBLE)
        mine = Q(author_id=user.pk) if _signed_in(user) else Q(pk__in=[])
        topics = topics.filter(hidden=False).filter(Exists(opened) | mine)
    return topics.select_related("category", "author").order_by("-pinned", "-last_post_at", "-pk")


def topic_get_for(user: User | None, pk: int) -> Topic:
    topic = topic_list_for(user).filter(pk=pk).first()
    if topic is None:
        raise Http404("No such topic")
    return topic


def post_list_for(user: User | None, topic: Topic) -> QuerySet[Post]:
    """The posts of a topic the reader may see (the topic itself is checked by the caller)."""
    posts = Post.objects.filter(topic=topic).select_related("author")
    if _signed_in(user) and user.is_agent:
        posts = posts.select_related("ticket")  # the ticket a post was turned into
    if not (_signed_in(user) and user.is_agent):
        own_held = (
            Q(author_id=user.pk, status=PostStatus.HELD) if _signed_in(user) else Q(pk__in=[])
        )
        posts = posts.filter(Q(status=PostStatus.VISIBLE) | own_held)
    return posts


def posts_for(user: User | None, topic: Topic) -> list[Post]:
    return list(post_list_for(user, topic).order_by("created_at", "pk"))


def post_get_for(user: User | None, pk: int) -> Post:
    post = Post.objects.select_related("topic", "author").filter(pk=pk).first()
    if post is None:
        raise Http404("No such post")
    topic_get_for(user, post.topic_id)
    if post not in posts_for(user, post.topic):
        raise Http404("No such post")
    return post


def is_subscribed(user: User | None, topic: Topic) -> bool:
    return _signed_in(user) and Subscription.objects.filter(topic=topic, user=user).exists()


def moderation_queue() -> dict[str, list]:  # type: ignore[type-arg]
    posts = Post.objects.select_related("topic", "author").order_by("created_at")
    return {
        "held": list(posts.filter(status=PostStatus.HELD)[:100]),
        "spam": list(posts.filter(status=PostStatus.SPAM).order_by("-created_at")[:50]),
        "hidden_posts": list(posts.filter(status=PostStatus.HIDDEN).order_by("-created_at")[:50]),
        "hidden_topics": list(
            Topic.objects.filter(hidden=True).select_related("author").order_by("-pk")[:50]
        ),
    }
