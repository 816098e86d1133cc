"""Provider inbound webhooks (django-anymail): Mailgun, SendGrid, Postmark -> ``ingest_raw``.

anymail checks the provider's signature and the basic-auth WEBHOOK_SECRET, turns the
provider's payload into a MIME message and sends the ``inbound`` signal; we store it raw
like any other mail. The provider sees 200 only after our commit (the signal runs inside
its request), so a failure makes it retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anymail.signals import AnymailInboundEvent, inbound
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from frontdesk.mail.models import InboundSource, Mailbox
from frontdesk.mail.pipeline import ingest_raw
from frontdesk.mail.tokens import address_base


def _mailbox(message: Any) -> Mailbox | None:
    candidates = []
    if getattr(message, "envelope_recipient", None):
        candidates.append(str(message.envelope_recipient))
    for header in ("To", "Cc", "Delivered-To"):
        candidates.extend(str(a) for a in message.get_all(header) or [])
    from email.utils import getaddresses

    for _name, address in getaddresses(candidates):
        mailbox = Mailbox.objects.filter(address__iexact=address_base(address), active=True).first()
        if mailbox is not None:
            return mailbox
    return None


def on_inbound(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    if message is None:
        return
    raw = message.as_bytes()
    ingest_raw(raw, mailbox=_mailbox(message), source=InboundSource.WEBHOOK)


def register() -> None:
    inbound.connect(on_inbound, dispatch_uid="frontdesk.mail.webhooks.on_inbound")


def webhook_view(view_class: type, *, needs: tuple[str, ...] = ()) -> Callable:
    """anymail's view, answering 404 until its secrets are configured.

    Without ANYMAIL["WEBHOOK_SECRET"] anyone could post mail into the desk, so an
    unconfigured provider endpoint does not exist rather than accepting anonymous mail.
    """
    inner = view_class.as_view()

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        config = getattr(settings, "ANYMAIL", {}) or {}
        if not config.get("WEBHOOK_SECRET") or any(not config.get(key) for key in needs):
            raise Http404("This webhook is not configured.")
        return inner(request, *args, **kwargs)

    return view
