"""Webhooks: signed JSON (or Slack/Teams messages) POSTed to subscribers, with retries.

Safety first (server-side request forgery): a URL's host is resolved and every address it
resolves to must be public; loopback, private, link-local (cloud metadata at
169.254.169.254), multicast, reserved, shared and unspecified addresses are refused unless
an admin allowed that host. The request then connects to the address that was checked (a
second DNS answer cannot swap it), with the host name kept for TLS and the Host header.
Redirects are not followed except 307/308, whose target is checked the same way.

Each delivery is one row per (subscription, event key), so an event is delivered once even
if its handler runs twice. Failures are retried with exponential backoff; after
``WEBHOOK_DISABLE_AFTER`` failed attempts in a row the subscription is switched off.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse

from frontdesk.core import clock
from frontdesk.notifications.crypto import secret_decrypt, secret_encrypt
from frontdesk.notifications.models import (
    AllowedHost,
    DeliveryState,
    WebhookDelivery,
    WebhookFormat,
    WebhookSubscription,
)
from frontdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.assigned",
    "ticket.solved",
    "message.created",
    "sla.warning",
    "sla.breach",
    "feedback.received",
    "rule.webhook",
)
SIGNATURE_HEADER = "X-Frontdesk-Signature"
TIMESTAMP_HEADER = "X-Frontdesk-Timestamp"
USER_AGENT = "Frontdesk-Webhooks/1"
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_attempts() -> int:
    return _setting("WEBHOOK_MAX_ATTEMPTS", 5)


def backoff_seconds() -> int:
    return _setting("WEBHOOK_BACKOFF_SECONDS", 30)


def disable_after() -> int:
    return _setting("WEBHOOK_DISABLE_AFTER", 15)


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))


# --- SSRF guard -------------------------------------------------------------------------------


class Refused(Exception):  # noqa: N818 - names the situation
    """The URL may not be called (scheme, or an internal address without an allowance)."""


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo, NAT64. Why: a tunnel
    or translator on the desk's network would carry ``2002:a9fe:a9fe::`` to 169.254.169.254."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner and not all(address_is_public(str(a)) for a in inner):
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def host_allowed(host: str) -> bool:
    return AllowedHost.objects.filter(host__iexact=host.strip(".").lower()).exists()


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def target_check(url: str) -> Target:
    """Where ``url`` would connect, after the SSRF checks; raises ``Refused``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs")
    host = (parts.hostname or "").strip(".").lower()
    if not host:
        raise Refused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused("the URL has an invalid port") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} does not resolve") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise Refused(f"{host} does not resolve")
    if not host_allowed(host):
        internal = [a for a in addresses if not address_is_public(a)]
        if internal:
            raise Refused(f"{host} resolves to an internal address ({internal[0]})")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Response:
    status: int
    body: str


def post(url: str, body: bytes, headers: Mapping[str, str], *, redirects: int = 3) -> Response:
    """POST to a checked address; raises ``Refused``, ``OSError`` or ``TimeoutError``."""
    target = target_check(url)
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = cls(target, timeout_seconds())
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        text = response.read(2000).decode("utf-8", "replace")
        location = response.getheader("Location")
    finally:
        connection.close()
    if response.status in (307, 308) and location and redirects > 0:
        return post(urljoin(url, location), body, headers, redirects=redirects - 1)
    return Response(response.status, text)


# --- signing and payloads ---------------------------------------------------------------------


def secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``<timestamp>.<body>`` keyed with the subscription's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def payload_ticket(ticket: Ticket) -> dict[str, Any]:
    """The ticket as webhooks describe it (documented in docs/webhooks.md)."""
    ticket = Ticket.objects.select_related(
        "status", "priority", "ticket_type", "team", "assignee", "requester", "organization"
    ).get(pk=ticket.pk)
    return {
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status.slug,
            "status_category": ticket.status_category,
            "priority": ticket.priority.slug,
            "type": ticket.ticket_type.slug,
            "channel": ticket.channel,
            "team": ticket.team.name if ticket.team_id else None,
            "assignee": ticket.assignee.email if ticket.assignee_id else None,
            "requester": {
                "email": ticket.requester.email,
                "name": ticket.requester.display_name,
            },
            "organization": ticket.organization.name if ticket.organization_id else None,
            "tags": sorted(ticket.tags.values_list("name", flat=True)),
            "language": ticket.language,
            "created_at": ticket.created_at.isoformat(),
            "updated_at": ticket.updated_at.isoformat(),
            "url": settings.SITE_URL.rstrip("/") + reverse("desk:ticket", args=[ticket.number]),
        }
    }


