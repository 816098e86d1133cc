"""Deflection in a real browser: Dana types a request, reads a suggested article, finds it
helpful and leaves without filing. That counts as a deflection."""

from __future__ import annotations

import pytest

from frontdesk.core.testing.factories import PASSWORD
from frontdesk.knowledge.models import Feedback, Status
from frontdesk.knowledge.selectors import deflection_stats
from frontdesk.knowledge.services import (
    article_create,
    article_transition,
    category_save,
    section_save,
)
from frontdesk.tickets.models import Ticket
from tests.browser.conftest import login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_suggested_article_answers_dana_before_she_files(browser, live_server, people):
    section = section_save(category=category_save(name="Printing"), name="Printers")
    article = article_create(
        section=section,
        language="en",
        title="Clear a paper jam",
        body_md="1. Open the front tray.\n2. Pull the jammed paper out **slowly**.",
        author=people["alice"],
    )
    article_transition(article=article, to=Status.PUBLISHED, actor=people["sam"])

    context = browser.new_context(base_url=live_server.url, viewport={"width": 420, "height": 900})
    page = context.new_page()
    login(page, "dana@example.com", PASSWORD)
    page.goto("/portal/requests/new/?type=incident")
    page.fill("input[name=subject]", "Printer has a paper jam")
    suggestion = page.locator("#kb-suggestions a", has_text="Clear a paper jam")
    suggestion.wait_for()
    screenshot(page, "portal-suggestions")
    with page.expect_navigation():
        suggestion.click()
    assert "Pull the jammed paper out" in page.content()
    page.get_by_role("button", name="Yes, it helped").click()
    page.get_by_text("Glad it helped").wait_for()
    page.goto("/portal/")  # leaves without filing
    context.close()

    assert Feedback.objects.get(article=article).helpful
    stats = deflection_stats()
    assert (stats.sessions, stats.opened, stats.deflected) == (1, 1, 1)
    assert not Ticket.objects.filter(subject="Printer has a paper jam").exists()
