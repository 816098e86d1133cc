"""Every write of the knowledge base: articles, workflow, revisions, translations, feedback.

Who may do what: agents write and edit (drafts, review, translations); supervisors and
admins publish, archive and schedule. Nothing an agent does changes what readers see of a
published article without a publisher: an agent's new text for a published article (an edit
or a restore) is a revision waiting for review, which a supervisor or admin publishes or
declines; its settings (place, audience, tags, related) and its files change only by a
publisher. A publisher's save of a published article is live at once and stays in the
revision history.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.core.services import outbox_add
from frontdesk.customers.models import Organization
from frontdesk.knowledge.markdown import html_text, markdown_render, slugify
from frontdesk.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleGroup,
    ArticleSlug,
    Category,
    DeflectionEvent,
    DeflectionKind,
    FailedSearch,
    Feedback,
    Revision,
    RevisionState,
    Section,
    Status,
    Tag,
    ViewCount,
    Visibility,
)
from frontdesk.tickets.attachments import (
    IncomingFile,
    attachment_check,
    blob_store,
    content_type_for,
    filename_clean,
)
from frontdesk.tickets.models import MessageKind, Ticket

LANGUAGES = ("en", "sv")
VIEW_SHARDS = 8
TOPIC_ARTICLE_CHANGED = "knowledge.article_changed"


def can_publish(user: User) -> bool:
    """Supervisors and admins publish; agents write and send for review."""
    return bool(user.is_authenticated and user.sees_all_tickets and user.is_active)


def group_is_live(group_id: int) -> bool:
    """Whether readers may see (or will see, once scheduled) a language version of it."""
    return Article.objects.filter(group_id=group_id, status=Status.PUBLISHED).exists()


def edit_needs_review(*, article: Article, user: User) -> bool:
    """An agent's new text for a published article waits for a supervisor or admin."""
    return article.status == Status.PUBLISHED and not can_publish(user)


def _check_may_change_live(group_id: int, actor: User, what: str) -> None:
    if group_is_live(group_id) and not can_publish(actor):
        raise PermissionDenied(
            _("Only supervisors and admins can change %(what)s of a published article.")
            % {"what": what}
        )


# --- categories and sections -----------------------------------------------------------------


def category_save(
    *, name: str, slug: str = "", description: str = "", position: int = 0,
    category: Category | None = None,
) -> Category:  # fmt: skip
    """Create or change a category; the slug defaults to one made from the name."""
    category = category or Category()
    category.name = name.strip()
    category.slug = slug or category.slug or slugify(name)
    category.description = description
    category.position = position
    category.full_clean()
    category.save()
    return category


def section_save(
    *, category: Category, name: str, slug: str = "", description: str = "",
    position: int = 0, section: Section | None = None,
) -> Section:  # fmt: skip
    section = section or Section()
    section.category = category
    section.name = name.strip()
    section.slug = slug or section.slug or slugify(name)
    section.description = description
    section.position = position
    section.full_clean()
    section.save()
    return section


# --- articles --------------------------------------------------------------------------------


def _unique_slug(language: str, title: str, *, article_id: int | None) -> str:
    base = slugify(title)
    candidate, n = base, 1
    while (
        Article.objects.filter(language=language, slug=candidate).exclude(pk=article_id).exists()
        or ArticleSlug.objects.filter(language=language, slug=candidate)
        .exclude(article_id=article_id)
        .exists()
    ):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _render_into(article: Article) -> None:
    article.body_html = markdown_render(article.body_md)
    article.body_text = html_text(article.body_html)


def _next_number(article: Article) -> int:
    # Changes waiting for review take numbers too, so the next one is after the highest.
    highest = Revision.objects.filter(article=article).order_by("-number").first()
    return max(article.version, highest.number if highest else 0) + 1


def _ticket_private(article: Article) -> bool:
    """Text saved while a draft from a ticket was never published may quote the ticket."""
    group = article.group
    return bool(
        group.source_ticket_id
        and not Article.objects.filter(group=group, published_at__isnull=False).exists()
    )


