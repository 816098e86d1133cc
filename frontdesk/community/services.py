"""Every write of the community forum.

Anyone signed in may post; agents moderate. New members' first posts can be held for
review (``COMMUNITY_HOLD_FIRST_POSTS``) and customers may post at most
``COMMUNITY_POSTS_PER_HOUR`` times an hour. Mails to subscribers and mentioned people go
out after the commit (outbox topic "community.post_visible").
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from frontdesk.accounts.models import User
from frontdesk.community.models import (
    ForumCategory,
    Post,
    PostRevision,
    PostStatus,
    Subscription,
    Topic,
    Vote,
)
from frontdesk.core import clock
from frontdesk.core.services import outbox_add
from frontdesk.knowledge.markdown import markdown_render, slugify
from frontdesk.knowledge.models import Article
from frontdesk.knowledge.services import article_draft_create
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, Ticket
from frontdesk.tickets.services import message_receive

TOPIC_POST_VISIBLE = "community.post_visible"
TOPIC_THREAD_CHANGED = "community.thread_changed"
MAX_BODY = 50_000


class PostingTooFast(ValidationError):  # noqa: N818 - reads as what happened
    """The author reached the hourly posting limit (pages show it; the API answers 429)."""


def _hold_first_posts() -> bool:
    return bool(getattr(settings, "COMMUNITY_HOLD_FIRST_POSTS", True))


def _posts_per_hour() -> int:
    return int(getattr(settings, "COMMUNITY_POSTS_PER_HOUR", 10))


def category_save(
    *, name: str, slug: str = "", description: str = "", position: int = 0,
    signed_in_only: bool = False, category: ForumCategory | None = None,
) -> ForumCategory:  # fmt: skip
    category = category or ForumCategory()
    category.name = name.strip()
    category.slug = slug or category.slug or slugify(name)
    category.description = description
    category.position = position
    category.signed_in_only = signed_in_only
    category.full_clean()
    category.save()
    return category


def _check_body(body_md: str) -> None:
    if not body_md.strip():
        raise ValidationError({"body_md": _("Write something first.")})
    if len(body_md) > MAX_BODY:
        raise ValidationError({"body_md": _("That is too long for one post.")})


def _check_can_post(author: User, body_md: str) -> None:
    _check_body(body_md)
    if author.is_agent:
        return
    since = clock.now() - timedelta(hours=1)
    recent = Post.objects.filter(author=author, created_at__gte=since).count()
    if recent >= _posts_per_hour():
        raise PostingTooFast(
            _("You have posted a lot in the last hour. Please wait a little and try again.")
        )


def _initial_status(author: User) -> str:
    """A customer's first post waits for a moderator when holding is on; so does every
    post of someone a moderator marked as a spammer (their posts are held from then on)."""
    if author.is_agent:
        return PostStatus.VISIBLE
    if Post.objects.filter(author=author, status=PostStatus.SPAM).exists():
        return PostStatus.HELD
    if not _hold_first_posts():
        return PostStatus.VISIBLE
    has_visible = Post.objects.filter(author=author, status=PostStatus.VISIBLE).exists()
    return PostStatus.VISIBLE if has_visible else PostStatus.HELD


def _post_new(*, topic: Topic, author: User, body_md: str, is_first: bool) -> Post:
    now = clock.now()
    post = Post.objects.create(
        topic=topic,
        author=author,
        body_md=body_md,
        body_html=markdown_render(body_md),
        status=_initial_status(author),
        is_first=is_first,
        by_agent=author.is_agent,
        created_at=now,
    )
    Subscription.objects.get_or_create(topic=topic, user=author)
    if post.status == PostStatus.VISIBLE:
        _became_visible(post)
    return post


def _became_visible(post: Post) -> None:
    # Greatest: an older post approved late (or an approved edit) does not move the topic
    # back in the list.
    Topic.objects.filter(pk=post.topic_id).update(
        last_post_at=Greatest(F("last_post_at"), Value(post.created_at))
    )
    if not post.is_first:
        Topic.objects.filter(pk=post.topic_id).update(reply_count=F("reply_count") + 1)
    outbox_add(topic=TOPIC_POST_VISIBLE, payload={"post_id": post.pk})
    _thread_changed(post.topic_id)


def _thread_changed(topic_id: int) -> None:
    outbox_add(topic=TOPIC_THREAD_CHANGED, payload={"topic_id": topic_id})


@transaction.atomic
def topic_create(
    *, category: ForumCategory, author: User, title: str, body_md: str, language: str = "en"
) -> Topic:
    """A new topic with its first post (held for review when the author is new)."""
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("Give your topic a title.")})
    _check_can_post(author, body_md)
    now = clock.now()
    topic = Topic.objects.create(
        category=category,
        title=title[:200],
        author=author,
        language=language if language in {"en", "sv"} else "en",
        created_at=now,
        last_post_at=now,
    )
    _post_new(topic=topic, author=author, body_md=body_md, is_first=True)
    return topic


@transaction.atomic
def post_create(*, topic: Topic, author: User, body_md: str) -> Post:
    """A reply. Locked topics take replies from agents only."""
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.locked and not author.is_agent:
        raise ValidationError(_("This topic is locked: it takes no new replies."))
    _check_can_post(author, body_md)
    return _post_new(topic=topic, author=author, body_md=body_md, is_first=False)


def can_edit(post: Post, user: User) -> bool:
    return bool(user.is_authenticated and (user.is_agent or post.author_id == user.pk))


@transaction.atomic
def post_edit(*, post: Post, editor: User, body_md: str) -> Post:
    """Change a post; what it said before is kept as a revision.

    An edit goes through moderation as a new post would: when the editor's posts are held
    (a new member, or one marked as a spammer), a visible post goes back to the queue and
    readers see it again once a moderator approves it. Agents' edits are not held.
    """
    if not can_edit(post, editor):
        raise PermissionDenied
    _check_body(body_md)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if body_md == post.body_md:
        return post
    now = clock.now()
    PostRevision.objects.create(post=post, body_md=post.body_md, editor=editor, created_at=now)
    post.body_md = body_md
    post.body_html = markdown_render(body_md)
    post.edited_at = now
    post.save(update_fields=["body_md", "body_html", "edited_at"])
    if post.status == PostStatus.VISIBLE and _initial_status(editor) == PostStatus.HELD:
        _status_set(post, PostStatus.HELD)
    else:
        _thread_changed(post.topic_id)
    return post


@transaction.atomic
def post_vote(*, post: Post, user: User, value: int) -> Post:
    """One vote per person and post; voting the same again takes the vote back."""
    if value not in (1, -1):
        raise ValidationError(_("A vote is up or down."))
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot vote on your own post."))
    existing = Vote.objects.select_for_update().filter(post=post, user=user).first()
    if existing is None:
        try:
            with transaction.atomic():
                Vote.objects.create(post=post, user=user, value=value)
        except IntegrityError:
            pass  # a double click: the first one counted
    elif existing.value == value:
        existing.delete()
    else:
        existing.value = value
        existing.save(update_fields=["value"])
    score = Vote.objects.filter(post=post).aggregate(total=Sum("value"))["total"] or 0
    Post.objects.filter(pk=post.pk).update(score=score)
    post.score = score
    return post


def can_accept(topic: Topic, user: User) -> bool:
    return bool(user.is_authenticated and (user.is_agent or topic.author_id == user.pk))


@transaction.atomic
def post_accept(*, post: Post, actor: User) -> Topic:
    """Mark the answer that solved it (by the asker or an agent); again to unmark."""
    topic = Topic.objects.select_for_update().get(pk=post.topic_id)
    if not can_accept(topic, actor):
        raise PermissionDenied
    if post.is_first or post.status != PostStatus.VISIBLE:
        raise ValidationError(_("Only a visible reply can be the accepted answer."))
    topic.accepted_post = None if topic.accepted_post_id == post.pk else post
    topic.save(update_fields=["accepted_post"])
    return topic


def topic_subscribe(*, topic: Topic, user: User, subscribe: bool) -> None:
    if subscribe:
        Subscription.objects.get_or_create(topic=topic, user=user)
    else:
        Subscription.objects.filter(topic=topic, user=user).delete()


TOPIC_ACTIONS = {
    "pin": ("pinned", True),
    "unpin": ("pinned", False),
    "lock": ("locked", True),
    "unlock": ("locked", False),
    "hide": ("hidden", True),
    "unhide": ("hidden", False),
}


@transaction.atomic
def topic_moderate(*, topic: Topic, actor: User, action: str) -> Topic:
    if not actor.is_agent:
        raise PermissionDenied
    if action not in TOPIC_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    field, value = TOPIC_ACTIONS[action]
    setattr(topic, field, value)
    topic.save(update_fields=[field])
    _thread_changed(topic.pk)
    return topic


POST_ACTIONS = {
    "approve": PostStatus.VISIBLE,
    "unhide": PostStatus.VISIBLE,
    "hide": PostStatus.HIDDEN,
    "spam": PostStatus.SPAM,
}


@transaction.atomic
def post_moderate(*, post: Post, actor: User, action: str) -> Post:
    """Approve a held post, hide one, or mark it as spam (agents)."""
    if not actor.is_agent:
        raise PermissionDenied
    if action not in POST_ACTIONS:
        raise ValidationError(_("Unknown moderation action."))
    post = Post.objects.select_for_update().get(pk=post.pk)
    _status_set(post, POST_ACTIONS[action])
    return post


def _status_set(post: Post, status: str) -> None:
    """Move a post to ``status`` and keep its topic's counts, accepted answer and mails right."""
    before = post.status
    if before == status:
        return
    post.status = status
    post.save(update_fields=["status"])
    if before == PostStatus.HELD and status == PostStatus.VISIBLE:
        # Subscribers and mentioned people hear of it (each once per post: an approved
        # edit mails only people newly mentioned in it).
        _became_visible(post)
        return
    if before == PostStatus.VISIBLE:
        if not post.is_first:
            Topic.objects.filter(pk=post.topic_id).update(reply_count=F("reply_count") - 1)
        if status != PostStatus.HELD:
            # Hidden or spam: no longer the answer. Held for review: it may come back.
            Topic.objects.filter(pk=post.topic_id, accepted_post=post).update(accepted_post=None)
    elif status == PostStatus.VISIBLE and not post.is_first:
        Topic.objects.filter(pk=post.topic_id).update(reply_count=F("reply_count") + 1)
    _thread_changed(post.topic_id)


