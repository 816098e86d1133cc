"""Admin pages for mailboxes and received mail; the "show original" download for agents."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.desk.settings_views import SETTINGS
from frontdesk.mail import selectors, services
from frontdesk.mail.forms import MailboxForm
from frontdesk.mail.imap import mailbox_test
from frontdesk.mail.models import InboundMail, InboundState, Mailbox
from frontdesk.mail.pipeline import raw_read
from frontdesk.tickets.models import Message
from frontdesk.tickets.selectors import ticket_get_for

PAGE_SIZE = 100


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {"settings": SETTINGS, "kind": "mail", **context})


@require_GET
@admin_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = Mailbox.objects.select_related("team").order_by("address")
    return _page(request, "mail/mailbox_list.html", {"mailboxes": mailboxes})


@require_http_methods(["GET", "POST"])
@admin_required
def mailbox_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data.get("password") or None
        try:
            saved = services.mailbox_save(
                mailbox=mailbox, fields=form.cleaned_data, password=password
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Mailbox %(address)s saved.") % {"address": saved})
            return redirect("mail:mailbox_list")
    return _page(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox})


@require_POST
@admin_required
def mailbox_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    ok, text = mailbox_test(mailbox)
    (messages.success if ok else messages.error)(request, text)
    return redirect("mail:mailbox_edit", pk=mailbox.pk)


@require_GET
@admin_required
def inbound_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or ""
    if state not in InboundState.values:
        state = ""
    mails = list(selectors.inbound_list(state=state or None)[:PAGE_SIZE])
    return _page(
        request,
        "mail/inbound_list.html",
        {
            "mails": mails,
            "state": state,
            "states": InboundState.choices,
            "counts": selectors.inbound_counts(),
        },
    )


@require_POST
@admin_required
def inbound_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = get_object_or_404(InboundMail, pk=pk)
    result = services.inbound_rerun(inbound=inbound)
    if result is not None and result.state == InboundState.PARSED:
        messages.success(request, _("The mail was imported."))
    elif result is not None:
        messages.error(
            request,
            _("The mail is now “%(state)s”.") % {"state": result.get_state_display()},
        )
    else:
        messages.info(request, _("This mail was already imported."))
    return redirect(reverse("mail:inbound_list") + f"?state={inbound.state}")


def _raw_response(inbound: InboundMail) -> HttpResponse:
    response = HttpResponse(raw_read(inbound), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{inbound.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@admin_required
def inbound_raw(request: HttpRequest, pk: int) -> HttpResponse:
    return _raw_response(get_object_or_404(InboundMail, pk=pk))


@require_GET
@agent_required
def message_original(request: HttpRequest, message_id: int) -> HttpResponse:
    """The mail exactly as it arrived, for agents who may see its ticket."""
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message")
    ticket_get_for(request.user, message.ticket.number)
    inbound = selectors.inbound_for_message(message)
    if inbound is None:
        raise Http404("This message did not arrive by mail")
    return _raw_response(inbound)
