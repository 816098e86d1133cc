"""Forum threads in the help-center search (the "thread" kind of knowledge.search)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse

from frontdesk.accounts.models import User
from frontdesk.community.models import Post, PostStatus, Topic
from frontdesk.community.selectors import topic_list_for
from frontdesk.knowledge.markdown import html_text
from frontdesk.knowledge.search import (
    Hit,
    SearchDoc,
    backend,
    kind_register,
    vocabulary_changed,
)


def _doc(topic: Topic, posts: list[Post]) -> SearchDoc:
    return SearchDoc(
        kind="thread",
        object_id=topic.pk,
        language=topic.language,
        title=topic.title,
        body="\n".join(html_text(p.body_html) for p in posts)[:200_000],
    )


def thread_index(topic_id: int) -> None:
    """Index a thread's visible posts; a hidden thread (or one with none) leaves the index."""
    topic = Topic.objects.filter(pk=topic_id).first()
    posts = (
        list(Post.objects.filter(topic_id=topic_id, status=PostStatus.VISIBLE).order_by("pk"))
        if topic
        else []
    )
    with transaction.atomic():
        if topic is None or topic.hidden or not any(p.is_first for p in posts):
            backend().docs_delete("thread", [topic_id])
        else:
            backend().docs_upsert([_doc(topic, posts)])
    vocabulary_changed()


def _reindex_all() -> int:
    count = 0
    for topic in Topic.objects.filter(hidden=False).iterator(chunk_size=500):
        thread_index(topic.pk)
        count += 1
    return count


def _resolve(user: User | None, ids: list[int], category: str) -> dict[int, Hit]:
    topics = topic_list_for(user).filter(pk__in=ids)
    if category:
        topics = topics.filter(category__slug=category)
    # The question's text comes along in the same query (one round trip per search).
    first_html = Post.objects.filter(
        topic_id=OuterRef("pk"), is_first=True, status=PostStatus.VISIBLE
    ).values("body_html")[:1]
    topics = topics.annotate(first_html=Subquery(first_html))
    hits = {}
    for topic in topics:
        hits[topic.pk] = Hit(
            kind="thread",
            object_id=topic.pk,
            title=topic.title,
            url=reverse("community:topic", args=[topic.pk]),
            language=topic.language,
            text=html_text(topic.first_html or ""),
            label=topic.category.name,
        )
    return hits


def _vocabulary(user: User | None) -> Iterable[str]:
    topics = topic_list_for(user)
    if not (user is not None and user.is_authenticated and user.is_agent):
        # Spelling lists are shared by everyone in an organization: leave out the titles
        # only their author may see (their own topics still held for review).
        topics = topics.filter(
            Exists(
                Post.objects.filter(topic=OuterRef("pk"), is_first=True, status=PostStatus.VISIBLE)
            )
        )
    return topics.values_list("title", flat=True)[:5000]


def register() -> None:
    kind_register(
        "thread", code=1, resolve=_resolve, reindex_all=_reindex_all, vocabulary=_vocabulary
    )


register()