def _revision_add(
    article: Article,
    *,
    author: User | None,
    note: str,
    at: datetime,
    state: str = RevisionState.SAVED,
    title: str | None = None,
    body_md: str | None = None,
) -> Revision:
    """A new revision: the article's own text (then it is the current version), or, with
    ``state`` REVIEW, the proposed ``title`` and ``body_md`` (the article is unchanged)."""
    number = _next_number(article)
    if state == RevisionState.SAVED:
        article.version = number
    return Revision.objects.create(
        article=article,
        number=number,
        title=article.title if title is None else title,
        body_md=article.body_md if body_md is None else body_md,
        author=author,
        note=note[:200],
        state=state,
        ticket_private=_ticket_private(article),
        created_at=at,
    )


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Articles can be written in English or Swedish.")})


def _tags_set(group: ArticleGroup, tags: Iterable[str]) -> None:
    names = _tag_names(tags)
    group.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])


def _changed(article: Article) -> None:
    outbox_add(topic=TOPIC_ARTICLE_CHANGED, payload={"article_id": article.pk})


@transaction.atomic
def article_create(
    *,
    section: Section,
    language: str,
    title: str,
    body_md: str,
    author: User,
    visibility: str = Visibility.PUBLIC,
    organizations: Iterable[Organization] = (),
    tags: Iterable[str] = (),
    source_ticket: Ticket | None = None,
) -> Article:
    """A new article (a new group with its first language version) as a draft, revision 1.
    ``source_ticket``: written from that ticket (only people who see it see the draft)."""
    _check_language(language)
    now = clock.now()
    group = ArticleGroup.objects.create(
        section=section,
        visibility=visibility,
        source_language=language,
        source_ticket=source_ticket,
        created_at=now,
    )
    group.organizations.set(list(organizations))
    _tags_set(group, tags)
    article = Article(
        group=group,
        language=language,
        title=title.strip(),
        slug=_unique_slug(language, title, article_id=None),
        body_md=body_md,
        author=author,
        created_at=now,
        updated_at=now,
    )
    _render_into(article)
    article.full_clean(exclude=["group"])
    article.save()
    _revision_add(article, author=author, note=_("Created"), at=now)
    article.save(update_fields=["version"])
    _changed(article)
    return article


@transaction.atomic
def article_save(
    *, article: Article, title: str, body_md: str, author: User, note: str = ""
) -> Article:
    """Save new text: a new revision, a new slug when the title changed (the old one
    redirects), and on the source language every translation is flagged outdated.

    An agent's text for a published article is a revision waiting for review instead
    (``edit_needs_review``): readers keep the live text until a publisher publishes it.
    """
    article = Article.objects.select_for_update().select_related("group").get(pk=article.pk)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("An article needs a title.")})
    if title == article.title and body_md == article.body_md:
        return article
    now = clock.now()
    if edit_needs_review(article=article, user=author):
        _revision_add(
            article,
            author=author,
            note=note or _("Change for review"),
            at=now,
            state=RevisionState.REVIEW,
            title=title,
            body_md=body_md,
        )
        return article
    if title != article.title:
        new_slug = _unique_slug(article.language, title, article_id=article.pk)
        if new_slug != article.slug:
            ArticleSlug.objects.get_or_create(
                language=article.language, slug=article.slug, defaults={"article": article}
            )
            ArticleSlug.objects.filter(language=article.language, slug=new_slug).delete()
            article.slug = new_slug
    article.title = title
    article.body_md = body_md
    _render_into(article)
    article.updated_at = now
    _revision_add(article, author=author, note=note, at=now)
    if article.is_source:
        Article.objects.filter(group_id=article.group_id).exclude(pk=article.pk).update(
            outdated=True
        )
    else:
        # The translator worked against the current source: up to date again.
        article.source_version = _source_version(article.group)
        article.outdated = False
    article.save()
    _changed(article)
    return article


