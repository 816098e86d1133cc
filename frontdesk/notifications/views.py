"""Notification pages: an agent's list, bell and preferences; admin pages for customer email
texts and webhooks. Views parse input, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.desk.settings_views import SETTINGS
from frontdesk.notifications.customer import PLACEHOLDERS, builtin_text, template_save
from frontdesk.notifications.models import (
    AllowedHost,
    CustomerEvent,
    Kind,
    Notification,
    NotificationTemplate,
    WebhookFormat,
    WebhookSubscription,
)
from frontdesk.notifications.services import (
    notification_mark_unread,
    notifications_mark_read,
    preferences_for,
    preferences_save,
    unread_count_refresh,
)
from frontdesk.notifications.webhooks import (
    EVENTS,
    allowed_host_add,
    allowed_host_remove,
    subscription_save,
    subscription_test,
)

PAGE_SIZE = 50


def _problems(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for v in exc.message_dict.values() for m in v]
    return list(exc.messages)


# --- agents -----------------------------------------------------------------------------------


@require_GET
@agent_required
def notification_list(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("unread") == "1"
    query = Notification.objects.filter(user=request.user).select_related("ticket")
    if only_unread:
        query = query.filter(read_at__isnull=True)
    page = Paginator(query, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = unread_count_refresh(request.user.pk)  # the list and the bell agree
    return render(
        request,
        "notifications/list.html",
        {"page": page, "only_unread": only_unread, "unread": unread, "bell_unread": unread},
    )


@require_GET
@agent_required
def bell(request: HttpRequest) -> HttpResponse:
    # Asked after a live hint and every minute (a fallback for a lost hint): the cached
    # count is exact, since every change moves its generation.
    return render(request, "notifications/_bell.html", {"user": request.user})


@require_POST
@agent_required
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notifications_mark_read(user=request.user, ids=None if request.POST.get("all") else ids)
    return redirect(request.POST.get("next") or "notifications:list")


@require_POST
@agent_required
def mark_unread(request: HttpRequest, pk: int) -> HttpResponse:
    if not notification_mark_unread(user=request.user, notification_id=pk):
        raise Http404
    return redirect("notifications:list")


@require_GET
@agent_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
@agent_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        preferences_save(
            user=request.user,
            choices={
                kind: (
                    bool(request.POST.get(f"{kind}_in_app")),
                    bool(request.POST.get(f"{kind}_email")),
                )
                for kind in Kind.values
            },
        )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    chosen = preferences_for(request.user)
    rows = [(kind, label, *chosen[kind]) for kind, label in Kind.choices]
    return render(request, "notifications/preferences.html", {"rows": rows})


# --- admins: customer emails ------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"settings": SETTINGS, **context}, status=status)


@require_GET
@admin_required
def templates(request: HttpRequest) -> HttpResponse:
    rows = {(t.event, t.language): t for t in NotificationTemplate.objects.all()}
    table = [
        (event, label, [(code, name, rows.get((event, code))) for code, name in settings.LANGUAGES])
        for event, label in CustomerEvent.choices
    ]
    return _render(request, "notifications/templates.html", {"table": table})


@require_http_methods(["GET", "POST"])
@admin_required
def template_edit(request: HttpRequest, event: str, language: str) -> HttpResponse:
    if event not in CustomerEvent.values or language not in dict(settings.LANGUAGES):
        raise Http404
    row = NotificationTemplate.objects.filter(event=event, language=language).first()
    from django.utils import translation

    with translation.override(language):
        default_subject, default_body = (str(s) for s in builtin_text(event))
    values = {
        "subject": row.subject if row else default_subject,
        "body": row.body if row else default_body,
        "active": row.active if row else True,
    }
    problems: list[str] = []
    if request.method == "POST":
        values = {
            "subject": request.POST.get("subject", ""),
            "body": request.POST.get("body", ""),
            "active": bool(request.POST.get("active")),
        }
        try:
            template_save(event=event, language=language, **values)
        except ValidationError as exc:
            problems = _problems(exc)
        else:
            messages.success(request, _("Text saved."))
            return redirect("notifications:templates")
    return _render(
        request,
        "notifications/template_edit.html",
        {
            "event": event,
            "event_label": CustomerEvent(event).label,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "values": values,
            "problems": problems,
            "placeholders": PLACEHOLDERS,
        },
        status=400 if problems else 200,
    )


# --- admins: webhooks -------------------------------------------------------------------------


@require_GET
@admin_required
def webhooks(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "notifications/webhooks.html",
        {
            "subscriptions": WebhookSubscription.objects.all(),
            "allowed": AllowedHost.objects.all(),
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk) if pk is not None else None
    values = {
        "name": subscription.name if subscription else "",
        "url": subscription.url if subscription else "",
        "events": subscription.events if subscription else ["ticket.created"],
        "format": subscription.format if subscription else WebhookFormat.JSON,
        "active": subscription.active if subscription else True,
    }
    problems: list[str] = []
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "url": request.POST.get("url", "").strip(),
            "events": request.POST.getlist("events"),
            "format": request.POST.get("format", ""),
            "active": bool(request.POST.get("active")),
        }
        try:
            saved, secret = subscription_save(
                subscription=subscription,
                rotate_secret=bool(request.POST.get("rotate")),
                **values,
            )
        except ValidationError as exc:
            problems = _problems(exc)
        else:
            if secret:
                messages.success(
                    request,
                    _("Saved. The signing secret, shown only now: %(secret)s") % {"secret": secret},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("notifications:webhook_edit", pk=saved.pk)
    deliveries = subscription.deliveries.all()[:50] if subscription else []
    return _render(
        request,
        "notifications/webhook_edit.html",
        {
            "subscription": subscription,
            "values": values,
            "problems": problems,
            "events": EVENTS,
            "formats": WebhookFormat.choices,
            "deliveries": deliveries,
        },
        status=400 if problems else 200,
    )


@require_POST
@admin_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(WebhookSubscription, pk=pk).delete()
    messages.success(request, _("Webhook deleted."))
    return redirect("notifications:webhooks")


@require_POST
@admin_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription_test(subscription=get_object_or_404(WebhookSubscription, pk=pk))
    messages.success(request, _("A test delivery was sent; its outcome is in the log below."))
    return redirect("notifications:webhook_edit", pk=pk)


@require_POST
@admin_required
def allowed_host_create(request: HttpRequest) -> HttpResponse:
    host = request.POST.get("host", "").strip()
    if host:
        allowed_host_add(host=host, note=request.POST.get("note", ""))
        messages.success(request, _("%(host)s may now be called.") % {"host": host})
    return redirect("notifications:webhooks")


@require_POST
@admin_required
def allowed_host_delete(request: HttpRequest, pk: int) -> HttpResponse:
    allowed_host_remove(allowed=get_object_or_404(AllowedHost, pk=pk))
    return redirect("notifications:webhooks")
