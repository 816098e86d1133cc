"""Webhooks against a real HTTP receiver on loopback: signatures, retries, SSRF refusals."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from frontdesk.core import clock
from frontdesk.notifications.crypto import secret_decrypt
from frontdesk.notifications.models import (
    DeliveryState,
    Notification,
    WebhookDelivery,
    WebhookSubscription,
)
from frontdesk.notifications.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Refused,
    allowed_host_add,
    signature_verify,
    subscription_save,
    target_check,
    webhook_deliver,
    webhook_event,
)

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server in a thread that answers with the statuses it is told, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int | str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers.items()), body))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "slow":
                    time.sleep(1.5)
                    answer = 200
                self.send_response(int(answer))
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hook(receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    allowed_host_add(host="127.0.0.1", note="the test receiver")
    subscription, secret = subscription_save(
        subscription=None,
        name="Receiver",
        url=receiver.url,
        events=["ticket.created", "message.created"],
        format="json",
        active=True,
    )
    subscription.plain_secret = secret
    return subscription


def test_a_new_ticket_is_posted_signed_and_the_signature_verifies(
    people, make_ticket, receiver, hook
):
    ticket = make_ticket(subject="Printer on fire")
    events = [json.loads(body)["event"] for _h, body in receiver.requests]
    assert sorted(events) == ["message.created", "ticket.created"]
    headers, body = next(r for r in receiver.requests if b"ticket.created" in r[1])
    payload = json.loads(body)
    assert payload["data"]["ticket"]["number"] == ticket.number
    assert payload["data"]["ticket"]["requester"]["email"] == "dana@example.com"
    assert signature_verify(
        hook.plain_secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER]
    )
    assert not signature_verify("wrong", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    # The secret is stored encrypted, never in plain text.
    stored = WebhookSubscription.objects.get(pk=hook.pk).secret_encrypted
    assert hook.plain_secret not in stored
    assert secret_decrypt(stored) == hook.plain_secret
    delivery = WebhookDelivery.objects.filter(event="ticket.created").get()
    assert (delivery.state, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_a_500_is_retried_with_backoff_until_it_succeeds(people, receiver, hook, settle):
    receiver.answers = [500, 503]
    webhook_event(event="ticket.created", payload={"x": 1}, key="k1")
    settle()
    delivery = WebhookDelivery.objects.get(key="k1")
    assert (delivery.state, delivery.response_code) == (DeliveryState.RETRYING, 500)
    first_wait = delivery.next_attempt_at - clock.now()
    assert webhook_deliver(delivery.pk) is None  # not due yet: nothing is sent
    retry_at = delivery.next_attempt_at + timedelta(seconds=1)
    with time_machine.travel(retry_at, tick=False):
        delivery = webhook_deliver(delivery.pk)
    assert (delivery.state, delivery.response_code) == (DeliveryState.RETRYING, 503)
    # Exponential backoff: the second wait is twice the first.
    assert abs((delivery.next_attempt_at - retry_at) - first_wait * 2) < timedelta(seconds=2)
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        delivery = webhook_deliver(delivery.pk)
    assert (delivery.state, delivery.response_code, delivery.attempts) == ("delivered", 200, 3)
    assert len(receiver.requests) == 3


def test_a_timeout_is_retried(people, receiver, hook, settle):
    receiver.answers = ["slow"]
    webhook_event(event="ticket.created", payload={"x": 1}, key="k2")
    settle()
    delivery = WebhookDelivery.objects.get(key="k2")
    assert delivery.state == DeliveryState.RETRYING
    assert "timed out" in delivery.error.lower() or "timeout" in delivery.error.lower()
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        delivery = webhook_deliver(delivery.pk)
    assert delivery.state == DeliveryState.DELIVERED


def test_repeated_failures_switch_the_subscription_off(people, receiver, hook, settings, settle):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER = 3
    receiver.answers = [500] * 5
    for i in range(4):
        webhook_event(event="ticket.created", payload={"x": i}, key=f"f{i}")
        settle()
    hook.refresh_from_db()
    assert hook.active is False
    assert "3 failed attempts" in hook.disabled_reason
    assert len(receiver.requests) == 3  # the fourth was not even tried
    # Ada, the admin, hears about it once, with a link to the webhook; agents do not.
    told = Notification.objects.filter(kind="webhook_off")
    assert [(n.user, n.url) for n in told] == [
        (people["ada"], f"/notifications/webhooks/{hook.pk}/")
    ]
    assert "switched off after 3 failures" in told.get().title


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "ftp://example.com/hook",
        # Metadata services and ways to spell their addresses.
        "http://100.100.100.200/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[2002:a9fe:a9fe::1]/latest/meta-data/",
        "http://[64:ff9b::169.254.169.254]/latest/meta-data/",
        "http://[2001:0:4136:e378:8000:63bf:56fe:5af6]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_internal_targets_are_refused(people, url):
    with pytest.raises(Refused):
        target_check(url)


def test_a_refused_delivery_is_logged_and_nothing_is_sent(people, receiver, settle):
    subscription, _secret = subscription_save(
        subscription=None,
        name="Sneaky",
        url=receiver.url.replace("127.0.0.1", "localhost"),
        events=["ticket.created"],
        format="json",
        active=True,
    )
    webhook_event(event="ticket.created", payload={}, key="s1")
    settle()
    delivery = WebhookDelivery.objects.get(key="s1")
    assert delivery.state == DeliveryState.REFUSED
    assert "internal address" in delivery.error
    assert receiver.requests == []


def test_redirects_to_internal_addresses_are_refused(people, settings, settle):
    """A public-looking endpoint answering 307 to the metadata address is not followed."""
    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        allowed_host_add(host="127.0.0.1")
        subscription_save(
            subscription=None,
            name="Redirector",
            url=f"http://127.0.0.1:{server.server_address[1]}/",
            events=["ticket.created"],
            format="json",
            active=True,
        )
        webhook_event(event="ticket.created", payload={}, key="r1")
        settle()
    finally:
        server.shutdown()
        server.server_close()
    delivery = WebhookDelivery.objects.get(key="r1")
    assert delivery.state == DeliveryState.REFUSED
    assert hits == ["/"]


def test_slack_and_teams_get_their_own_message_formats(people, make_ticket, receiver):
    allowed_host_add(host="127.0.0.1")
    for fmt in ("slack", "teams"):
        subscription_save(
            subscription=None,
            name=fmt,
            url=receiver.url,
            events=["ticket.created"],
            format=fmt,
            active=True,
        )
    ticket = make_ticket(subject="Printer on fire")
    bodies = [json.loads(body) for _h, body in receiver.requests]
    slack = next(b for b in bodies if "blocks" in b)
    teams = next(b for b in bodies if b.get("type") == "message")
    assert f"#{ticket.number}" in slack["text"]
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == f"[#{ticket.number}] Printer on fire"
    # Chat formats carry no signature header (Slack and Teams do not check one).
    assert all(SIGNATURE_HEADER not in h for h, _b in receiver.requests)


def test_public_addresses_pass_the_guard(people, monkeypatch):
    def fake_resolve(host, port, type=0):  # noqa: A002
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_resolve)
    target = target_check("https://hooks.example.com/services/T000/B000")
    assert (target.host, target.port, target.address) == ("hooks.example.com", 443, "93.184.216.34")


def test_admins_manage_webhooks_and_see_the_log(people, client, receiver, settle):
    client.force_login(people["ada"])
    response = client.post(
        "/notifications/webhooks/new/",
        {
            "name": "Ops",
            "url": receiver.url,
            "events": ["ticket.created"],
            "format": "json",
            "active": "1",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "whsec_" in page.content.decode()  # the secret, shown once
    assert "whsec_" not in client.get(response["Location"]).content.decode()
    subscription = WebhookSubscription.objects.get(name="Ops")
    client.post(f"/notifications/webhooks/{subscription.pk}/test/")
    settle()
    log = client.get(f"/notifications/webhooks/{subscription.pk}/").content.decode()
    assert "ping" in log and "refused" in log.lower()
