"""Reads for the mail pages, the ticket page's per-message extras and /healthz."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.mail.models import (
    InboundMail,
    InboundState,
    Mailbox,
    OutboundKind,
    OutboundMail,
)
from frontdesk.tickets.models import Message

PROBLEM_STATES = (InboundState.DEAD, InboundState.QUARANTINED, InboundState.HELD)


def mail_health() -> dict[str, Any]:
    """For /healthz (public: no addresses, no error text; the admin pages show those).

    Per polled mailbox: its id, whether its last poll went well, and how many seconds ago
    it was. The check fails only when an active mailbox has not been polled for ten poll
    intervals (the poller is not running); a mailbox whose server refuses us shows
    ``ok: false`` without failing the whole site. ``mail_dead_letters`` counts the mail
    waiting for an admin in the dead-letter list.
    """
    now = clock.now()
    stale_after = max(10 * settings.MAIL_POLL_SECONDS, 600)
    mailboxes = []
    stale = False
    for box in (
        Mailbox.objects.filter(active=True)
        .exclude(imap_host="")
        .order_by("pk")
        .only("pk", "last_poll_at", "last_error")
    ):
        age = int((now - box.last_poll_at).total_seconds()) if box.last_poll_at else None
        stale |= age is not None and age > stale_after
        mailboxes.append({"id": box.pk, "ok": not box.last_error, "last_poll_age_s": age})
    return {
        "ok": not stale,
        "mail_dead_letters": InboundMail.objects.filter(state=InboundState.DEAD).count(),
        "mailboxes": mailboxes,
    }


def inbound_list(*, state: str | None) -> QuerySet[InboundMail]:
    queryset = InboundMail.objects.select_related("mailbox", "ticket_message__ticket")
    if state:
        return queryset.filter(state=state)
    return queryset.filter(state__in=PROBLEM_STATES)


def inbound_counts() -> dict[str, int]:
    from django.db.models import Count

    rows = (
        InboundMail.objects.filter(state__in=PROBLEM_STATES)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["state"]: row["n"] for row in rows}


def message_mail_extras(messages: list[Message], user: User) -> dict[int, dict[str, Any]]:
    """Per message: delivery state, sender check, held marker, original (one query)."""
    if not user.is_agent:
        return {}
    ids = [m.pk for m in messages]
    outbound: dict[int, OutboundMail] = {}
    if ids:
        for row in OutboundMail.objects.filter(
            ticket_message_id__in=ids, kind=OutboundKind.REPLY
        ).only("ticket_message_id", "state", "last_error", "sent_at", "to", "cc"):
            outbound[row.ticket_message_id] = row
    extras: dict[int, dict[str, Any]] = {}
    for message in messages:
        mail = (message.metadata or {}).get("mail") or {}
        context: dict[str, Any] = {}
        if message.pk in outbound:
            context["outbound"] = outbound[message.pk]
        if mail:
            context["dmarc_fail"] = mail.get("dmarc") == "fail"
            context["original_url"] = reverse(
                "mail:message_original", kwargs={"message_id": message.pk}
            )
            context["refused_files"] = mail.get("refused_files") or []
            context["refused_ticket"] = mail.get("refused_ticket")
            context["sender"] = mail.get("from", "")
            cids = mail.get("cids") or {}
            if cids:
                files = list(message.attachments.all())
                context["cids"] = {
                    cid: reverse("attachment", args=[files[i].pk, files[i].filename])
                    for cid, i in cids.items()
                    if i < len(files)
                }
        if (message.metadata or {}).get("held"):
            context["held"] = True
        if context:
            extras[message.pk] = context
    return extras


def inbound_for_message(message: Message) -> InboundMail | None:
    mail = (message.metadata or {}).get("mail") or {}
    inbound = InboundMail.objects.filter(ticket_message=message).first()
    if inbound is None and mail.get("inbound_id"):
        inbound = InboundMail.objects.filter(pk=mail["inbound_id"]).first()
    return inbound
