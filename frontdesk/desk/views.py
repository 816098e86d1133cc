"""The agent workspace: queues, the ticket page and the moves agents make on it.

Views parse input, call one service or selector and render. Every view requires an agent.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.models import User
from frontdesk.accounts.services import customer_get_or_create
from frontdesk.desk import extensions, live
from frontdesk.desk.extensions import history_timeline, ticket_extensions
from frontdesk.desk.forms import BulkForm, NewTicketForm, PropertiesForm, ReplyForm, ViewForm
from frontdesk.desk.models import TicketSeen
from frontdesk.desk.permissions import agent_required
from frontdesk.desk.services import presence_touch, ticket_mark_seen
from frontdesk.search.selectors import ticket_search
from frontdesk.tickets.attachments import incoming_files
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import (
    Channel,
    Macro,
    Message,
    MessageKind,
    SavedView,
    StatusCategory,
    Ticket,
)
from frontdesk.tickets.queues import (
    SORTS,
    filters_clean,
    keyset_page,
    view_counts,
    view_neighbours,
    view_queryset,
    views_for,
)
from frontdesk.tickets.selectors import (
    custom_fields_for,
    event_list_for,
    link_list_for,
    message_list_for,
    requester_other_tickets,
    ticket_get_for,
    ticket_list_for,
)
from frontdesk.tickets.services import (
    TicketConflict,
    macro_apply,
    macro_render,
    message_add,
    message_receive,
    message_split,
    saved_view_delete,
    saved_view_save,
    ticket_assign,
    ticket_link,
    ticket_merge,
    ticket_update,
    tickets_bulk_merge,
    tickets_bulk_update,
)

LIST_COLUMNS_RELATED = ("requester", "assignee", "status", "priority", "team")


def _sidebar(request: HttpRequest, *, counts: bool = False) -> dict[str, Any]:
    """The views in the sidebar. Only the queue page counts them inline; other pages load
    the counts right after (htmx), so a ticket opens without waiting for them."""
    views = list(views_for(request.user))
    totals = view_counts(views, user=request.user) if counts else {}
    for view in views:
        view.count = totals.get(view.pk)
    return {"views": views, "counts_pending": not counts}


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{', '.join(v)}" for v in exc.message_dict.values())
    return " ".join(exc.messages)


@require_GET
@agent_required
def home(request: HttpRequest) -> HttpResponse:
    view = views_for(request.user).first()
    if view is None:
        return redirect("desk:search")
    return redirect("desk:view", view_id=view.pk)


@require_GET
@agent_required
def sidebar_counts(request: HttpRequest) -> HttpResponse:
    """htmx: the sidebar's views with fresh counts (polled, so counts stay live)."""
    context = _sidebar(request, counts=True)
    current = request.GET.get("current", "")
    context["view"] = next((v for v in context["views"] if str(v.pk) == current), None)
    return render(request, "desk/_views.html", context)


@require_GET
@agent_required
def view_tickets(request: HttpRequest, view_id: int) -> HttpResponse:
    """A queue: the view's tickets, newest change first, 50 a page, state in the URL."""
    context = _sidebar(request, counts=True)
    view = next((v for v in context["views"] if v.pk == view_id), None)
    if view is None:
        return render(request, "desk/not_found.html", context, status=404)
    extra_raw = {
        k: request.GET.getlist(k) if k in ("status_category", "priority") else request.GET.get(k)
        for k in ("status_category", "priority", "tag", "assignee")
        if request.GET.get(k)
    }
    try:
        extra = filters_clean(extra_raw)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        extra = {}
    sort = request.GET.get("sort") or view.sort
    if sort not in SORTS:
        sort = view.sort
    queryset = view_queryset(view, user=request.user, extra=extra).select_related(
        *LIST_COLUMNS_RELATED
    )
    try:
        page = keyset_page(
            queryset,
            sort=sort,
            cursor=request.GET.get("after") or request.GET.get("before"),
            before=bool(request.GET.get("before")),
        )
    except ValidationError:
        return redirect("desk:view", view_id=view.pk)
    seen = dict(
        TicketSeen.objects.filter(
            user=request.user, ticket_id__in=[t.pk for t in page.rows]
        ).values_list("ticket_id", "seen_at")
    )
    for ticket in page.rows:
        seen_at = seen.get(ticket.pk)
        ticket.unread = seen_at is None or seen_at < ticket.updated_at
    bulk = BulkForm(queryset=ticket_list_for(request.user))
    context.update(
        {
            "view": view,
            "page": page,
            "sort": sort,
            "sorts": SORTS,
            "bulk_form": bulk,
            "extra": extra,
            "can_edit_view": view.owner_id == request.user.pk
            or (view.owner_id is None and request.user.is_desk_admin),
        }
    )
    return render(request, "desk/list.html", context)


