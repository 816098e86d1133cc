"""Every read of the knowledge base, scoped to what the reader may see.

Who sees a published article:
- public: everyone, also signed out;
- customers: anyone signed in;
- organizations: members of the chosen organizations (and agents);
- agents: agents, supervisors and admins only.
Drafts, articles in review, archived ones and scheduled ones whose time has not come are
seen by agents in the editor only, never on reader pages, in search or in suggestions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.knowledge.models import (
    Article,
    ArticleGroup,
    ArticleSlug,
    Category,
    DeflectionEvent,
    DeflectionKind,
    FailedSearch,
    Feedback,
    Revision,
    Section,
    Status,
    ViewCount,
    Visibility,
)


def audience_q(user: User | None, prefix: str = "group__") -> Q:
    """Which groups a reader may read, as a filter on ``prefix`` + group fields."""
    if user is None or not user.is_authenticated:
        return Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if user.is_agent:
        return Q()
    allowed = Q(**{f"{prefix}visibility__in": [Visibility.PUBLIC, Visibility.CUSTOMERS]})
    if user.organization_id:
        # A subquery, not a join: a group shared with two organizations must not repeat.
        members = ArticleGroup.organizations.through.objects.filter(
            organization_id=user.organization_id
        ).values("articlegroup_id")
        id_field = f"{prefix}id" if prefix else "id"
        allowed |= Q(
            **{f"{prefix}visibility": Visibility.ORGANIZATIONS, f"{id_field}__in": members}
        )
    return allowed


def published_q(prefix: str = "") -> Q:
    now = clock.now()
    return Q(**{f"{prefix}status": Status.PUBLISHED}) & (
        Q(**{f"{prefix}publish_at__isnull": True}) | Q(**{f"{prefix}publish_at__lte": now})
    )


def article_list_visible(user: User | None) -> QuerySet[Article]:
    """Published articles (every language) this reader may read."""
    return Article.objects.filter(published_q() & audience_q(user))


def _reader_language(language: str) -> str:
    return "sv" if language.startswith("sv") else "en"


def article_pick_language(articles: list[Article], language: str) -> Article | None:
    """The reader's language if there is one, else the source language, else any (pure)."""
    by_lang = {a.language: a for a in articles}
    if language in by_lang:
        return by_lang[language]
    for article in articles:
        if article.language == article.group.source_language:
            return article
    return articles[0] if articles else None


def articles_for_reader(
    user: User | None, language: str, *, groups: QuerySet[ArticleGroup] | None = None
) -> list[Article]:
    """One article per group: in the reader's language, or a fallback (``is_fallback``)."""
    language = _reader_language(language)
    visible = article_list_visible(user).select_related("group", "group__section")
    if groups is not None:
        visible = visible.filter(group__in=groups)
    by_group: dict[int, list[Article]] = {}
    for article in visible.order_by("group_id", "language"):
        by_group.setdefault(article.group_id, []).append(article)
    chosen = []
    for articles in by_group.values():
        article = article_pick_language(articles, language)
        if article is not None:
            article.is_fallback = article.language != language
            chosen.append(article)
    return chosen


def article_list_for_reader(user: User | None, language: str) -> QuerySet[Article]:
    """``articles_for_reader`` as a query (for paged lists): one version per article, in
    the reader's language, else the source language, else the other one."""
    language = _reader_language(language)
    visible = article_list_visible(user)
    has_mine = visible.filter(language=language).values("group_id")
    has_source = visible.filter(language=F("group__source_language")).values("group_id")
    return visible.filter(
        Q(language=language)
        | (
            ~Q(group_id__in=has_mine)
            & (Q(language=F("group__source_language")) | ~Q(group_id__in=has_source))
        )
    )


