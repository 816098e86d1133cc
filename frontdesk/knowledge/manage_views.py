"""The agents' knowledge-base editor: list, write with preview, workflow, revisions,
translations, files, the report, and the pieces used from the ticket page.

Agents write and send for review; supervisors and admins publish (services decide).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.desk.permissions import agent_required
from frontdesk.knowledge.forms import (
    LANGUAGE_CHOICES,
    CategoryForm,
    NewArticleForm,
    SectionForm,
    SettingsForm,
    TextForm,
    TransitionForm,
    tag_list,
)
from frontdesk.knowledge.markdown import markdown_render
from frontdesk.knowledge.models import (
    Article,
    Category,
    RevisionState,
    Section,
    Status,
    Visibility,
)
from frontdesk.knowledge.search import kb_search
from frontdesk.knowledge.selectors import (
    article_get_manage,
    article_list_manage,
    deflection_stats,
    failed_searches,
    feedback_comments,
    report_articles,
    revision_diff,
    revisions_for,
)
from frontdesk.knowledge.services import (
    article_create,
    article_draft_from_ticket,
    article_restore,
    article_save,
    article_settings_save,
    article_transition,
    attachment_add,
    can_publish,
    category_save,
    edit_needs_review,
    group_is_live,
    revision_decline,
    revision_publish,
    section_save,
    translation_create,
)
from frontdesk.tickets.attachments import incoming_files
from frontdesk.tickets.selectors import ticket_get_for


def _errors(form, exc: ValidationError) -> None:  # type: ignore[no-untyped-def]
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_GET
@agent_required
def manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    language = request.GET.get("lang", "")
    query = request.GET.get("q", "").strip()[:200]
    articles = article_list_manage(
        user=request.user,
        status=status if status in Status.values else "",
        language=language if language in {"en", "sv"} else "",
        query=query,
    )
    page = Paginator(articles, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/manage/list.html",
        {
            "page": page,
            "status": status,
            "language": language,
            "q": query,
            "statuses": Status.choices,
            "languages": LANGUAGE_CHOICES,
            "has_sections": Section.objects.exists(),
        },
    )


@require_http_methods(["GET", "POST"])
@agent_required
def article_new(request: HttpRequest) -> HttpResponse:
    preview_url = reverse("knowledge:preview")
    form = NewArticleForm(request.POST or None, preview_url=preview_url, initial={"language": "en"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = article_create(
                section=data["section"],
                language=data["language"],
                title=data["title"],
                body_md=data["body_md"],
                author=request.user,
                visibility=data["visibility"],
                organizations=data["organizations"],
                tags=tag_list(data["tags"]),
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("knowledge:edit", pk=article.pk)
    return render(
        request,
        "knowledge/manage/new.html",
        {"form": form, "has_sections": Section.objects.exists()},
        status=400 if form.errors else 200,
    )


def _edit_page(
    request: HttpRequest,
    article: Article,
    *,
    text: TextForm | None = None,
    settings_form: SettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    group = article.group
    text = text or TextForm(
        initial={"title": article.title, "body_md": article.body_md},
        preview_url=reverse("knowledge:preview"),
    )
    settings_form = settings_form or SettingsForm(
        group=group,
        initial={
            "section": group.section,
            "visibility": group.visibility,
            "organizations": list(group.organizations.all()),
            "tags": ", ".join(t.name for t in group.tags.all()),
            "related": list(group.related.all()),
        },
    )
    languages = {a.language: a for a in group.translations.all()}
    missing = [(code, label) for code, label in LANGUAGE_CHOICES if code not in languages]
    return render(
        request,
        "knowledge/manage/edit.html",
        {
            "article": article,
            "text": text,
            "settings_form": settings_form,
            "translations": [a for a in group.translations.all() if a.pk != article.pk],
            "missing_languages": missing,
            "can_publish": can_publish(request.user),
            "needs_review": edit_needs_review(article=article, user=request.user),
            "pending_changes": article.revisions.filter(state=RevisionState.REVIEW).count(),
            "comments": feedback_comments(article),
            "preview": article.body_html,
            "attachments": list(group.attachments.order_by("-pk")),
            "site_url": settings.SITE_URL,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@agent_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_get_manage(pk, request.user)
    if request.method == "GET":
        return _edit_page(request, article)
    if "save_settings" in request.POST:
        form = SettingsForm(request.POST, group=article.group)
        if form.is_valid():
            data = form.cleaned_data
            article_settings_save(
                article=article,
                actor=request.user,
                section=data["section"],
                visibility=data["visibility"],
                organizations=data["organizations"],
                tags=tag_list(data["tags"]),
                related=data["related"],
            )
            messages.success(request, _("Settings saved for every language."))
            return redirect("knowledge:edit", pk=pk)
        return _edit_page(request, article, settings_form=form, status=400)
    text = TextForm(request.POST, preview_url=reverse("knowledge:preview"))
    if text.is_valid():
        data = text.cleaned_data
        for_review = edit_needs_review(article=article, user=request.user)
        try:
            article_save(
                article=article,
                title=data["title"],
                body_md=data["body_md"],
                author=request.user,
                note=data["note"],
            )
        except ValidationError as exc:
            _errors(text, exc)
        else:
            if for_review:
                messages.success(
                    request,
                    _(
                        "Sent for review: readers see the published text until a supervisor"
                        " or admin publishes your change."
                    ),
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("knowledge:edit", pk=pk)
    return _edit_page(request, article, text=text, status=400)


@require_POST
@agent_required
def preview(request: HttpRequest) -> HttpResponse:
    """The Markdown as readers will see it (sanitized exactly like a saved article)."""
    return render(
        request,
        "knowledge/manage/_preview.html",
        {"html": markdown_render(request.POST.get("body_md", "")[:200_000])},
    )


@require_POST
@agent_required
def article_status(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_get_manage(pk, request.user)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what should happen to the article."))
        return redirect("knowledge:edit", pk=pk)
    try:
        article_transition(
            article=article,
            to=form.cleaned_data["to"],
            actor=request.user,
            publish_at=form.cleaned_data["publish_at"],
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Status changed."))
    return redirect("knowledge:edit", pk=pk)


@require_GET
@agent_required
def revisions(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_get_manage(pk, request.user)
    history = list(revisions_for(request.user, article))
    by_number = {r.number: r for r in history}
    diff = None
    try:
        a = int(request.GET.get("a", 0))
        b = int(request.GET.get("b", 0))
    except ValueError:
        a = b = 0
    if not (a and b) and len(history) >= 2:
        a, b = history[1].number, history[0].number
    if a in by_number and b in by_number:
        old, new = sorted([by_number[a], by_number[b]], key=lambda r: r.number)
        diff = revision_diff(old, new)
    return render(
        request,
        "knowledge/manage/revisions.html",
        {
            "article": article,
            "history": history,
            "diff": diff,
            "a": a,
            "b": b,
            "can_publish": can_publish(request.user),
        },
    )


@require_POST
@agent_required
def revision_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = article_get_manage(pk, request.user)
    if not revisions_for(request.user, article).filter(number=number).exists():
        raise Http404("No such revision")
    for_review = edit_needs_review(article=article, user=request.user)
    try:
        article_restore(article=article, number=number, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if for_review:
            message = _("Revision %(n)s sent for review as a change to the published text.")
        else:
            message = _("Revision %(n)s restored as a new revision.")
        messages.success(request, message % {"n": number})
    return redirect("knowledge:edit", pk=pk)


@require_POST
@agent_required
def revision_decide(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Publish or decline an agent's change to a published article (supervisors, admins)."""
    article = article_get_manage(pk, request.user)
    revision = revisions_for(request.user, article).filter(number=number).first()
    if revision is None:
        raise Http404("No such revision")
    if not can_publish(request.user):
        raise PermissionDenied
    decision = request.POST.get("decision", "")
    if decision not in {"publish", "decline"}:
        return HttpResponse(_("Choose publish or decline."), status=400)
    try:
        if decision == "publish":
            revision_publish(revision=revision, actor=request.user)
            messages.success(request, _("The change is published."))
        else:
            revision_decline(revision=revision, actor=request.user)
            messages.success(request, _("The change is declined."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("knowledge:revisions", pk=pk)


@require_http_methods(["GET", "POST"])
@agent_required
def translate(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    source = article_get_manage(pk, request.user)
    if language not in dict(LANGUAGE_CHOICES):
        raise Http404("No such language")
    existing = source.group.translations.filter(language=language).first()
    if existing is not None:
        return redirect("knowledge:edit", pk=existing.pk)
    form = TextForm(
        request.POST or None,
        preview_url=reverse("knowledge:preview"),
        initial={"title": source.title, "body_md": source.body_md},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = translation_create(
                source=source,
                language=language,
                title=data["title"],
                body_md=data["body_md"],
                author=request.user,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Translation saved as a draft."))
            return redirect("knowledge:edit", pk=article.pk)
    return render(
        request,
        "knowledge/manage/translate.html",
        {"source": source, "form": form, "language": dict(LANGUAGE_CHOICES)[language]},
        status=400 if form.errors else 200,
    )


@require_POST
@agent_required
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_get_manage(pk, request.user)
    if group_is_live(article.group_id) and not can_publish(request.user):
        raise PermissionDenied  # readers fetch a published article's files
    files = incoming_files(request.FILES.getlist("file"))
    if not files:
        messages.error(request, _("Choose a file to upload."))
        return redirect("knowledge:edit", pk=pk)
    try:
        for item in files:
            attachment_add(group=article.group, file=item, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Uploaded. Copy its Markdown into the text."))
    return redirect("knowledge:edit", pk=pk)


@require_http_methods(["GET", "POST"])
@agent_required
def structure(request: HttpRequest) -> HttpResponse:
    """Categories and sections; supervisors and admins change them."""
    category_form = CategoryForm(request.POST if "add_category" in request.POST else None)
    section_form = SectionForm(request.POST if "add_section" in request.POST else None)
    if request.method == "POST":
        if not can_publish(request.user):
            raise PermissionDenied
        try:
            if "add_category" in request.POST and category_form.is_valid():
                category_save(**category_form.cleaned_data)
                messages.success(request, _("Category added."))
                return redirect("knowledge:structure")
            if "add_section" in request.POST and section_form.is_valid():
                section_save(**section_form.cleaned_data)
                messages.success(request, _("Section added."))
                return redirect("knowledge:structure")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "knowledge/manage/structure.html",
        {
            "categories": Category.objects.prefetch_related("sections"),
            "category_form": category_form,
            "section_form": section_form,
            "can_edit": can_publish(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@agent_required
def report(request: HttpRequest) -> HttpResponse:
    """Articles by views and helpfulness, searches that found nothing, deflection."""
    order = request.GET.get("order", "views")
    if order not in {"views", "helpful", "unhelpful"}:
        order = "views"
    return render(
        request,
        "knowledge/manage/report.html",
        {
            "articles": report_articles(order=order),
            "order": order,
            "failed": failed_searches(),
            "deflection": deflection_stats(),
        },
    )


@require_GET
@agent_required
def composer_search(request: HttpRequest) -> HttpResponse:
    """Articles an agent can link or paste into a reply (htmx from the composer)."""
    query = request.GET.get("kb_q", "").strip()[:200]
    hits = []
    if query:
        hits = kb_search(request.user, query, kinds=["article"], limit=8, record_failure=False).hits
    found = {
        pk: (body, audience)
        for pk, body, audience in Article.objects.filter(
            pk__in=[h.object_id for h in hits]
        ).values_list("pk", "body_md", "group__visibility")
    }
    for hit in hits:
        hit.body_md, hit.audience = found.get(hit.object_id, ("", Visibility.AGENTS))
        # An internal or members-only article: the agent sees who can open the link
        # before sending it to a customer.
        hit.audience_label = Visibility(hit.audience).label
    return render(
        request,
        "knowledge/desk/_composer_results.html",
        {"hits": hits, "query": query, "site_url": settings.SITE_URL},
    )


@require_POST
@agent_required
def from_ticket(request: HttpRequest, number: int) -> HttpResponse:
    """Create article from this ticket: a draft with its question and solution."""
    ticket = ticket_get_for(request.user, number)
    article = article_draft_from_ticket(ticket=ticket, author=request.user)
    messages.success(
        request,
        _("Draft created from ticket #%(number)s. Edit it before sending for review.")
        % {"number": ticket.number},
    )
    return redirect("knowledge:edit", pk=article.pk)
