"""Alice opens Dana's mail with a pasted screenshot in a real browser: the picture shows
where Dana put it (static/frontdesk/js/mail.js swaps its cid: source for the stored
attachment), not a broken-image icon."""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage

import pytest
from django.urls import reverse

from frontdesk.core.testing.factories import PASSWORD
from tests.browser.conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _png(width: int, height: int) -> bytes:
    """A real (decodable) PNG of one colour: the browser must be able to draw it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x24\x57\xc5" * width  # filter byte, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    yield context.new_page()
    context.close()


def test_alice_sees_danas_pasted_screenshot_in_place(page, people, deliver):
    msg = EmailMessage()
    msg["From"] = "Dana Scully <dana@example.com>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Look at this"
    msg["Message-ID"] = "<cid-browser@mail.example.com>"
    msg.set_content("See the screenshot.")
    msg.add_alternative(
        '<p>Before the picture.</p><p><img src="cid:shot1@mail.example.com" alt="screen">'
        "</p><p>After the picture.</p>",
        subtype="html",
    )
    msg.get_payload()[1].add_related(
        _png(40, 30),
        maintype="image",
        subtype="png",
        cid="<shot1@mail.example.com>",
        filename="screen.png",
    )
    message = deliver(bytes(msg)).ticket_message
    attachment = message.attachments.get()
    route = reverse("attachment", args=[attachment.pk, attachment.filename])

    login(page, "alice@example.com", PASSWORD)
    page.goto(reverse("desk:ticket", args=[message.ticket.number]))
    image = page.locator("img[alt=screen]")
    image.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt=screen]');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=10_000,
    )
    shown = image.evaluate(
        "i => ({src: i.getAttribute('src'), width: i.naturalWidth, height: i.naturalHeight,"
        " before: i.closest('p').previousElementSibling.textContent,"
        " after: i.closest('p').nextElementSibling.textContent})"
    )
    # The stored attachment, through the permission-checked route, drawn at its real size,
    # between the paragraphs Dana wrote around it.
    assert shown["src"] == route
    assert (shown["width"], shown["height"]) == (40, 30)
    assert (shown["before"], shown["after"]) == ("Before the picture.", "After the picture.")
