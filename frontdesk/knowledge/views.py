"""Reader pages of the help center: readable signed out where an article is public.

Views parse input, call one selector or service and render; what a reader may see is the
selectors' decision (``article_list_visible``).
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontdesk.knowledge.markdown import query_terms
from frontdesk.knowledge.models import (
    ArticleAttachment,
    Category,
    DeflectionKind,
    Feedback,
    Section,
)
from frontdesk.knowledge.search import kb_search
from frontdesk.knowledge.selectors import (
    MovedTo,
    article_get_for,
    article_list_visible,
    articles_for_reader,
    categories_for,
    category_list_for,
    popular_for,
    related_for,
    translations_of,
)
from frontdesk.knowledge.services import (
    anonymous_feedback_allowed,
    article_viewed,
    deflection_record,
    feedback_record,
)
from frontdesk.tickets.models import OPEN_CATEGORIES, Ticket
from frontdesk.tickets.views import attachment_response

SUGGEST_LIMIT = 5
SUGGEST_WORDS = 8


def _reader(request: HttpRequest):  # type: ignore[no-untyped-def]
    return request.user if request.user.is_authenticated else None


def _language() -> str:
    return "sv" if (translation.get_language() or "en").startswith("sv") else "en"


def _open_requests(request: HttpRequest) -> list[Ticket]:
    if not request.user.is_authenticated:
        return []
    return list(
        Ticket.objects.filter(requester=request.user, status_category__in=OPEN_CATEGORIES)
        .only("number", "subject", "status_category", "updated_at")
        .order_by("-updated_at")[:5]
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The help center: search, categories, popular articles, and my open requests."""
    reader = _reader(request)
    return render(
        request,
        "knowledge/home.html",
        {
            "categories": categories_for(reader),
            "popular": popular_for(reader, _language()),
            "open_requests": _open_requests(request),
            "section": "help",
        },
    )


