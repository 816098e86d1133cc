"""The whole journey in a real browser: Dana asks, Alice answers with a macro, Dana is done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.core.testing.factories import PASSWORD
from frontdesk.tickets.models import Macro, StatusCategory, Ticket
from tests.browser.conftest import login, screenshot

# serialized_rollback restores the configuration rows data migrations created (statuses,
# types, views), which the flush after a transactional test would otherwise remove.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious and critical WCAG 2.x A/AA violations axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa',"
        " 'wcag22aa']})).violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | '))"
    )
    return list(result)


def test_customer_request_to_solved_with_macro_reply(browser, live_server, people, tmp_path):
    Macro.objects.create(
        name="Reset instructions",
        body="Hi {{requester.first_name}}, choose Forgot password on the sign-in page.",
        actions={"add_tags": ["password"]},
    )
    shot = tmp_path / "screen.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 200)

    # Dana files a request with a screenshot.
    dana = browser.new_context(
        base_url=live_server.url, viewport={"width": 420, "height": 900}, bypass_csp=True
    )  # axe-core is injected as a script
    customer = dana.new_page()
    login(customer, "dana@example.com", PASSWORD)
    customer.goto("/portal/requests/new/?type=incident")
    customer.fill("input[name=subject]", "Cannot sign in after password change")
    customer.fill("textarea[name=body]", "Since this morning the app says my password is wrong.")
    customer.set_input_files("input[name=attachments]", str(shot))
    with customer.expect_navigation():
        customer.get_by_role("button", name="Send request").click()
    ticket = Ticket.objects.get(subject="Cannot sign in after password change")
    assert ticket.channel == "portal"
    assert ticket.messages.get().attachments.get().filename == "screen.png"
    assert "Cannot sign in after password change" in customer.content()
    assert axe_violations(customer) == []
    screenshot(customer, "portal-request")

    # Alice finds it in "Unassigned in my teams", takes it and replies with the macro.
    alice_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 900}, bypass_csp=True
    )
    agent = alice_context.new_page()
    login(agent, "alice@example.com", PASSWORD)
    agent.get_by_role("link", name="Unassigned in my teams").click()
    agent.wait_for_load_state("networkidle")
    assert axe_violations(agent) == []
    screenshot(agent, "desk-queue")
    agent.get_by_role("link", name="Cannot sign in after password change").click()
    agent.wait_for_load_state("networkidle")
    with agent.expect_navigation():
        agent.keyboard.press("a")  # assign to me
    ticket.refresh_from_db()
    assert ticket.assignee == people["alice"]
    agent.select_option("#macro-select", label="Reset instructions")
    agent.wait_for_function("document.querySelector('#composer-text').value.includes('Hi Dana')")
    assert axe_violations(agent) == []
    screenshot(agent, "desk-ticket")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Send reply").click()
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert list(ticket.tags.values_list("name", flat=True)) == ["password"]

    # Dana sees the answer and marks the request solved.
    customer.reload()
    assert "choose Forgot password on the sign-in page" in customer.content()
    with customer.expect_navigation():
        customer.get_by_role("button", name="Mark as solved").click()
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.SOLVED
    assert "solved" in customer.content().lower()
    dana.close()
    alice_context.close()


def test_keyboard_only_agent_moves_through_queue(browser, live_server, people, make_ticket):
    for i in range(3):
        make_ticket(subject=f"Keyboard ticket {i}", assignee=people["alice"])
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    login(page, "alice@example.com", PASSWORD)
    page.goto("/desk/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/desk/tickets/" in page.url
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "composer-text"
    assert "mode-note" in page.get_attribute("#composer", "class")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts")
    context.close()
    assert json.dumps({"ok": True})


def test_bob_sees_that_alice_is_replying(browser, live_server, people, make_ticket):
    ticket = make_ticket(subject="Shared ticket")
    url = f"/desk/tickets/{ticket.number}/"
    alice_context = browser.new_context(base_url=live_server.url)
    alice = alice_context.new_page()
    login(alice, "alice@example.com", PASSWORD)
    alice.goto(url)
    alice.fill("#composer-text", "Working on a reply")
    alice.dispatch_event("#composer-text", "input")
    # The heartbeat that says "replying" goes out a second after typing.
    alice.wait_for_timeout(2500)
    bob_context = browser.new_context(base_url=live_server.url)
    bob = bob_context.new_page()
    login(bob, "bob@example.com", PASSWORD)
    bob.goto(url)
    # A selector wait, not a JavaScript predicate: the page's CSP forbids eval.
    bob.locator("#presence", has_text="Alice Agent is replying").wait_for(timeout=10000)
    alice_context.close()
    bob_context.close()
