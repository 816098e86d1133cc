"""Knowledge base: categories > sections > articles, one article per language in a group.

An ``ArticleGroup`` is "the article" as readers think of it: where it lives (section), who
may read it (visibility, organizations), tags and related articles. Each ``Article`` in the
group is one language version with its own title, slug, body, workflow status and
revisions. Feedback, view counts and deflection events are per language version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone, also signed out")
    CUSTOMERS = "customers", _("Signed-in customers")
    ORGANIZATIONS = "organizations", _("Specific organizations")
    AGENTS = "agents", _("Agents only (internal)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Category(models.Model):
    """A top-level shelf of the help center (e.g. "Accounts and sign-in")."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    """A group of articles inside a category; its slug is part of every article URL."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=60, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleGroup(models.Model):
    """One article across its languages: place, audience, tags and related articles."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="groups")
    visibility = models.CharField(
        _("who may read it"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    organizations = models.ManyToManyField(
        "customers.Organization", blank=True, related_name="+", verbose_name=_("organizations")
    )
    source_language = models.CharField(_("source language"), max_length=10, default="en")
    tags = models.ManyToManyField(Tag, blank=True, related_name="groups")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    # Written from this ticket ("create article from ticket"): until a language version is
    # published, only people who may see the ticket see the draft (it quotes the ticket).
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("article group")

    def __str__(self) -> str:
        return f"group {self.pk}"


class Article(models.Model):
    """One language version of an article: Markdown source plus the sanitized HTML of it."""

    group = models.ForeignKey(ArticleGroup, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    body_md = models.TextField(_("body (Markdown)"), blank=True)
    # Rendered by markdown-it-py with raw HTML off, then cleaned with nh3; safe to show.
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # A published article with publish_at in the future stays hidden until then.
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    # Translations: the source version this one was last brought up to date with.
    source_version = models.PositiveIntegerField(default=0)
    outdated = models.BooleanField(_("translation outdated"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "language"], name="kb_article_one_per_lang"),
            models.UniqueConstraint(fields=["language", "slug"], name="kb_article_slug_unique"),
        ]
        indexes = [models.Index(fields=["status", "language"], name="kb_article_status_idx")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    @property
    def is_source(self) -> bool:
        return self.language == self.group.source_language

    @property
    def helpful_share(self) -> float | None:
        total = self.helpful_yes + self.helpful_no
        return None if total == 0 else self.helpful_yes / total


class ArticleSlug(models.Model):
    """An earlier slug of an article: old links keep working by redirecting."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    language = models.CharField(max_length=10)
    slug = models.SlugField(max_length=200, allow_unicode=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_old_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"


class RevisionState(models.TextChoices):
    SAVED = "saved", _("Saved")
    # An agent's change to a published article: readers keep the live text until a
    # supervisor or admin publishes the change (or declines it).
    REVIEW = "review", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    DECLINED = "declined", _("Declined")


class Revision(models.Model):
    """Every save of an article: what it said, who saved it and when; or a change to a
    published article proposed by an agent, waiting for review (``state``)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_md = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=RevisionState.choices, default="saved")
    # Saved while the article was an unpublished draft from a ticket: it may quote the
    # ticket, so only people who may see the ticket see it.
    ticket_private = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleAttachment(models.Model):
    """An image or file of an article group, stored as a content-addressed ticket blob."""

    group = models.ForeignKey(ArticleGroup, on_delete=models.CASCADE, related_name="attachments")
    blob = models.ForeignKey("tickets.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/") and self.content_type != "image/svg+xml"


class ViewCount(models.Model):
    """Views of an article, spread over a few rows so busy articles do not queue on one lock."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="view_shards")
    shard = models.PositiveSmallIntegerField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "shard"], name="kb_view_shard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.shard}={self.count}"


class Feedback(models.Model):
    """ "Was this helpful?": one answer per reader (user, or browser session when signed out)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reader_key = models.CharField(max_length=64)
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "reader_key"], name="kb_feedback_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'yes' if self.helpful else 'no'}"


class FailedSearch(models.Model):
    """A search that found nothing, counted per normalized query and language."""

    query = models.CharField(max_length=200)
    language = models.CharField(max_length=10)
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "language"], name="kb_failed_search_unique")
        ]

    def __str__(self) -> str:
        return self.query


class DeflectionKind(models.TextChoices):
    SHOWN = "shown", _("Suggestions shown")
    OPENED = "opened", _("Article opened")
    SUBMITTED = "submitted", _("Request submitted")


class DeflectionEvent(models.Model):
    """What happened in one request-form session (a random id the form carries)."""

    session = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=10, choices=DeflectionKind.choices)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="kb_deflection_time_idx")]

    def __str__(self) -> str:
        return f"{self.session} {self.kind}"
