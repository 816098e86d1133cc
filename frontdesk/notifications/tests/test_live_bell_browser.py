"""Alice's bell lights up without a reload when the job worker (another process) tells her.

The web process is uvicorn serving the real ASGI application (HTTP and the websocket) on a
thread of this test process; the job worker is a subprocess writing to the same database.
The bell polls only every 60 s, so a count within a few seconds came over the websocket.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from frontdesk.notifications.tests.test_live_relay import NOTIFY, job_worker_env, run_python

# Committed data (the server thread and the subprocess read it). No serialized rollback:
# the test needs no rows from data migrations (it signs in with a session cookie and opens
# the notifications page), so it works whichever test ran before it on the worker.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn with config.asgi (websockets included), as ``make run`` starts it."""
    import uvicorn

    from config.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_notification_from_the_job_worker_appears_in_alices_bell_without_reload(
    browser, asgi_server, people
):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(people["alice"])
    context = browser.new_context(base_url=asgi_server)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server,
            }
        ]
    )
    page = context.new_page()
    page.goto("/notifications/")
    bell = page.locator("#notification-bell")
    assert bell.locator(".count").count() == 0
    page.wait_for_selector("html[data-live=on]", timeout=10_000)

    run_python(NOTIFY, env=job_worker_env())

    # Well inside the bell's 60 s poll: the push brought it.
    page.wait_for_selector("#notification-bell .count", timeout=5_000)
    assert page.locator("#notification-bell .count").inner_text() == "1"
    context.close()
