"""The supervisor dashboard in a real browser: Sam opens it, the charts draw from the
desk's data, and choosing a channel redraws them with only that channel's tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from frontdesk.core import clock
from frontdesk.core.testing.factories import PASSWORD
from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure
from frontdesk.tickets.models import Channel, Status
from frontdesk.tickets.services import message_add, ticket_update
from tests.browser.conftest import login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _desk_history(people, make_ticket) -> None:  # type: ignore[no-untyped-def]
    """Twelve tickets over the last six days: replies, solves and ratings."""
    solved = Status.objects.get(slug="solved")
    now = clock.now()
    for i in range(12):
        created = now - timedelta(days=i % 6, hours=2 + i)
        channel = Channel.EMAIL if i % 3 == 0 else Channel.PORTAL
        agent = people["alice"] if i % 2 else people["carol"]
        ticket = make_ticket(
            subject=f"Request {i}",
            team="l1" if i % 2 else "l2",
            channel=channel,
            received_at=created,
        )
        if i % 4 != 3:
            message_add(
                ticket=ticket,
                author=agent,
                body_text="On it.",
                at=created + timedelta(minutes=20 + 40 * i),
            )
        if i % 3 != 2:
            ticket_update(
                ticket=ticket,
                actor=agent,
                changes={"status": solved},
                at=created + timedelta(hours=1 + i),
            )
            ticket.refresh_from_db()
            csat_answer(survey=csat_survey_ensure(ticket=ticket), rating=0 if i == 4 else 1)


def _total(page, chart: str) -> float:  # type: ignore[no-untyped-def]
    canvas = page.locator(f"canvas#{chart}[data-rendered='1']")
    canvas.wait_for()
    return float(canvas.get_attribute("data-total") or 0)


def test_supervisor_dashboard_draws_and_filters(page, live_server, people, make_ticket):
    _desk_history(people, make_ticket)
    login(page, "supervisor@example.com", PASSWORD)
    page.clock.install()  # the live counters' 30-second timer runs when the test says
    page.goto("/reports/?days=7")
    everything = _total(page, "chart-volume")
    assert everything == 12 + 8  # created + solved
    assert _total(page, "chart-first-response") == 9
    assert _total(page, "chart-backlog") == 4
    assert _total(page, "chart-csat") > 0
    assert page.locator("[data-counter=open]").inner_text() == "4"
    page.set_viewport_size({"width": 1400, "height": 1450})  # the charts in the picture
    page.wait_for_timeout(300)  # Chart.js redraws on resize
    # docs/screenshots/ only with FRONTDESK_SCREENSHOTS=1, else a temporary folder
    # (tests/browser/conftest.py), so a test run leaves the checkout clean.
    screenshot(page, "reporting-dashboard")
    with page.expect_navigation():
        page.select_option("select[name=channel]", "email")
    assert "channel=email" in page.url
    email_only = _total(page, "chart-volume")
    assert email_only == 4 + 4  # 4 email tickets created, all 4 solved
    assert email_only < everything
    # A new email request arrives: the counters update without reloading the page.
    assert page.locator("[data-counter=open]").inner_text() == "0"
    created_today = int(page.locator("[data-counter=created]").inner_text())
    make_ticket(subject="Out of paper", channel=Channel.EMAIL)
    page.clock.run_for(31_000)
    expect(page.locator("[data-counter=open]")).to_have_text("1")
    expect(page.locator("[data-counter=created]")).to_have_text(str(created_today + 1))
    assert "channel=email" in page.url  # still the same page
