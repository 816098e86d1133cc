"""The customer portal: search, my requests, a new request, a conversation, my profile.

Views parse input, call one service or selector and render. What a customer may see is the
selectors' decision (``ticket_list_for`` / ``ticket_get_for``); the portal only narrows it to
"mine" or "my organization's". Agents may preview the portal: it shows them as a requester,
and someone else's ticket opens in the agent workspace instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.models import User
from frontdesk.accounts.services import user_update
from frontdesk.core import clock
from frontdesk.knowledge.models import DeflectionKind
from frontdesk.knowledge.services import deflection_record
from frontdesk.portal.forms import ProfileForm, ReplyForm, RequestForm, customer_types
from frontdesk.tickets.attachments import incoming_files
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import (
    OPEN_CATEGORIES,
    Channel,
    MessageKind,
    StatusCategory,
    Ticket,
    TicketType,
)
from frontdesk.tickets.queues import keyset_page
from frontdesk.tickets.selectors import message_list_for, ticket_get_for, ticket_list_for
from frontdesk.tickets.services import (
    message_add,
    message_receive,
    ticket_reopen_until,
    ticket_set_status_by_requester,
)

PAGE_SIZE = 25
HOME_OPEN = 10
HOME_RECENT = 5
SEARCH_LIMIT = 25
SCOPE_MINE = "mine"
SCOPE_ORGANIZATION = "organization"
SCOPE_ALL = "all"
# What a list row needs; the rest of a ticket stays in the database.
LIST_FIELDS = (
    "id",
    "number",
    "subject",
    "status_category",
    "created_at",
    "updated_at",
    "requester",
)


# --- scoping ---------------------------------------------------------------------------------


def _manages_organization(user: User) -> bool:
    return bool(user.is_org_manager and user.organization_id)


def _portal_tickets(user: User, scope: str) -> QuerySet[Ticket]:
    """The visible tickets narrowed to the user's own, their organization's, or both."""
    tickets = ticket_list_for(user)
    # Why a subquery: OR-ing a join on the CC table would repeat a ticket once per CC.
    mine = Q(requester_id=user.pk) | Q(
        pk__in=Ticket.cc.through.objects.filter(user_id=user.pk).values("ticket_id")
    )
    if scope == SCOPE_ORGANIZATION and _manages_organization(user):
        return tickets.filter(organization_id=user.organization_id)
    if scope == SCOPE_ALL and _manages_organization(user):
        return tickets.filter(mine | Q(organization_id=user.organization_id))
    return tickets.filter(mine)


def _agent_elsewhere(user: User, ticket: Ticket) -> HttpResponse | None:
    """An agent opening a ticket they did not request works on it in the workspace."""
    if not user.is_agent:
        return None
    if ticket.requester_id == user.pk or ticket.cc.filter(pk=user.pk).exists():
        return None
    return redirect("desk:ticket", number=ticket.number)


# --- helpers ---------------------------------------------------------------------------------


def _form_session(given: str) -> str:
    cleaned = "".join(ch for ch in given if ch.isalnum())[:40]
    return cleaned or uuid.uuid4().hex


def _errors_to_form(form: Form, exc: ValidationError) -> None:
    """Put a service's errors next to the fields they are about."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        name = {"ticket_type": "type"}.get(key, key)
        if key.startswith("custom_fields."):
            name = "cf_" + key.split(".", 1)[1]
        form.add_error(name if name in form.fields else None, errors)


# --- pages -----------------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Search at the top, then my open requests and the recently finished ones."""
    user = request.user
    query = request.GET.get("q", "").strip()[:200]
    results = None
    if query:
        matches = Q(subject__icontains=query)
        digits = query.lstrip("#")
        # "#123" also finds request 123; longer digit runs cannot be a ticket number.
        if digits.isdigit() and len(digits) <= 18:
            matches |= Q(number=int(digits))
        results = list(
            _portal_tickets(user, SCOPE_ALL)
            .filter(matches)
            .only(*LIST_FIELDS)
            .order_by("-updated_at", "-id")[:SEARCH_LIMIT]
        )
    mine = _portal_tickets(user, SCOPE_MINE).only(*LIST_FIELDS)
    open_requests = list(
        mine.filter(status_category__in=OPEN_CATEGORIES).order_by("-updated_at", "-id")[:HOME_OPEN]
    )
    recent_requests = list(
        mine.exclude(status_category__in=OPEN_CATEGORIES).order_by("-updated_at", "-id")[
            :HOME_RECENT
        ]
    )
    return render(
        request,
        "portal/home.html",
        {
            "query": query,
            "results": results,
            "open_requests": open_requests,
            "recent_requests": recent_requests,
            "section": "home",
        },
    )


