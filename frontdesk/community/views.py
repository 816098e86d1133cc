"""Forum pages: readable signed out where the category is public; posting needs sign-in;
moderation is for agents. Views parse input, call one service or selector and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.community.models import ForumCategory, Post, PostStatus
from frontdesk.community.selectors import (
    categories_for,
    is_subscribed,
    moderation_queue,
    post_get_for,
    posts_for,
    topic_get_for,
    topic_list_for,
)
from frontdesk.community.services import (
    can_accept,
    can_edit,
    post_accept,
    post_create,
    post_edit,
    post_moderate,
    post_to_ticket,
    post_vote,
    topic_create,
    topic_moderate,
    topic_subscribe,
    topic_to_article,
)
from frontdesk.desk.permissions import agent_required

PAGE_SIZE = 30


class TopicForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=ForumCategory.objects.all(), empty_label=None
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body_md = forms.CharField(
        label=gettext_lazy("Your question or idea"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Markdown works: **bold**, - lists, `code`. Mention with @name."),
    )


class PostForm(forms.Form):
    body_md = forms.CharField(
        label=gettext_lazy("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Markdown works. Mention someone in this topic with @name."),
    )


def _reader(request: HttpRequest):  # type: ignore[no-untyped-def]
    return request.user if request.user.is_authenticated else None


def _errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    reader = _reader(request)
    page = Paginator(topic_list_for(reader), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/home.html",
        {"categories": categories_for(reader), "page": page, "section": "community"},
    )


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    reader = _reader(request)
    found = get_object_or_404(categories_for(reader), slug=slug)
    page = Paginator(topic_list_for(reader).filter(category=found), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "community/category.html",
        {"category": found, "page": page, "section": "community"},
    )


def _topic_page(
    request: HttpRequest, pk: int, *, form: PostForm | None = None, status: int = 200
) -> HttpResponse:
    reader = _reader(request)
    topic = topic_get_for(reader, pk)
    posts = posts_for(reader, topic)
    user = request.user
    return render(
        request,
        "community/topic.html",
        {
            "topic": topic,
            "posts": posts,
            "form": form or PostForm(),
            "subscribed": is_subscribed(reader, topic),
            "can_accept": reader is not None and can_accept(topic, user),
            "is_agent": reader is not None and user.is_agent,
            "editable": {p.pk for p in posts if reader is not None and can_edit(p, user)},
            "section": "community",
        },
        status=status,
    )


@require_GET
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    return _topic_page(request, pk)


@require_http_methods(["GET", "POST"])
@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    form = TopicForm(
        request.POST or None, initial={"category": request.GET.get("category") or None}
    )
    form.fields["category"].queryset = categories_for(request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = topic_create(
                category=data["category"],
                author=request.user,
                title=data["title"],
                body_md=data["body_md"],
                language=(translation.get_language() or "en")[:2],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if created.posts.filter(status=PostStatus.HELD).exists():
                messages.info(
                    request,
                    _("Thanks! A moderator looks at first posts before others see them."),
                )
            return redirect("community:topic", pk=created.pk)
    return render(
        request,
        "community/topic_new.html",
        {"form": form, "section": "community"},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    found = topic_get_for(request.user, pk)
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            post = post_create(
                topic=found, author=request.user, body_md=form.cleaned_data["body_md"]
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if post.status == PostStatus.HELD:
                messages.info(
                    request, _("Thanks! A moderator looks at first posts before others see them.")
                )
            return redirect(reverse("community:topic", args=[found.pk]) + f"#p{post.pk}")
    return _topic_page(request, pk, form=form, status=400)


@require_POST
@login_required
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_get_for(request.user, pk)
    value = {"up": 1, "down": -1}.get(request.POST.get("value", ""))
    if value is None:
        return HttpResponse(_("Vote up or down."), status=400)
    try:
        post_vote(post=post, user=request.user, value=value)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("community:topic", args=[post.topic_id]) + f"#p{post.pk}")


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_get_for(request.user, pk)
    try:
        post_accept(post=post, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("community:topic", args=[post.topic_id]) + f"#p{post.pk}")


@require_POST
@login_required
def subscribe(request: HttpRequest, pk: int) -> HttpResponse:
    found = topic_get_for(request.user, pk)
    on = request.POST.get("on", "1") == "1"
    topic_subscribe(topic=found, user=request.user, subscribe=on)
    messages.success(
        request,
        _("You will get an email when someone replies.") if on else _("You stopped following."),
    )
    return redirect("community:topic", pk=found.pk)


@require_http_methods(["GET", "POST"])
@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_get_for(request.user, pk)
    if not can_edit(post, request.user):
        raise PermissionDenied
    form = PostForm(request.POST or None, initial={"body_md": post.body_md})
    if request.method == "POST" and form.is_valid():
        was = post.status
        try:
            post = post_edit(post=post, editor=request.user, body_md=form.cleaned_data["body_md"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if post.status == PostStatus.HELD and was != PostStatus.HELD:
                messages.info(
                    request, _("Saved. A moderator looks at your change before others see it.")
                )
            else:
                messages.success(request, _("Your changes were saved."))
            return redirect(reverse("community:topic", args=[post.topic_id]) + f"#p{post.pk}")
    return render(
        request,
        "community/edit.html",
        {"form": form, "post": post, "section": "community"},
        status=400 if form.errors else 200,
    )


@require_GET
@agent_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("topic", "author"), pk=pk)
    return render(
        request,
        "community/history.html",
        {
            "post": post,
            "revisions": post.revisions.select_related("editor"),
            "section": "community",
        },
    )


@require_POST
@agent_required
def topic_moderation(request: HttpRequest, pk: int) -> HttpResponse:
    found = topic_get_for(request.user, pk)
    try:
        topic_moderate(topic=found, actor=request.user, action=request.POST.get("action", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("community:topic", pk=found.pk)


@require_POST
@agent_required
def post_moderation(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_get_for(request.user, pk)
    try:
        post_moderate(post=post, actor=request.user, action=request.POST.get("action", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    back = request.POST.get("back") == "queue"
    if back:
        return redirect("community:moderation")
    return redirect(reverse("community:topic", args=[post.topic_id]) + f"#p{post.pk}")


@require_GET
@agent_required
def moderation(request: HttpRequest) -> HttpResponse:
    return render(request, "community/moderation.html", moderation_queue())


@require_POST
@agent_required
def to_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    post = post_get_for(request.user, pk)
    ticket = post_to_ticket(post=post, actor=request.user)
    messages.success(
        request, _("Ticket #%(number)s created from the post.") % {"number": ticket.number}
    )
    return redirect("desk:ticket", number=ticket.number)


@require_POST
@agent_required
def to_article(request: HttpRequest, pk: int) -> HttpResponse:
    found = topic_get_for(request.user, pk)
    article = topic_to_article(topic=found, actor=request.user)
    messages.success(request, _("Draft article created from the thread."))
    return redirect("knowledge:edit", pk=article.pk)