def _summary(event: str, payload: Mapping[str, Any]) -> tuple[str, str, str]:
    """(title, text, url) for chat formats."""
    ticket = payload.get("ticket") or {}
    title = f"[#{ticket.get('number', '?')}] {ticket.get('subject', '')}".strip()
    words = {
        "ticket.created": "New ticket",
        "ticket.updated": "Ticket updated",
        "ticket.assigned": "Ticket assigned",
        "ticket.solved": "Ticket solved",
        "message.created": "New message",
        "sla.warning": "SLA breaching soon",
        "sla.breach": "SLA breached",
        "feedback.received": "Feedback received",
        "rule.webhook": f"Rule: {payload.get('rule', '')}",
    }
    text = words.get(event, event)
    details = [
        f"{k}: {ticket[k]}" for k in ("status", "priority", "team", "assignee") if ticket.get(k)
    ]
    if details:
        text += " · " + ", ".join(details)
    return title, text, str(ticket.get("url", ""))


def body_for(subscription: WebhookSubscription, delivery: WebhookDelivery) -> dict[str, Any]:
    if subscription.format == WebhookFormat.SLACK:
        title, text, url = _summary(delivery.event, delivery.payload)
        link = f"<{url}|{title}>" if url else title
        return {
            "text": f"{title}: {text}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{link}*\n{text}"}}
            ],
        }
    if subscription.format == WebhookFormat.TEAMS:
        title, text, url = _summary(delivery.event, delivery.payload)
        card: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": text, "wrap": True},
            ],
        }
        if url:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open ticket", "url": url}]
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }


# --- subscriptions ----------------------------------------------------------------------------


@transaction.atomic
def subscription_save(
    *,
    subscription: WebhookSubscription | None,
    name: str,
    url: str,
    events: list[str],
    format: str,  # noqa: A002 - the field's name
    active: bool,
    rotate_secret: bool = False,
) -> tuple[WebhookSubscription, str | None]:
    """Create or change a subscription; returns the plain secret when a new one was made
    (shown to the admin once; only the encrypted form is stored)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    errors: dict[str, list[str]] = {}
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        errors["url"] = [_("Enter an http or https URL.")]
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        errors["events"] = [_("Choose at least one event.")]
    if format not in WebhookFormat.values:
        errors["format"] = [_("Choose a format.")]
    if not name.strip():
        errors["name"] = [_("Give the webhook a name.")]
    if errors:
        raise ValidationError(errors)
    subscription = subscription or WebhookSubscription()
    plain = None
    if subscription.pk is None or rotate_secret or not subscription.secret_encrypted:
        plain = secret_new()
        subscription.secret_encrypted = secret_encrypt(plain)
    subscription.name = name.strip()[:120]
    subscription.url = url.strip()
    subscription.events = sorted(set(events))
    subscription.format = format
    if active and not subscription.active:
        subscription.consecutive_failures = 0
        subscription.disabled_reason = ""
    subscription.active = active
    subscription.save()
    return subscription, plain


def allowed_host_add(*, host: str, note: str = "") -> AllowedHost:
    host = host.strip().strip(".").lower()
    allowed, _created = AllowedHost.objects.get_or_create(host=host, defaults={"note": note})
    return allowed


def allowed_host_remove(*, allowed: AllowedHost) -> None:
    allowed.delete()


# --- deliveries -------------------------------------------------------------------------------


def webhook_event(
    *,
    event: str,
    payload: Mapping[str, Any],
    key: str,
    subscription_id: int | None = None,
) -> int:
    """Queue ``event`` for every active subscriber (or one subscription); once per key."""
    subscriptions = WebhookSubscription.objects.filter(active=True)
    if subscription_id is not None:
        subscriptions = subscriptions.filter(pk=subscription_id)
    queued = 0
    now = clock.now()
    for subscription in subscriptions:
        if subscription_id is None and event not in (subscription.events or []):
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription,
                    event=event,
                    key=key[:200],
                    payload=dict(payload),
                    created_at=now,
                )
        except IntegrityError:
            continue
        queued += 1
        transaction.on_commit(lambda d=delivery.pk: _enqueue(d))
    return queued


def _enqueue(delivery_id: int, delay: int = 0) -> None:
    from frontdesk.notifications.tasks import webhook_deliver_task

    if delay:
        webhook_deliver_task.schedule((delivery_id,), delay=delay)
    else:
        webhook_deliver_task(delivery_id)


def webhook_deliver(delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt at a delivery (claimed, so two workers never send it at once)."""
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        state__in=[DeliveryState.PENDING, DeliveryState.RETRYING],
        subscription__active=True,
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=timeout_seconds() * 4 + 60),
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    body = json.dumps(body_for(subscription, delivery), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Frontdesk-Event": delivery.event,
        "X-Frontdesk-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
    }
    if subscription.format == WebhookFormat.JSON:
        headers[SIGNATURE_HEADER] = signature(
            secret_decrypt(subscription.secret_encrypted), timestamp, body
        )
    try:
        response = post(subscription.url, body, headers)
    except Refused as exc:
        return _failed(delivery, error=str(exc), refused=True)
    except (OSError, TimeoutError, http.client.HTTPException) as exc:
        return _failed(delivery, error=f"{type(exc).__name__}: {exc}")
    if 200 <= response.status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED,
            response_code=response.status,
            response_excerpt=response.body[:500],
            error="",
            delivered_at=clock.now(),
            next_attempt_at=None,
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        delivery.refresh_from_db()
        return delivery
    return _failed(
        delivery,
        error=f"HTTP {response.status}",
        code=response.status,
        excerpt=response.body[:500],
    )