@transaction.atomic
def post_to_ticket(*, post: Post, actor: User) -> Ticket:
    """Turn a forum post into a support ticket from its author (agents). Once: turning it
    again gives the same ticket."""
    if not actor.is_agent:
        raise PermissionDenied
    post = Post.objects.select_for_update().select_related("topic", "author").get(pk=post.pk)
    if post.ticket_id is not None:
        return post.ticket
    topic = post.topic
    message = message_receive(
        inbound=InboundMessage(
            channel=Channel.PORTAL,
            author=post.author,
            subject=topic.title,
            body_text=post.body_md,
            language=topic.language,
            metadata={"community_post_id": post.pk, "created_by": actor.pk},
        )
    )
    post.ticket = message.ticket
    post.save(update_fields=["ticket"])
    return message.ticket


@transaction.atomic
def topic_to_article(*, topic: Topic, actor: User) -> Article:
    """A knowledge-base draft from a good thread: the question and the best answer. Once:
    asking again gives the same draft (unless it was deleted)."""
    if not actor.is_agent:
        raise PermissionDenied
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.draft_article_id is not None:
        return Article.objects.get(pk=topic.draft_article_id)
    first = topic.posts.filter(is_first=True, status=PostStatus.VISIBLE).first()
    answer = topic.accepted_post
    if answer is None:
        answer = (
            topic.posts.filter(status=PostStatus.VISIBLE, is_first=False)
            .order_by("-by_agent", "-score", "created_at")
            .first()
        )
    article = article_draft_create(
        title=topic.title,
        question=first.body_md if first else "",
        solution=answer.body_md if answer else "",
        author=actor,
        language=topic.language,
    )
    topic.draft_article = article
    topic.save(update_fields=["draft_article"])
    return article


_MENTION_RE = re.compile(r"(?<![\w@])@([\w.-]{2,40})", re.UNICODE)


def mentioned_names(body_md: str) -> set[str]:
    """Lowercased names after "@" in a post (pure)."""
    return {m.group(1).lower().rstrip(".") for m in _MENTION_RE.finditer(body_md)}
