"""HTTP through the ASGI application uvicorn serves (config.asgi), not the test client.

The handler runs the middleware chain and the view on a pooled request thread; these
check that what users see is unchanged: headers, their language (and no one else's),
writes that commit, and requests in flight at the same time on different threads.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from frontdesk.accounts.services import api_token_create, user_update
from frontdesk.core.testing.factories import personas_create
from frontdesk.tickets.models import Ticket

# serialized_rollback restores the rows data migrations made (statuses, types) afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def call(method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""):
    """One request through config.asgi.application: (status, headers, body)."""
    from config.asgi import application

    return run_in_own_loop(_call(application, method, path, headers or {}, body))


def run_in_own_loop(coroutine):
    """asyncio.run on a thread of its own: an earlier test (Playwright's sync API) may have
    left an event loop running on this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _call(app, method, path, headers, body):
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    out: list[dict] = []

    async def receive():
        if sent:
            return sent.pop(0)
        await asyncio.sleep(3600)  # no disconnect while the response is made
        return {"type": "http.disconnect"}

    async def send(message):
        out.append(message)

    await app(scope, receive, send)
    start = next(m for m in out if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


def get_page(path: str, cookie: str):
    """GET through the application, following redirects (the desk opens on a view)."""
    for _hop in range(5):
        status, headers, body = call("GET", path, headers={"cookie": cookie})
        if status != 302:
            return status, headers, body
        path = headers["location"]
    raise AssertionError(f"too many redirects from {path}")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_pages_keep_their_security_headers_and_each_reader_their_language():
    people = personas_create()
    user_update(user=people["alice"], language="sv")
    alice, bob = session_cookie(people["alice"]), session_cookie(people["bob"])
    status, headers, body = get_page("/desk/", alice)
    assert status == 200
    assert "default-src 'self'" in headers["content-security-policy"]
    assert '<html lang="sv">' in body.decode()
    # The next request may run on the same pooled thread: it must not inherit Swedish.
    status, _headers, body = get_page("/desk/", bob)
    assert status == 200
    assert '<html lang="en">' in body.decode()


def test_an_api_create_commits_and_answers_201():
    people = personas_create()
    _token, key = api_token_create(user=people["alice"], name="asgi")
    payload = {"subject": "Printer on fire", "body": "Smoke.", "requester": "dana@example.com"}
    status, headers, body = call(
        "POST",
        "/api/v1/tickets/",
        headers={"authorization": f"Token {key}", "content-type": "application/json"},
        body=json.dumps(payload).encode(),
    )
    assert status == 201, body[:300]
    number = json.loads(body)["number"]
    assert headers["location"].endswith(f"/api/v1/tickets/{number}/")
    assert Ticket.objects.get(number=number).requester == people["dana"]


def test_requests_in_flight_together_run_on_their_own_threads(monkeypatch):
    """A slow request does not hold up the next one: each has its own thread."""
    from config.asgi import application
    from frontdesk.core import health

    both_inside = threading.Barrier(2, timeout=10)
    threads: list[int] = []
    real_checks = health.run_all

    def checks_meeting_the_other():
        threads.append(threading.get_ident())
        both_inside.wait()  # raises BrokenBarrierError if the two never overlap
        return real_checks()

    monkeypatch.setattr(health, "run_all", checks_meeting_the_other)

    async def two_at_once():
        return await asyncio.gather(
            _call(application, "GET", "/healthz", {}, b""),
            _call(application, "GET", "/healthz", {}, b""),
        )

    results = run_in_own_loop(two_at_once())
    assert all(b'"database"' in body for _status, _h, body in results)
    assert len(set(threads)) == 2
