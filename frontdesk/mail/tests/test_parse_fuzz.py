"""The parser never crashes and stays fast, whatever arrives (hypothesis)."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.mail.noise import noise_of
from frontdesk.mail.parse import mail_parse, message_id_for
from frontdesk.mail.quotes import html_reply_part, text_reply_part

LIMIT_SECONDS = 2.0

HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "Auto-Submitted",
        "Reply-To",
        "MIME-Version",
        "Content-ID",
        "Return-Path",
        "Authentication-Results",
    ]
)
NASTY = st.sampled_from(
    [
        "=?utf-8?b?w6XDpMO2?=",
        "=?iso-8859-1?q?J=F6rg?=",
        "=?bogus?x?zz?=",
        "=?utf-8?b?!!!",
        'multipart/mixed; boundary="',
        "multipart/alternative; boundary=b",
        "text/html; charset=x",
        "text/plain; charset=utf-7",
        "base64",
        "quoted-printable",
        "x-uuencode",
        "attachment; filename*=utf-8''%E2%82%AC.pdf",
        "<a@b>",
        "<<<>>>",
        "\x00\xff",
        "--b",
        "message/rfc822",
        "multipart/report; report-type=delivery-status; boundary=b",
    ]
)


def _timed(raw: bytes) -> None:
    started = time.perf_counter()
    parsed = mail_parse(raw)
    noise_of(parsed)
    message_id_for(raw)
    assert time.perf_counter() - started < LIMIT_SECONDS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_parse_without_crashing(raw):
    _timed(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(HEADER_NAMES, st.one_of(NASTY, st.text(max_size=80))), max_size=12),
    st.lists(
        st.one_of(NASTY, st.text(max_size=200), st.sampled_from(["--b", "--b--", "\r\n"])),
        max_size=30,
    ),
)
def test_mangled_mime_parses_without_crashing(headers, body_lines):
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    raw = (head + "\r\n" + "\r\n".join(body_lines)).encode("utf-8", errors="surrogateescape")
    _timed(raw)


def test_deep_nesting_and_huge_html_stay_bounded():
    nested = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for depth in range(1, 200):
        nested += (
            f"--b{depth - 1}\r\nContent-Type: multipart/mixed; boundary=b{depth}\r\n\r\n".encode()
        )
    html = (
        b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n"
        + b"<div>" * 50_000
        + b"x" * 2_000_000
    )
    for raw in (nested, html):
        _timed(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_quote_splitting_never_crashes_or_returns_an_empty_reply(text):
    reply = text_reply_part(text)
    assert reply is None or reply.strip()
    html_part = html_reply_part(text)
    assert html_part is None or html_part.strip()
