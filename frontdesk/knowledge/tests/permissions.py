"""The knowledge base's routes in the permission matrix (see core/testing/permissions.py).

Reader pages answer everyone, signed out too, for a public article; the editor is for
agents (publishing rights are checked by the services, tested in test_services.py).
"""

from __future__ import annotations

from frontdesk.core.testing.permissions import (
    AGENT_PAGE,
    AGENT_TICKET_POST,
    API_STAFF,
    LOGIN,
    PERSONAS,
)

PUBLIC_PAGE = dict.fromkeys(PERSONAS, 200)
AGENT_POST = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": None,
    "carol": None,
    "sam": None,
    "ada": None,
}

# Changing what readers see of a published article (its files, a decision on a change an
# agent proposed) is for supervisors and admins: the publishing right.
PUBLISHER_POST = {**AGENT_POST, "alice": 403, "carol": 403}

API_STAFF_BAD_POST = {**API_STAFF, "alice": 400, "carol": 400, "sam": 400, "ada": 400}

ROUTES = {
    "knowledge:home": ("GET", PUBLIC_PAGE),
    "knowledge:search": ("GET", PUBLIC_PAGE),
    "knowledge:suggest": ("GET", PUBLIC_PAGE),
    "knowledge:portal_panel": ("GET", PUBLIC_PAGE),
    "knowledge:category": ("GET", PUBLIC_PAGE),
    "knowledge:section": ("GET", PUBLIC_PAGE),
    "knowledge:article": ("GET", PUBLIC_PAGE),
    # An empty answer is refused (400) for anyone; a real one is tested in test_views.py.
    "knowledge:feedback": ("POST", dict.fromkeys(PERSONAS, 400)),
    "knowledge:attachment": ("GET", PUBLIC_PAGE),
    "knowledge:manage": ("GET", AGENT_PAGE),
    "knowledge:new": ("GET", AGENT_PAGE),
    "knowledge:preview": (
        "POST",
        {**AGENT_POST, "alice": 200, "carol": 200, "sam": 200, "ada": 200},
    ),
    "knowledge:structure": ("GET", AGENT_PAGE),
    "knowledge:report": ("GET", AGENT_PAGE),
    "knowledge:composer_search": ("GET", AGENT_PAGE),
    "knowledge:from_ticket": ("POST", AGENT_TICKET_POST),
    "knowledge:edit": ("GET", AGENT_PAGE),
    "knowledge:status": ("POST", AGENT_POST),
    "knowledge:revisions": ("GET", AGENT_PAGE),
    # A plain agent's restore of a published article is a change waiting for review.
    "knowledge:restore": ("POST", AGENT_POST),
    "knowledge:revision_decide": ("POST", PUBLISHER_POST),
    "knowledge:translate": ("GET", AGENT_PAGE),
    "knowledge:upload": ("POST", PUBLISHER_POST),
    # REST API: readers (also without credentials) read what the pages show them; writing
    # is for agents; an empty payload is a 400 naming the missing fields.
    "api:kb-category-list": ("GET", PUBLIC_PAGE),
    "api:kb-article-list": ("GET", PUBLIC_PAGE),
    "api:kb-article-detail": ("GET", PUBLIC_PAGE),
    "api:kb-search": ("GET", dict.fromkeys(PERSONAS, 400)),
    "api:kb-article-feedback": ("POST", dict.fromkeys(PERSONAS, 400)),
    "api:kb-article-revisions": ("GET", API_STAFF),
    "api:kb-article-transition": ("POST", API_STAFF_BAD_POST),
    "api:kb-article-translations": ("POST", API_STAFF_BAD_POST),
    # Deciding on an agent's change is for supervisors and admins (empty payload: 400).
    "api:kb-article-revision-decide": (
        "POST",
        {**API_STAFF, "alice": 403, "carol": 403, "sam": 400, "ada": 400},
    ),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.knowledge.models import Article, ArticleAttachment, Status
    from frontdesk.knowledge.services import (
        article_create,
        article_transition,
        attachment_add,
        category_save,
        section_save,
    )
    from frontdesk.tickets.attachments import IncomingFile

    people = scenario["people"]
    # Some routes get a fresh scenario per persona: reuse what an earlier call made.
    article = Article.objects.filter(title="Matrix article").first()
    if article is None:
        category = category_save(name="Matrix category")
        section = section_save(category=category, name="Matrix section")
        article = article_create(
            section=section,
            language="en",
            title="Matrix article",
            body_md="Public text.",
            author=people["alice"],
        )
        article_transition(article=article, to=Status.PUBLISHED, actor=people["sam"])
        png = b"\x89PNG\r\n\x1a\n" + b"2" * 64
        attachment_add(
            group=article.group,
            file=IncomingFile(name="shot.png", content=png),
            actor=people["sam"],
        )
    section = article.group.section
    category = section.category
    file = ArticleAttachment.objects.filter(group=article.group).first()
    reader = {"language": "en", "section": section.slug, "slug": article.slug}
    return {
        "knowledge:category": {"slug": category.slug},
        "knowledge:section": {"slug": section.slug},
        "knowledge:article": reader,
        "knowledge:feedback": reader,
        "knowledge:attachment": {"pk": file.pk, "filename": file.filename},
        "knowledge:from_ticket": {"number": scenario["ticket"].number},
        "knowledge:edit": {"pk": article.pk},
        "knowledge:status": {"pk": article.pk},
        "knowledge:revisions": {"pk": article.pk},
        "knowledge:restore": {"pk": article.pk, "number": 1},
        "knowledge:revision_decide": {"pk": article.pk, "number": 1},
        "knowledge:translate": {"pk": article.pk, "language": "sv"},
        "knowledge:upload": {"pk": article.pk},
        "api:kb-article-detail": {"pk": article.pk},
        "api:kb-article-feedback": {"pk": article.pk},
        "api:kb-article-revisions": {"pk": article.pk},
        "api:kb-article-transition": {"pk": article.pk},
        "api:kb-article-translations": {"pk": article.pk},
        "api:kb-article-revision-decide": {"pk": article.pk, "number": 1},
    }