def _source_version(group: ArticleGroup) -> int:
    return (
        Article.objects.filter(group=group, language=group.source_language)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def _tag_names(tags: Iterable[str]) -> list[str]:
    return sorted({slugify(t)[:60] for t in tags if t.strip()})


@transaction.atomic
def article_settings_save(
    *,
    article: Article,
    actor: User,
    section: Section,
    visibility: str,
    organizations: Iterable[Organization],
    tags: Iterable[str],
    related: Iterable[ArticleGroup] = (),
) -> ArticleGroup:
    """Where the article lives and who may read it; shared by every language version.
    Of a published article, only supervisors and admins change them (readers see them)."""
    group = ArticleGroup.objects.select_for_update().get(pk=article.group_id)
    organizations, tags, related = list(organizations), list(tags), list(related)
    wanted = (
        section.pk,
        visibility,
        sorted(o.pk for o in organizations) if visibility == Visibility.ORGANIZATIONS else [],
        _tag_names(tags),
        sorted(g.pk for g in related if g.pk != group.pk),
    )
    current = (
        group.section_id,
        group.visibility,
        sorted(group.organizations.values_list("pk", flat=True)),
        sorted(group.tags.values_list("name", flat=True)),
        sorted(group.related.values_list("pk", flat=True)),
    )
    if wanted == current:
        return group
    _check_may_change_live(group.pk, actor, _("the settings"))
    group.section = section
    group.visibility = visibility
    group.full_clean()
    group.save()
    group.organizations.set(list(organizations) if visibility == Visibility.ORGANIZATIONS else [])
    _tags_set(group, tags)
    group.related.set([g for g in related if g.pk != group.pk])
    for article_id in group.translations.values_list("pk", flat=True):
        outbox_add(topic=TOPIC_ARTICLE_CHANGED, payload={"article_id": article_id})
    return group


@transaction.atomic
def article_update(
    *,
    article: Article,
    actor: User,
    title: str | None = None,
    body_md: str | None = None,
    note: str = "",
    section: Section | None = None,
    visibility: str | None = None,
    organizations: Iterable[Organization] | None = None,
    tags: Iterable[str] | None = None,
    related: Iterable[ArticleGroup] | None = None,
) -> Article:
    """Change text and/or settings in one go (the API's PATCH); ``None`` leaves a part as it
    is. New text is a new revision (``article_save``); settings are shared by every
    language (``article_settings_save``)."""
    if title is not None or body_md is not None:
        article = article_save(
            article=article,
            title=article.title if title is None else title,
            body_md=article.body_md if body_md is None else body_md,
            author=actor,
            note=note,
        )
    wants_settings = any(
        value is not None for value in (section, visibility, organizations, tags, related)
    )
    if wants_settings:
        group = ArticleGroup.objects.get(pk=article.group_id)
        article.group = group
        article_settings_save(
            article=article,
            actor=actor,
            section=section or group.section,
            visibility=visibility or group.visibility,
            organizations=(
                list(group.organizations.all()) if organizations is None else organizations
            ),
            tags=[t.name for t in group.tags.all()] if tags is None else tags,
            related=list(group.related.all()) if related is None else related,
        )
    return article


# Moves an agent may make; publishing and archiving need can_publish.
_AGENT_MOVES = {
    (Status.DRAFT, Status.REVIEW),
    (Status.REVIEW, Status.DRAFT),
    (Status.ARCHIVED, Status.DRAFT),
}
_PUBLISHER_MOVES = {
    (Status.DRAFT, Status.PUBLISHED),
    (Status.REVIEW, Status.PUBLISHED),
    (Status.PUBLISHED, Status.PUBLISHED),  # reschedule
    (Status.PUBLISHED, Status.DRAFT),  # unpublish
    (Status.PUBLISHED, Status.ARCHIVED),
    (Status.DRAFT, Status.ARCHIVED),
    (Status.REVIEW, Status.ARCHIVED),
}


@transaction.atomic
def article_transition(
    *, article: Article, to: str, actor: User, publish_at: datetime | None = None
) -> Article:
    """Move an article through draft → in review → published → archived.

    ``publish_at`` in the future schedules it: published, yet hidden until that time.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    move = (article.status, to)
    if move in _PUBLISHER_MOVES and move not in _AGENT_MOVES:
        if not can_publish(actor):
            raise PermissionDenied(_("Only supervisors and admins can publish or archive."))
    elif move not in _AGENT_MOVES:
        raise ValidationError(
            _("An article cannot go from %(from)s to %(to)s.")
            % {"from": Status(article.status).label, "to": Status(to).label}
        )
    now = clock.now()
    article.status = to
    if to == Status.PUBLISHED:
        article.publish_at = publish_at if publish_at and publish_at > now else None
        article.published_at = article.publish_at or now
    else:
        article.publish_at = None
    article.updated_at = now
    article.save(update_fields=["status", "publish_at", "published_at", "updated_at"])
    _changed(article)
    return article


def article_restore(*, article: Article, number: int, actor: User) -> Article:
    """Bring back the text of an earlier revision, as a new revision on top (for a
    published article and an agent: a change waiting for review, as any edit)."""
    old = Revision.objects.filter(article=article, number=number).first()
    if old is None:
        raise ValidationError(_("There is no revision %(n)s.") % {"n": number})
    if old.state in (RevisionState.REVIEW, RevisionState.DECLINED):
        raise ValidationError(_("A proposed change is published or declined, not restored."))
    return article_save(
        article=article,
        title=old.title,
        body_md=old.body_md,
        author=actor,
        note=_("Restored revision %(n)s") % {"n": number},
    )


@transaction.atomic
def revision_publish(*, revision: Revision, actor: User) -> Article:
    """Publish an agent's change waiting for review: its text becomes the live text (a new
    revision by the publisher, naming the proposal)."""
    if not can_publish(actor):
        raise PermissionDenied(_("Only supervisors and admins can publish a change."))
    revision = (
        Revision.objects.select_for_update(of=("self",))
        .select_related("author")
        .get(pk=revision.pk)
    )
    if revision.state != RevisionState.REVIEW:
        raise ValidationError(_("This change is not waiting for review."))
    author = revision.author.get_full_name() if revision.author else "?"
    article = article_save(
        article=Article.objects.get(pk=revision.article_id),
        title=revision.title,
        body_md=revision.body_md,
        author=actor,
        note=_("Published revision %(n)s by %(name)s") % {"n": revision.number, "name": author},
    )
    revision.state = RevisionState.PUBLISHED
    revision.save(update_fields=["state"])
    return article


@transaction.atomic
def revision_decline(*, revision: Revision, actor: User) -> Revision:
    """Turn down an agent's change waiting for review; it stays in the history."""
    if not can_publish(actor):
        raise PermissionDenied(_("Only supervisors and admins can decline a change."))
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != RevisionState.REVIEW:
        raise ValidationError(_("This change is not waiting for review."))
    revision.state = RevisionState.DECLINED
    revision.save(update_fields=["state"])
    return revision