def _failed(
    delivery: WebhookDelivery,
    *,
    error: str,
    code: int | None = None,
    excerpt: str = "",
    refused: bool = False,
) -> WebhookDelivery:
    log.warning("webhook delivery %s failed: %s", delivery.pk, error)
    final = refused or delivery.attempts >= max_attempts()
    delay = backoff_seconds() * 2 ** (delivery.attempts - 1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=(
            DeliveryState.REFUSED
            if refused
            else (DeliveryState.FAILED if final else DeliveryState.RETRYING)
        ),
        response_code=code,
        response_excerpt=excerpt,
        error=error[:500],
        next_attempt_at=None if final else clock.now() + timedelta(seconds=delay),
    )
    WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    subscription = WebhookSubscription.objects.get(pk=delivery.subscription_id)
    if subscription.active and subscription.consecutive_failures >= disable_after():
        switched_off = WebhookSubscription.objects.filter(pk=subscription.pk, active=True).update(
            active=False,
            disabled_reason=f"switched off after {subscription.consecutive_failures} failed "
            f"attempts in a row (last: {error})"[:300],
        )
        if switched_off:
            _admins_tell(subscription, error)
    if not final:
        transaction.on_commit(lambda: _enqueue(delivery.pk, delay=delay))
    delivery.refresh_from_db()
    return delivery


def _admins_tell(subscription: WebhookSubscription, error: str) -> None:
    """Whoever runs the desk hears that an integration stopped (in-app and email)."""
    from django.utils.translation import gettext as _

    from frontdesk.accounts.models import Role, User
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import notify

    url = reverse("notifications:webhook_edit", args=[subscription.pk])
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        notify(
            user=admin,
            kind=Kind.WEBHOOK_OFF,
            title=_("Webhook “%(name)s” was switched off after %(count)s failures")
            % {"name": subscription.name, "count": subscription.consecutive_failures},
            body=error[:500],
            key=f"webhook-off:{subscription.pk}:{subscription.consecutive_failures}",
            url=url,
        )


def deliveries_due(limit: int = 200) -> list[int]:
    """Deliveries whose next attempt is due (the sweeper picks up lost retry jobs)."""
    now = clock.now()
    return list(
        WebhookDelivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.RETRYING],
            subscription__active=True,
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(created_at__lt=now - timedelta(seconds=30))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def subscription_test(*, subscription: WebhookSubscription) -> int:
    """Queue a "ping" to check a subscription from the settings page."""
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                subscription=subscription,
                event="ping",
                key=f"ping:{secrets.token_hex(8)}",
                payload={"ping": True},
                created_at=clock.now(),
            )
    except IntegrityError:  # pragma: no cover - random key
        return 0
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery.pk