@require_GET
def portal_panel(request: HttpRequest) -> HttpResponse:
    """Help-center blocks the portal home loads after its own content (htmx)."""
    reader = _reader(request)
    query = request.GET.get("q", "").strip()[:200]
    results = kb_search(reader, query, reader_language=_language(), limit=8) if query else None
    return render(
        request,
        "knowledge/_portal_panel.html",
        {
            "query": query,
            "results": results,
            "categories": categories_for(reader),
            "popular": popular_for(reader, _language()),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Articles and forum threads, ranked, with filters kept in the URL."""
    reader = _reader(request)
    query = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("type", "")
    kinds = [kind] if kind in {"article", "thread"} else []
    language = request.GET.get("lang", "")
    language = language if language in {"en", "sv"} else ""
    category = request.GET.get("category", "")[:120]
    results = (
        kb_search(
            reader,
            query,
            kinds=kinds,
            language=language,
            category=category,
            reader_language=_language(),
        )
        if query
        else None
    )
    context = {
        "query": query,
        "results": results,
        "kind": kind if kinds else "",
        "language": language,
        "category": category,
        "section": "help",
    }
    if request.headers.get("HX-Request"):
        # Typing in the search box swaps the results only; the filters are already there.
        return render(request, "knowledge/_results.html", context)
    context["categories"] = category_list_for(reader)
    return render(request, "knowledge/search.html", context)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles that may answer the request being typed (htmx, while typing)."""
    reader = _reader(request)
    subject = request.GET.get("subject", "")[:300]
    body = request.GET.get("body", "")[:2000]
    # The subject says most; the description adds words. Each word once, at most
    # SUGGEST_WORDS of them: a long description must not make every keystroke a search
    # for twenty words.
    words = dict.fromkeys(query_terms(subject) + query_terms(body))
    text = " ".join(list(words)[:SUGGEST_WORDS])
    session = request.GET.get("form_session", "")
    hits = []
    if len(text) >= 3:
        hits = kb_search(
            reader,
            text,
            kinds=["article"],
            reader_language=_language(),
            limit=SUGGEST_LIMIT,
            record_failure=False,
        ).hits
    if hits and session:
        deflection_record(session=session, kind=DeflectionKind.SHOWN, user=reader)
    return render(request, "knowledge/_suggestions.html", {"hits": hits, "form_session": session})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    reader = _reader(request)
    found = get_object_or_404(Category, slug=slug)
    articles = articles_for_reader(reader, _language())
    sections = []
    for sec in found.sections.all():
        listed = sorted(
            (a for a in articles if a.group.section_id == sec.pk), key=lambda a: a.title
        )
        if listed:
            sections.append((sec, listed))
    if not sections:
        raise Http404("Nothing to read here")
    return render(
        request,
        "knowledge/category.html",
        {"category": found, "sections": sections, "section": "help"},
    )


@require_GET
def section_page(request: HttpRequest, slug: str) -> HttpResponse:
    reader = _reader(request)
    found = get_object_or_404(Section.objects.select_related("category"), slug=slug)
    articles = sorted(
        (a for a in articles_for_reader(reader, _language()) if a.group.section_id == found.pk),
        key=lambda a: a.title,
    )
    if not articles:
        raise Http404("Nothing to read here")
    return render(
        request,
        "knowledge/section.html",
        {"kb_section": found, "articles": articles, "section": "help"},
    )


def _reader_key(request: HttpRequest) -> str:
    """Who answered "was this helpful?": the user, or this browser's session."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    if not request.session.session_key:
        request.session["kb_reader"] = True
        request.session.save()
    digest = hashlib.sha256(request.session.session_key.encode()).hexdigest()
    return f"s:{digest[:40]}"


@require_GET
def article(request: HttpRequest, language: str, section: str, slug: str) -> HttpResponse:
    """One article; counts the view and, opened from a suggestion, the deflection step."""
    reader = _reader(request)
    try:
        found = article_get_for(reader, language=language, slug=slug)
    except MovedTo as moved:
        target = moved.article
        return redirect(
            "knowledge:article", target.language, target.group.section.slug, target.slug,
            permanent=True,
        )  # fmt: skip
    if found.group.section.slug != section:
        return redirect(
            "knowledge:article", found.language, found.group.section.slug, found.slug,
            permanent=True,
        )  # fmt: skip
    if not (reader and reader.is_agent):
        article_viewed(article=found)
    session = request.GET.get("fs", "")
    if session:
        deflection_record(session=session, kind=DeflectionKind.OPENED, article=found, user=reader)
    others = translations_of(reader, found)
    wanted = _language()
    in_my_language = next((a for a in others if a.language == wanted), None)
    given = None
    if reader or request.session.session_key:
        given = Feedback.objects.filter(article=found, reader_key=_reader_key(request)).first()
    return render(
        request,
        "knowledge/article.html",
        {
            "article": found,
            "translations": others,
            "in_my_language": in_my_language,
            "fallback": found.language != wanted and in_my_language is None,
            "related": related_for(reader, found, wanted),
            "tags": list(found.group.tags.all()),
            "feedback": given,
            "form_session": session,
            "section": "help",
        },
    )


@require_POST
def feedback(request: HttpRequest, language: str, section: str, slug: str) -> HttpResponse:
    """Was this helpful? One answer per reader; signed-out readers are rate limited."""
    reader = _reader(request)
    try:
        found = article_get_for(reader, language=language, slug=slug)
    except MovedTo as moved:
        found = moved.article
    answer = request.POST.get("helpful")
    if answer not in {"yes", "no"}:
        return HttpResponse(_("Choose yes or no."), status=400)
    if reader is None and not anonymous_feedback_allowed(
        address=request.META.get("REMOTE_ADDR", "")
    ):
        return HttpResponse(_("Too many answers from here; please try again later."), status=429)
    given = feedback_record(
        article=found,
        helpful=answer == "yes",
        reader_key=_reader_key(request),
        user=reader,
        comment=request.POST.get("comment", ""),
    )
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/_feedback.html", {"article": found, "feedback": given})
    return redirect(
        reverse("knowledge:article", args=[found.language, found.group.section.slug, found.slug])
        + "#feedback"
    )


@require_GET
def attachment(request: HttpRequest, pk: int, filename: str) -> HttpResponse:
    """An article's file, for readers who may read one of the article's languages."""
    found = get_object_or_404(ArticleAttachment.objects.select_related("blob"), pk=pk)
    if filename != found.filename:
        raise Http404("No such file")
    reader = _reader(request)
    readable = article_list_visible(reader).filter(group_id=found.group_id).exists()
    if not readable and not (reader and reader.is_agent):
        raise Http404("No such file")
    response = attachment_response(found)  # type: ignore[arg-type]
    if found.is_image:
        # Images show inline in the article; everything else stays a download.
        response["Content-Disposition"] = "inline"
    return response