@transaction.atomic
def translation_create(
    *, source: Article, language: str, title: str, body_md: str, author: User
) -> Article:
    """Another language version of the same article, starting as a draft."""
    _check_language(language)
    if Article.objects.filter(group_id=source.group_id, language=language).exists():
        raise ValidationError({"language": _("This article already has that language.")})
    now = clock.now()
    article = Article(
        group_id=source.group_id,
        language=language,
        title=title.strip(),
        slug=_unique_slug(language, title, article_id=None),
        body_md=body_md,
        author=author,
        created_at=now,
        updated_at=now,
        source_version=_source_version(source.group),
    )
    _render_into(article)
    article.save()
    _revision_add(article, author=author, note=_("Translated"), at=now)
    article.save(update_fields=["version"])
    _changed(article)
    return article


def attachment_add(*, group: ArticleGroup, file: IncomingFile, actor: User) -> ArticleAttachment:
    """Store an image or file for an article (same checks and storage as ticket files).
    A published article's readers can fetch its files: only publishers add to those."""
    _check_may_change_live(group.pk, actor, _("the files"))
    attachment_check([file])
    name = filename_clean(file.name)
    blob = blob_store(file.content)
    return ArticleAttachment.objects.create(
        group=group,
        blob=blob,
        filename=name,
        content_type=content_type_for(name),
        size=blob.size,
        created_at=clock.now(),
    )


# --- readers ---------------------------------------------------------------------------------


def article_viewed(*, article: Article) -> None:
    """Count a view on one of a few rows picked at random: no single hot row to queue on."""
    shard = random.randrange(VIEW_SHARDS)  # noqa: S311 - spreading load, not security
    updated = ViewCount.objects.filter(article=article, shard=shard).update(count=F("count") + 1)
    if updated:
        return
    try:
        with transaction.atomic():
            ViewCount.objects.create(article=article, shard=shard, count=1)
    except IntegrityError:
        ViewCount.objects.filter(article=article, shard=shard).update(count=F("count") + 1)


