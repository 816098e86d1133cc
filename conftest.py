"""Shared fixtures: the personas, a private media root, a factory for tickets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from frontdesk.core.testing.factories import personas_create


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {os.environ.get('DATABASE_URL', 'sqlite (default)')}"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's) per test process, shared by every browser test:
    Playwright's sync API allows one running instance per thread. It keeps an event loop
    running on the main thread from then on, so async test scenarios run on a thread of
    their own (frontdesk.core.testing.aio.run_scenario)."""
    import shutil

    from tests.browser.conftest import ARGS, CHROMIUM

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install it")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _asgi_request_threads():
    """Tests that serve through config.asgi leave no request thread holding a database
    connection (the test database could not be dropped at the end)."""
    yield
    asgi = sys.modules.get("frontdesk.core.asgi")
    if asgi is not None:
        asgi.request_threads_close()


@pytest.fixture(autouse=True)
def django_db_serialized_rollback() -> None:
    """Every transactional test starts from the rows migrations made (statuses, types,
    content types) and leaves an empty database for the next one to restore: mixing tests
    that restore with tests that do not would re-create content types under new ids and
    break the next restore."""


@pytest.fixture
def people(db):
    return personas_create()


@pytest.fixture
def make_ticket(people):
    """Open a ticket the way a channel would: through message_receive."""
    from frontdesk.tickets.intake import InboundMessage
    from frontdesk.tickets.models import Channel
    from frontdesk.tickets.services import message_receive

    def make(
        requester=None,
        subject="Printer on fire",
        body="It is on fire.",
        team="l1",
        assignee=None,
        channel=Channel.PORTAL,
        **extra,
    ):
        requester = requester or people["dana"]
        message = message_receive(
            inbound=InboundMessage(
                channel=channel,
                author=requester,
                subject=subject,
                body_text=body,
                team=people[team] if isinstance(team, str) else team,
                assignee=assignee,
                **extra,
            )
        )
        ticket = message.ticket
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus (or FRONTDESK_CORPUS); tests that need it skip plainly without it."""
    path = Path(
        os.environ.get(
            "FRONTDESK_CORPUS", Path(__file__).resolve().parent.parent / "shared" / "corpus"
        )
    )
    if not path.is_dir():
        pytest.skip(f"corpus not found at {path} (set FRONTDESK_CORPUS)")
    return path
