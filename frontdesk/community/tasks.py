"""Mail about forum posts: to a topic's subscribers and to people mentioned by name."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from frontdesk.accounts.models import User
from frontdesk.community.models import Post, PostNotice, PostStatus, Subscription
from frontdesk.community.services import mentioned_names
from frontdesk.core import clock

log = logging.getLogger(__name__)


def _mentioned_users(post: Post) -> list[User]:
    """People named with "@first-name" (or "@email-name") among the topic's posters and
    the agents. Only they can be mentioned: no guessing across all customers."""
    names = mentioned_names(post.body_md)
    if not names:
        return []
    participants = set(
        Post.objects.filter(topic_id=post.topic_id, status=PostStatus.VISIBLE).values_list(
            "author_id", flat=True
        )
    )
    candidates = User.objects.filter(is_active=True).filter(
        pk__in=participants
    ) | User.objects.filter(is_active=True, role__in=["agent", "supervisor", "admin"])
    found = []
    for user in candidates.distinct():
        keys = {user.first_name.lower(), user.email.split("@")[0].lower()} - {""}
        if keys & names:
            found.append(user)
    return found


def _notify(post: Post, user: User, reason: str) -> None:
    try:
        with transaction.atomic():
            PostNotice.objects.create(post=post, user=user, reason=reason, created_at=clock.now())
    except IntegrityError:
        return  # told already (a rerun, or subscribed and mentioned)
    url = settings.SITE_URL + reverse("community:topic", args=[post.topic_id]) + f"#p{post.pk}"
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if reason == "mention":
            subject = _("%(name)s mentioned you in “%(title)s”")
        else:
            subject = _("New reply in “%(title)s”")
        subject = subject % {"name": post.author.display_name, "title": post.topic.title}
        body = _(
            "%(name)s wrote:\n\n%(text)s\n\nRead and reply: %(url)s\n\n"
            "You get this because you follow this topic or were mentioned in it."
        ) % {"name": post.author.display_name, "text": post.body_md[:4000], "url": url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


@db_task(retries=3, retry_delay=30)
def post_notify(post_id: int) -> None:
    """Mail subscribers and mentioned people about a visible post; safe to run twice."""
    post = Post.objects.select_related("topic", "author").filter(pk=post_id).first()
    if post is None or post.status != PostStatus.VISIBLE or post.topic.hidden:
        return
    mentioned = [u for u in _mentioned_users(post) if u.pk != post.author_id]
    for user in mentioned:
        _notify(post, user, "mention")
    if post.is_first:
        return
    subscribers = (
        Subscription.objects.filter(topic_id=post.topic_id, user__is_active=True)
        .exclude(user_id=post.author_id)
        .select_related("user")
    )
    for subscription in subscribers:
        _notify(post, subscription.user, "reply")