def anonymous_feedback_allowed(*, address: str) -> bool:
    """Signed-out "was this helpful?" answers are limited per address and hour."""
    limit = getattr(settings, "KB_ANON_FEEDBACK_PER_HOUR", 30)
    key = "kb-feedback:" + hashlib.sha256(address.encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return True


@transaction.atomic
def feedback_record(
    *, article: Article, helpful: bool, reader_key: str, user: User | None, comment: str = ""
) -> Feedback:
    """One answer per reader and article; answering again changes the first answer."""
    existing = (
        Feedback.objects.select_for_update().filter(article=article, reader_key=reader_key).first()
    )
    comment = comment.strip()[:2000]
    if existing is None:
        feedback = Feedback.objects.create(
            article=article,
            user=user,
            reader_key=reader_key,
            helpful=helpful,
            comment=comment,
            created_at=clock.now(),
        )
        field = "helpful_yes" if helpful else "helpful_no"
        Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
        return feedback
    if existing.helpful != helpful:
        plus, minus = ("helpful_yes", "helpful_no") if helpful else ("helpful_no", "helpful_yes")
        Article.objects.filter(pk=article.pk).update(**{plus: F(plus) + 1, minus: F(minus) - 1})
        existing.helpful = helpful
    if comment:
        existing.comment = comment
    existing.save(update_fields=["helpful", "comment"])
    return existing


def search_failed_record(*, query: str, language: str) -> None:
    """Remember a search that found nothing (normalized), for the report."""
    normalized = " ".join(query.lower().split())[:200]
    if not normalized:
        return
    now = clock.now()
    updated = FailedSearch.objects.filter(query=normalized, language=language).update(
        count=F("count") + 1, last_at=now
    )
    if updated:
        return
    try:
        with transaction.atomic():
            FailedSearch.objects.create(query=normalized, language=language, count=1, last_at=now)
    except IntegrityError:
        FailedSearch.objects.filter(query=normalized, language=language).update(
            count=F("count") + 1, last_at=now
        )


def deflection_record(
    *, session: str, kind: str, article: Article | None = None, user: User | None = None
) -> None:
    """One step of a request-form session: suggestions shown, an article opened, submitted."""
    session = "".join(ch for ch in session if ch.isalnum() or ch == "-")[:40]
    if not session:
        return
    if kind == DeflectionKind.SHOWN:
        # Typing shows suggestions many times; once per session says enough. The cache
        # answers "already recorded" without a query on every keystroke after the first.
        if not cache.add(f"kb-deflection-shown:{session}", 1, timeout=6 * 3600):
            return
        if DeflectionEvent.objects.filter(session=session, kind=kind).exists():
            return
    DeflectionEvent.objects.create(
        session=session,
        kind=kind,
        article=article,
        user=user if user is not None and user.is_authenticated else None,
        created_at=clock.now(),
    )


def _default_section() -> Section:
    section = Section.objects.order_by("category__position", "position", "pk").first()
    if section is not None:
        return section
    category = category_save(name=_("General"), slug="general")
    return section_save(category=category, name=_("General"), slug="general")


def article_draft_create(
    *,
    title: str,
    question: str,
    solution: str,
    author: User,
    language: str = "en",
    source_ticket: Ticket | None = None,
) -> Article:
    """A draft written from a conversation: the question, then the answer that solved it."""
    body = "\n\n".join(
        part
        for part in (
            f"## {_('Question')}" if question else "",
            question.strip(),
            f"## {_('Solution')}" if solution else "",
            solution.strip(),
        )
        if part
    )
    return article_create(
        section=_default_section(),
        language=language if language in LANGUAGES else "en",
        title=title or _("Untitled article"),
        body_md=body,
        author=author,
        source_ticket=source_ticket,
    )


def article_draft_from_ticket(*, ticket: Ticket, author: User) -> Article:
    """Pre-fill a draft from a ticket: its first customer message and last public reply."""
    public = ticket.messages.filter(kind=MessageKind.PUBLIC).order_by("created_at", "pk")
    question = public.filter(from_agent=False).first()
    solution = public.filter(from_agent=True).last()
    return article_draft_create(
        title=ticket.subject,
        question=question.body_text if question else "",
        solution=solution.body_text if solution else "",
        author=author,
        language=ticket.language or "en",
        source_ticket=ticket,
    )