def article_get_by_id_for(user: User | None, pk: int) -> Article:
    """One article by id: published and readable for readers, any state for agents (but a
    draft from a ticket only for those who may see the ticket)."""
    if user is not None and user.is_authenticated and user.is_agent:
        return article_get_manage(pk, user)
    article = (
        article_list_visible(user)
        .select_related("group__section__category", "author")
        .prefetch_related("group__tags")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise Http404("No such article")
    return article


def article_get_for(user: User | None, *, language: str, slug: str) -> Article:
    """A published article this reader may read, by language and slug; 404 otherwise.

    Raises ``MovedTo`` with the current article when ``slug`` is an old one.
    """
    visible = article_list_visible(user).select_related("group", "group__section__category")
    article = visible.filter(language=language, slug=slug).first()
    if article is not None:
        return article
    old = ArticleSlug.objects.filter(language=language, slug=slug).first()
    if old is not None:
        moved = visible.filter(pk=old.article_id).first()
        if moved is not None:
            raise MovedTo(moved)
    raise Http404("No such article")


class MovedTo(Exception):  # noqa: N818 - a redirect, not an error
    def __init__(self, article: Article) -> None:
        super().__init__(article.slug)
        self.article = article


def translations_of(user: User | None, article: Article) -> list[Article]:
    """The other published language versions of the same article the reader may read."""
    return list(article_list_visible(user).filter(group_id=article.group_id).exclude(pk=article.pk))


def related_for(user: User | None, article: Article, language: str) -> list[Article]:
    groups = ArticleGroup.objects.filter(related=article.group_id)
    return articles_for_reader(user, language, groups=groups)[:5]


def categories_for(user: User | None) -> list[Category]:
    """Categories with sections that hold something this reader may read."""
    readable = Section.objects.filter(
        Exists(article_list_visible(user).filter(group__section_id=OuterRef("pk")))
    )
    return list(
        Category.objects.filter(sections__in=readable)
        .distinct()
        .prefetch_related(Prefetch("sections", queryset=readable.order_by("position", "name")))
    )


def category_list_for(user: User | None) -> list[Category]:
    """Categories holding something this reader may read, without their sections (one
    query: the search page's filter)."""
    # Asked per category in the select list, not in WHERE: PostgreSQL turns an EXISTS in
    # WHERE into a join over every published article (50 ms at 10,000 articles), while a
    # sub-select per category stops at its first readable article through the indexes.
    categories = Category.objects.annotate(
        readable=Exists(
            article_list_visible(user).filter(group__section__category_id=OuterRef("pk"))
        )
    ).order_by("position", "name")
    return [category for category in categories if category.readable]


def popular_for(user: User | None, language: str, *, limit: int = 6) -> list[Article]:
    """Most viewed articles the reader may read, in their language where possible."""
    top_groups = list(
        article_list_visible(user)
        .values("group_id")
        .annotate(views=Coalesce(Sum("view_shards__count"), 0))
        .order_by("-views", "group_id")
        .values_list("group_id", flat=True)[: limit * 2]
    )
    articles = articles_for_reader(
        user, language, groups=ArticleGroup.objects.filter(pk__in=top_groups)
    )
    rank = {gid: n for n, gid in enumerate(top_groups)}
    return sorted(articles, key=lambda a: rank[a.group_id])[:limit]


# --- editor ----------------------------------------------------------------------------------


def _ticket_drafts_hidden_q(user: User) -> Q | None:
    """Articles ``user`` may not open in the editor: drafts written from a ticket they may
    not see, while no language version was ever published (None: nothing is hidden)."""
    from frontdesk.tickets.selectors import ticket_list_for, ticket_visibility_q

    if ticket_visibility_q(user) is None:
        return None
    ever_published = Article.objects.filter(
        group_id=OuterRef("group_id"), published_at__isnull=False
    )
    return (
        Q(group__source_ticket__isnull=False)
        & ~Exists(ever_published)
        & ~Q(group__source_ticket__in=ticket_list_for(user).values("pk"))
    )


def article_list_manage(
    *, user: User, status: str = "", language: str = "", query: str = ""
) -> QuerySet[Article]:
    """Every article for the editor list (agents see all states; drafts from a ticket only
    those who may see the ticket)."""
    articles = Article.objects.select_related("group__section", "author").order_by("-updated_at")
    hidden = _ticket_drafts_hidden_q(user)
    if hidden is not None:
        articles = articles.exclude(hidden)
    if status:
        articles = articles.filter(status=status)
    if language:
        articles = articles.filter(language=language)
    if query:
        articles = articles.filter(title__icontains=query)
    return articles


def article_get_manage(pk: int, user: User) -> Article:
    """An article in the editor; 404 for a draft from a ticket ``user`` may not see."""
    articles = Article.objects.filter(pk=pk)
    hidden = _ticket_drafts_hidden_q(user)
    if hidden is not None:
        articles = articles.exclude(hidden)
    article = (
        articles.select_related("group__section__category", "author")
        .prefetch_related("group__tags", "group__organizations", "group__translations")
        .first()
    )
    if article is None:
        raise Http404("No such article")
    return article


def feedback_comments(article: Article, *, limit: int = 30) -> list[Feedback]:
    """Readers' comments on "was this helpful?", newest first (for the editor)."""
    return list(
        Feedback.objects.filter(article=article).exclude(comment="").order_by("-created_at")[:limit]
    )


def revisions_for(user: User, article: Article) -> QuerySet[Revision]:
    """An article's revisions, newest first; those that may quote a ticket (saved while it
    was an unpublished draft from the ticket) only for people who may see the ticket."""
    from frontdesk.tickets.selectors import ticket_can_see, ticket_visibility_q

    revisions = Revision.objects.filter(article=article).select_related("author")
    if ticket_visibility_q(user) is not None:
        ticket = article.group.source_ticket
        # A deleted ticket: nobody can tell who could see it, so its text stays hidden.
        if ticket is None or not ticket_can_see(user, ticket):
            revisions = revisions.filter(ticket_private=False)
    return revisions.order_by("-number")


# --- report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeflectionStats:
    sessions: int  # request-form sessions in which suggestions were shown
    opened: int  # ... in which an article was opened
    deflected: int  # ... opened an article and did not submit
    submitted: int

    @property
    def rate(self) -> float | None:
        return None if not self.sessions else self.deflected / self.sessions


def deflection_stats(*, days: int = 30) -> DeflectionStats:
    """A deflection: an article was opened in a form session that was never submitted."""
    since = clock.now() - timedelta(days=days)
    events = DeflectionEvent.objects.filter(created_at__gte=since)
    shown = set(events.filter(kind=DeflectionKind.SHOWN).values_list("session", flat=True))
    opened = set(events.filter(kind=DeflectionKind.OPENED).values_list("session", flat=True))
    submitted = set(events.filter(kind=DeflectionKind.SUBMITTED).values_list("session", flat=True))
    sessions = shown | opened
    return DeflectionStats(
        sessions=len(sessions),
        opened=len(opened),
        deflected=len(opened - submitted),
        submitted=len(sessions & submitted),
    )


def report_articles(*, order: str = "views", limit: int = 50) -> list[Article]:
    """Articles with views and helpfulness, for the agents' report."""
    # Subqueries, not joins: joining views and feedback together would multiply both.
    views = (
        ViewCount.objects.filter(article=OuterRef("pk"))
        .values("article")
        .annotate(total=Sum("count"))
        .values("total")
    )
    # Articles readers have had (drafts have no readers; a draft written from a ticket is
    # not even every agent's to see). Sorted in the database, not in Python: the report
    # must not load every article of a large help center.
    articles = Article.objects.filter(published_at__isnull=False).select_related("group__section")
    share = Cast(F("helpful_yes"), FloatField()) / Cast(
        F("helpful_yes") + F("helpful_no"), FloatField()
    )
    if order == "helpful":
        articles = articles.filter(Q(helpful_yes__gt=0) | Q(helpful_no__gt=0))
        articles = articles.annotate(share=share).order_by("-share", "-helpful_yes", "-pk")
    elif order == "unhelpful":
        articles = articles.filter(helpful_no__gt=0)
        articles = articles.annotate(share=share).order_by("share", "-helpful_no", "-pk")
    else:
        articles = articles.annotate(views=Coalesce(Subquery(views), 0)).order_by("-views", "-pk")
    rows = list(articles[:limit])
    counts = dict(
        ViewCount.objects.filter(article__in=rows)
        .values("article")
        .annotate(total=Sum("count"))
        .values_list("article", "total")
    )
    noted = dict(
        Feedback.objects.filter(article__in=rows)
        .exclude(comment="")
        .values("article")
        .annotate(n=Count("pk"))
        .values_list("article", "n")
    )
    for article in rows:
        article.views = counts.get(article.pk, 0)
        article.comment_count = noted.get(article.pk, 0)
    return rows


def failed_searches(*, limit: int = 50) -> list[FailedSearch]:
    return list(FailedSearch.objects.order_by("-count", "-last_at")[:limit])


def revision_diff(old: Revision, new: Revision) -> list[tuple[str, str]]:
    """Line changes from ``old`` to ``new`` as (" " | "-" | "+", line); the template escapes."""
    before = [f"# {old.title}", "", *old.body_md.splitlines()]
    after = [f"# {new.title}", "", *new.body_md.splitlines()]
    lines = []
    for line in difflib.ndiff(before, after):
        op = line[:1]
        if op in {" ", "-", "+"}:
            lines.append((op, line[2:]))
    return lines