@require_GET
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """All my requests (or my organization's, for its managers), newest change first."""
    user = request.user
    can_see_organization = _manages_organization(user)
    scope = (
        SCOPE_ORGANIZATION
        if (request.GET.get("scope") == SCOPE_ORGANIZATION and can_see_organization)
        else SCOPE_MINE
    )
    state = request.GET.get("state", "")
    tickets = _portal_tickets(user, scope)
    if state == "open":
        tickets = tickets.filter(status_category__in=OPEN_CATEGORIES)
    elif state == "done":
        tickets = tickets.exclude(status_category__in=OPEN_CATEGORIES)
    else:
        state = ""
    if scope == SCOPE_ORGANIZATION:
        tickets = tickets.select_related("requester").only(
            *LIST_FIELDS, "requester__first_name", "requester__last_name", "requester__email"
        )
    else:
        tickets = tickets.only(*LIST_FIELDS)
    cursor = request.GET.get("after") or request.GET.get("before")
    try:
        page = keyset_page(
            tickets,
            sort="-updated_at",
            cursor=cursor,
            before=bool(request.GET.get("before")),
            size=PAGE_SIZE,
        )
    except ValidationError:
        # A tampered or outdated page link starts again at the first page.
        return redirect("portal:requests")
    # Page links keep the scope and status filter and nothing else.
    base = QueryDict(mutable=True)
    if scope == SCOPE_ORGANIZATION:
        base["scope"] = scope
    if state:
        base["state"] = state
    return render(
        request,
        "portal/requests.html",
        {
            "page": page,
            "scope": scope,
            "state": state,
            "base_query": base,
            "show_requester": scope == SCOPE_ORGANIZATION,
            "can_see_organization": can_see_organization,
            "section": "requests",
            "organization": user.organization if can_see_organization else None,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Choose a type, then answer only what that type needs."""
    types = customer_types()
    slug = request.POST.get("type") or request.GET.get("type")
    ticket_type: TicketType | None = next((t for t in types if t.slug == slug), None)
    if ticket_type is None and len(types) == 1:
        ticket_type = types[0]
    form_kwargs: dict[str, Any] = {"ticket_type": ticket_type}
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, **form_kwargs)
    else:
        form = RequestForm(initial={"type": ticket_type}, **form_kwargs)
    if request.method == "GET" and request.headers.get("HX-Target") == "type-fields":
        # htmx asks for the questions of the newly chosen type only.
        return render(request, "portal/_type_fields.html", {"form": form})
    if request.method == "GET" and ticket_type is None:
        return render(
            request, "portal/request_choose_type.html", {"types": types, "section": "new"}
        )
    # One id per request-form session: suggestions shown, articles opened and the submit
    # are recorded under it to count deflections.
    form_session = _form_session(request.POST.get("form_session", ""))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = message_receive(
                inbound=InboundMessage(
                    channel=Channel.PORTAL,
                    author=request.user,
                    subject=data["subject"],
                    body_text=data["body"],
                    ticket_type=data["type"],
                    urgency=data["urgency"],
                    custom_fields=form.custom_values(),
                    attachments=incoming_files(data["attachments"]),
                )
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            deflection_record(
                session=form_session, kind=DeflectionKind.SUBMITTED, user=request.user
            )
            messages.success(
                request,
                _("Thanks! We received your request #%(number)s and will get back to you.")
                % {"number": message.ticket.number},
            )
            return redirect("portal:request_detail", number=message.ticket.number)
    return render(
        request,
        "portal/request_new.html",
        {
            "form": form,
            "ticket_type": ticket_type,
            "types": types,
            "section": "new",
            "form_session": form_session,
            "files_dropped": request.method == "POST" and bool(request.FILES),
        },
        status=400 if form.errors else 200,
    )


def _detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply: ReplyForm | None = None,
    status: int = 200,
    files_dropped: bool = False,
) -> HttpResponse:
    # message_list_for drops notes for customers; an agent previewing the portal as a
    # requester must not see them here either, so the portal asks for public ones only.
    conversation = list(message_list_for(request.user, ticket).filter(kind=MessageKind.PUBLIC))
    reopen_until = ticket_reopen_until(ticket)
    now = clock.now()
    can_reopen = reopen_until is not None and now <= reopen_until
    starts_follow_up = ticket.status_category == StatusCategory.CLOSED or (
        reopen_until is not None and not can_reopen
    )
    return render(
        request,
        "portal/request_detail.html",
        {
            "ticket": ticket,
            "conversation": conversation,
            "reply": reply or ReplyForm(),
            "can_solve": ticket.is_open,
            "can_reopen": can_reopen,
            "reopen_until": reopen_until,
            "starts_follow_up": starts_follow_up,
            "section": "requests",
            "files_dropped": files_dropped,
        },
        status=status,
    )


@require_GET
@login_required
def request_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    if ticket.merged_into_id:
        messages.info(
            request,
            _("Request #%(old)s was combined with #%(new)s.")
            % {"old": ticket.number, "new": ticket.merged_into.number},
        )
        return redirect("portal:request_detail", number=ticket.merged_into.number)
    elsewhere = _agent_elsewhere(request.user, ticket)
    if elsewhere is not None:
        return elsewhere
    return _detail(request, ticket)


@require_POST
@login_required
def request_reply(request: HttpRequest, number: int) -> HttpResponse:
    """Add to the conversation; on a closed request the service opens a follow-up."""
    ticket = ticket_get_for(request.user, number)
    elsewhere = _agent_elsewhere(request.user, ticket)
    if elsewhere is not None:
        return elsewhere
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message = message_add(
                ticket=ticket,
                author=request.user,
                body_text=data["body"],
                channel=Channel.PORTAL,
                attachments=incoming_files(data["attachments"]),
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            if message.ticket_id != ticket.pk:
                messages.success(
                    request,
                    _(
                        "Request #%(old)s was already closed, so we started "
                        "a follow-up request #%(new)s with your message."
                    )
                    % {"old": ticket.number, "new": message.ticket.number},
                )
                return redirect("portal:request_detail", number=message.ticket.number)
            messages.success(request, _("Your reply was sent."))
            return redirect(reverse("portal:request_detail", args=[ticket.number]) + "#reply")
    return _detail(request, ticket, reply=form, status=400, files_dropped=bool(request.FILES))


@require_POST
@login_required
def request_solve(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    elsewhere = _agent_elsewhere(request.user, ticket)
    if elsewhere is not None:
        return elsewhere
    ticket_set_status_by_requester(ticket=ticket, actor=request.user, solve=True)
    messages.success(request, _("Marked as solved. Thanks for letting us know!"))
    return redirect("portal:request_detail", number=ticket.number)


@require_POST
@login_required
def request_reopen(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    elsewhere = _agent_elsewhere(request.user, ticket)
    if elsewhere is not None:
        return elsewhere
    try:
        ticket_set_status_by_requester(ticket=ticket, actor=request.user, solve=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reopened. We will take another look."))
    return redirect("portal:request_detail", number=ticket.number)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Name, language and time zone; a new language applies from this very response on."""
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "timezone": user.timezone,
        },
    )
    if request.method == "POST" and form.is_valid():
        user_update(user=user, **form.cleaned_data)
        # The middleware activated the old language for this request; the confirmation
        # below should already speak the new one (the browser's, when none is chosen).
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your profile was saved."))
        return redirect("portal:profile")
    return render(
        request,
        "portal/profile.html",
        {"form": form, "section": "profile"},
        status=400 if form.errors else 200,
    )