def _ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    properties: PropertiesForm | None = None,
    reply: ReplyForm | None = None,
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    custom_fields = custom_fields_for(ticket.ticket_type)
    tags = [t.name for t in ticket.tags.all()]
    cc = list(ticket.cc.all())
    if properties is None:
        initial = {
            "subject": ticket.subject,
            "ticket_type": ticket.ticket_type,
            "status": ticket.status,
            "urgency": ticket.urgency,
            "impact": ticket.impact,
            "priority": ticket.priority if ticket.priority_overridden else None,
            "team": ticket.team,
            "assignee": ticket.assignee,
            "tags": ", ".join(tags),
            "cc": ", ".join(u.email for u in cc),
            "due_at": ticket.due_at,
            "version": ticket.version,
        }
        initial.update({f"cf_{k}": v for k, v in ticket.custom_fields.items()})
        properties = PropertiesForm(initial=initial, custom_fields=custom_fields)
    view_id = request.GET.get("view")
    conversation = list(message_list_for(request.user, ticket))
    extensions = ticket_extensions(ticket, request.user, conversation)
    # One reverse for every message's split form (reversing per message cost more than the
    # queries of the page).
    split_url = reverse("desk:message_split", kwargs={"number": ticket.number, "message_id": 0})
    split_url = split_url[: split_url.rindex("/0/")] + "/{}/"
    for message in conversation:
        message.extras = extensions["ext_messages"].get(message.pk, [])
        message.split_url = split_url.format(message.pk) if len(conversation) > 1 else ""
    context = {
        **extensions,
        "ticket": ticket,
        "conversation": conversation,
        "properties": properties,
        "reply": reply or ReplyForm(initial={"version": ticket.version}),
        "macros": Macro.objects.filter(
            Q(owner__isnull=True) | Q(owner=request.user), active=True
        ).order_by("name"),
        "other_tickets": requester_other_tickets(request.user, ticket),
        "links": link_list_for(request.user, ticket),
        "custom_fields": custom_fields,
        "tags": tags,
        "cc": cc,
        "tab": "conversation",
        "view_id": view_id,
    }
    context.update(_neighbours(request, ticket, view_id))
    context.update(_sidebar(request))
    return context


def _neighbours(request: HttpRequest, ticket: Ticket, view_id: str | None) -> dict[str, Any]:
    """Previous and next ticket in the queue the agent came from (for j/k)."""
    if not view_id or not view_id.isdigit():
        return {}
    view = views_for(request.user).filter(pk=int(view_id)).first()
    if view is None:
        return {}
    previous, following = view_neighbours(view, ticket=ticket, user=request.user)
    return {"next_number": following, "previous_number": previous}


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    if ticket.merged_into_id:
        messages.info(
            request,
            _("Ticket #%(old)s was merged into #%(new)s.")
            % {"old": ticket.number, "new": ticket.merged_into.number},
        )
        return redirect("desk:ticket", number=ticket.merged_into.number)
    # The page's first presence heartbeat (right after load) marks the ticket as seen.
    return render(request, "desk/ticket.html", _ticket_context(request, ticket))


