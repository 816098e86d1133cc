"""Community forum: categories, topics and posts, votes, subscriptions and moderation.

A topic's first post is the question; replies are posts too. Post bodies are Markdown,
rendered with raw HTML off and sanitized with nh3 (the knowledge base's renderer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ForumCategory(models.Model):
    """A board of the forum; ``signed_in_only`` keeps it from signed-out readers."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    signed_in_only = models.BooleanField(_("only for signed-in people"), default=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A question or discussion; pinned topics list first, locked ones take no replies."""

    category = models.ForeignKey(ForumCategory, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_topics"
    )
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField()
    last_post_at = models.DateTimeField()
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    accepted_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The help-center draft made from this thread (made once; later clicks open it).
    draft_article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["category", "-last_post_at"], name="forum_topic_list_idx")]

    def __str__(self) -> str:
        return self.title


class PostStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HELD = "held", _("Held for review")
    HIDDEN = "hidden", _("Hidden by a moderator")
    SPAM = "spam", _("Spam")


class Post(models.Model):
    """One message in a topic. ``by_agent`` marks an answer from the support team."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts"
    )
    body_md = models.TextField()
    # Rendered without raw HTML and sanitized with nh3 before it is stored.
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=PostStatus.choices, default=PostStatus.VISIBLE)
    is_first = models.BooleanField(default=False)
    by_agent = models.BooleanField(default=False)
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    # The ticket an agent turned this post into (made once; later clicks open it).
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["author", "created_at"], name="forum_post_author_idx"),
            models.Index(fields=["status"], name="forum_post_status_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.topic_id}"


class PostRevision(models.Model):
    """What a post said before an edit, who changed it and when."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body_md = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"revision of post {self.post_id}"


class Vote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="forum_vote_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value:+d} on {self.post_id}"


class Subscription(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="forum_subscription_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.topic_id}"


class PostNotice(models.Model):
    """A mail sent about a post to one person: the record that makes sending idempotent."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="forum_notice_once")]

    def __str__(self) -> str:
        return f"notice {self.post_id} to {self.user_id}"