@require_GET
@agent_required
def ticket_panel(request: HttpRequest, number: int, key: str) -> HttpResponse:
    """htmx: one side panel of the ticket page (deferred panels load through this)."""
    ticket = ticket_get_for(request.user, number)
    panel = extensions.ticket_panel(key)
    if panel is None:
        raise Http404("No such panel")
    ext = panel.context(ticket, request.user)
    if ext is None:
        return HttpResponse("")  # the panel has nothing to show for this ticket
    return render(request, panel.template, {"ticket": ticket, "ext": ext})


@require_GET
@agent_required
def ticket_history(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    events = history_timeline(ticket, request.user, event_list_for(ticket))
    context = {"ticket": ticket, "events": events, "tab": "history"}
    context.update(_sidebar(request))
    return render(request, "desk/history.html", context)


def _back(number: int, request: HttpRequest) -> HttpResponse:
    url = reverse("desk:ticket", kwargs={"number": number})
    view_id = request.POST.get("view") or request.GET.get("view")
    if view_id and view_id.isdigit():
        url += f"?view={view_id}"
    return redirect(url)


@require_POST
@agent_required
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    """Post a public reply or an internal note, optionally with a macro and a new status."""
    ticket = ticket_get_for(request.user, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _ticket_context(request, ticket, reply=form)
        return render(request, "desk/ticket.html", context, status=400)
    data = form.cleaned_data
    try:
        if data["macro"] is not None:
            macro_apply(
                macro=data["macro"], ticket=ticket, actor=request.user, body_text=data["body"]
            )
        else:
            message_add(
                ticket=ticket,
                author=request.user,
                body_text=data["body"],
                kind=data["kind"],
                status=data["status"],
                attachments=incoming_files(data["attachments"]),
            )
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        context = _ticket_context(request, ticket, reply=form)
        return render(request, "desk/ticket.html", context, status=400)
    messages.success(
        request, _("Note added.") if data["kind"] == MessageKind.NOTE else _("Reply sent.")
    )
    return _back(ticket.number, request)


@require_POST
@agent_required
def ticket_properties(request: HttpRequest, number: int) -> HttpResponse:
    """Save the properties panel; a stale version is refused and the agent's input kept."""
    ticket = ticket_get_for(request.user, number)
    form = PropertiesForm(request.POST, custom_fields=custom_fields_for(ticket.ticket_type))
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        changes = {
            key: data[key]
            for key in (
                "subject",
                "ticket_type",
                "status",
                "urgency",
                "impact",
                "team",
                "assignee",
                "due_at",
            )
        }
        changes["priority"] = data["priority"]
        changes["tags"] = [t for t in data["tags"].split(",") if t.strip()]
        changes["custom_fields"] = form.custom_values()
        changes["cc"] = [customer_get_or_create(email=email) for email in data["cc"]]
        try:
            ticket_update(
                ticket=ticket, actor=request.user, changes=changes, expected_version=data["version"]
            )
        except TicketConflict as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                field = f"cf_{key.split('.', 1)[1]}" if key.startswith("custom_fields.") else key
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Ticket updated."))
            return _back(ticket.number, request)
    context = _ticket_context(request, ticket, properties=form)
    return render(request, "desk/ticket.html", context, status=status)


@require_POST
@agent_required
def ticket_assign_me(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    ticket_assign(ticket=ticket, agent=request.user, actor=request.user)
    messages.success(request, _("Assigned to you."))
    return _back(ticket.number, request)


@require_POST
@agent_required
def ticket_solve(request: HttpRequest, number: int) -> HttpResponse:
    from frontdesk.tickets.services import status_default

    ticket = ticket_get_for(request.user, number)
    try:
        ticket_update(
            ticket=ticket,
            actor=request.user,
            changes={"status": status_default(StatusCategory.SOLVED)},
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Ticket solved."))
    return _back(ticket.number, request)


def _other_ticket(request: HttpRequest, field: str) -> Ticket | None:
    """The ticket whose number the agent typed into ``field`` ("#123" or "123")."""
    raw = request.POST.get(field, "").strip().lstrip("#")
    return ticket_get_for(request.user, int(raw)) if raw.isdigit() else None


@require_POST
@agent_required
def ticket_merge_view(request: HttpRequest, number: int) -> HttpResponse:
    source = ticket_get_for(request.user, number)
    target = _other_ticket(request, "into")
    if target is None:
        messages.error(request, _("Enter the number of the ticket to merge into."))
        return _back(source.number, request)
    try:
        ticket_merge(source=source, target=target, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _back(source.number, request)
    messages.success(
        request,
        _("Ticket #%(old)s merged into #%(new)s.") % {"old": source.number, "new": target.number},
    )
    return _back(target.number, request)


@require_POST
@agent_required
def ticket_link_view(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    other = _other_ticket(request, "ticket")
    if other is None:
        messages.error(request, _("Enter a ticket number."))
        return _back(ticket.number, request)
    kind = request.POST.get("kind", "related")
    try:
        if kind == "child":
            ticket_link(source=other, target=ticket, kind="parent", actor=request.user)
        else:
            ticket_link(source=ticket, target=other, kind=kind, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Tickets linked."))
    return _back(ticket.number, request)


@require_POST
@agent_required
def message_split_view(request: HttpRequest, number: int, message_id: int) -> HttpResponse:
    ticket = ticket_get_for(request.user, number)
    message = get_object_or_404(Message, pk=message_id, ticket=ticket)
    try:
        new_ticket = message_split(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _back(ticket.number, request)
    messages.success(request, _("Message split into ticket #%(n)s.") % {"n": new_ticket.number})
    return _back(new_ticket.number, request)


@require_GET
@agent_required
def macro_preview(request: HttpRequest, number: int) -> HttpResponse:
    """htmx: the composer with the chosen macro's text filled in for this ticket."""
    ticket = ticket_get_for(request.user, number)
    macro_id = request.GET.get("macro", "")
    macro = (
        Macro.objects.filter(
            Q(owner__isnull=True) | Q(owner=request.user), active=True, pk=int(macro_id)
        ).first()
        if macro_id.isdigit()
        else None
    )
    text = macro_render(macro=macro, ticket=ticket, agent=request.user) if macro else ""
    return render(request, "desk/_composer_body.html", {"text": text, "macro": macro})


@require_POST
@agent_required
def presence(request: HttpRequest, number: int) -> HttpResponse:
    """htmx heartbeat: say we are here (and whether replying); see who else is."""
    ticket = ticket_get_for(request.user, number)
    others, news = presence_touch(
        user=request.user, ticket=ticket, replying=request.POST.get("replying") == "1"
    )
    if news:
        # Others on the ticket learn at once instead of at their next heartbeat.
        live.push_ticket(ticket.pk, {"event": "presence.changed"})
    # ticket_get_for just read the current version; a newer one than the page shows means
    # someone changed the ticket since it was loaded (and it is not "seen" yet).
    loaded = request.POST.get("version", "")
    changed = loaded.isdigit() and ticket.version > int(loaded)
    if not changed:
        ticket_mark_seen(user=request.user, ticket=ticket)
    return render(
        request, "desk/_presence.html", {"others": others, "changed": changed, "ticket": ticket}
    )


@require_GET
@agent_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    results = ticket_search(request.user, query) if query else []
    if query and len(results) == 1 and query.lstrip("#").isdigit():
        return redirect("desk:ticket", number=results[0].number)
    context = {"query": query, "results": results}
    context.update(_sidebar(request))
    return render(request, "desk/search.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """An agent opens a ticket for a customer: a phone call, a chat, an SMS."""
    form = NewTicketForm(
        request.POST or None, request.FILES or None, initial={"team": request.user.teams.first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        requester = customer_get_or_create(email=data["requester"], name=data["requester_name"])
        try:
            message = message_receive(
                inbound=InboundMessage(
                    channel=Channel(data["channel"]),
                    author=request.user,
                    requester=requester,
                    subject=data["subject"],
                    body_text=data["body"],
                    ticket_type=data["ticket_type"],
                    urgency=data["urgency"],
                    impact=data["impact"],
                    team=data["team"],
                    assignee=data["assignee"],
                    attachments=incoming_files(data["attachments"]),
                )
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("Ticket #%(n)s created.") % {"n": message.ticket.number})
            return redirect("desk:ticket", number=message.ticket.number)
    context = {"form": form}
    context.update(_sidebar(request))
    return render(request, "desk/ticket_new.html", context, status=400 if form.errors else 200)


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one change (or a merge) to the selected tickets of a list."""
    form = BulkForm(request.POST, queryset=ticket_list_for(request.user))
    back = request.POST.get("next") or reverse("desk:home")
    if not back.startswith("/desk/"):
        back = reverse("desk:home")
    if not form.is_valid():
        messages.error(request, _("Select at least one ticket and an action."))
        return redirect(back)
    data = form.cleaned_data
    tickets = sorted(data["tickets"], key=lambda t: t.number)
    if data["action"] == "merge":
        if len(tickets) < 2:
            messages.error(request, _("Select two or more tickets to merge."))
            return redirect(back)
        result = tickets_bulk_merge(tickets=tickets[1:], target=tickets[0], actor=request.user)
    else:
        changes: dict[str, Any] = {}
        for key in ("status", "priority", "team"):
            if data[key] is not None:
                changes[key] = data[key]
        if data["assignee"] == "me":
            changes["assignee"] = request.user
        elif data["assignee"] == "none":
            changes["assignee"] = None
        elif data["assignee"].isdigit():
            agent = User.objects.filter(pk=int(data["assignee"]), is_active=True).first()
            if agent is None or not agent.is_agent:
                messages.error(request, _("Choose an agent to assign."))
                return redirect(back)
            changes["assignee"] = agent
        if data["add_tag"].strip():
            changes["add_tags"] = [data["add_tag"]]
        if not changes:
            messages.error(request, _("Choose what to change."))
            return redirect(back)
        result = tickets_bulk_update(tickets=tickets, actor=request.user, changes=changes)
    if result.updated:
        messages.success(request, _("%(n)s tickets updated.") % {"n": len(result.updated)})
    for number, reason in result.failed.items():
        messages.error(
            request, _("#%(n)s not changed: %(reason)s") % {"n": number, "reason": reason}
        )
    return redirect(back)


@require_http_methods(["GET", "POST"])
@agent_required
def view_edit(request: HttpRequest, view_id: int | None = None) -> HttpResponse:
    """Agents make their own views; admins also edit the shared ones."""
    view = None
    if view_id is not None:
        view = get_object_or_404(SavedView, pk=view_id)
        if not (
            view.owner_id == request.user.pk
            or (view.owner_id is None and request.user.is_desk_admin)
        ):
            raise PermissionDenied
    initial: dict[str, Any] = {}
    if view is not None:
        initial = {
            "name": view.name,
            "sort": view.sort,
            "shared": view.owner_id is None,
            **{
                k: (str(v) if k == "team" and isinstance(v, int) else v)
                for k, v in view.filters.items()
            },
        }
    form = ViewForm(request.POST or None, initial=initial, can_share=request.user.is_desk_admin)
    if request.method == "POST":
        if "delete" in request.POST and view is not None:
            saved_view_delete(view=view)
            messages.success(request, _("View deleted."))
            return redirect("desk:home")
        if form.is_valid():
            owner = None if form.cleaned_data.get("shared") else request.user
            if view is not None:
                view.owner = owner
            try:
                view = saved_view_save(
                    view=view,
                    owner=owner,
                    name=form.cleaned_data["name"],
                    filters=form.filters(),
                    sort=form.cleaned_data["sort"],
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, _("View saved."))
                return redirect("desk:view", view_id=view.pk)
    context = {"form": form, "edited": view}
    context.update(_sidebar(request))
    return render(request, "desk/view_edit.html", context, status=400 if form.errors else 200)
