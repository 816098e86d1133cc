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


# --- inputs that once made a regex backtrack for seconds (security review, item 1) --------

HEAD = "From: a@example.com\r\nTo: support@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
PATHOLOGICAL = {
    "unclosed divs (41 KB of '<div ')": HEAD + "Content-Type: text/html\r\n\r\n" + "<div " * 8000,
    "half a megabyte of unclosed divs": HEAD
    + "Content-Type: text/html\r\n\r\n"
    + "<div " * 100_000,
    "attributes that look like a quote marker": HEAD
    + "Content-Type: text/html\r\n\r\n"
    + "<div class=x style='style=style=" * 20_000,
    "a run of dashes in HTML": HEAD + "Content-Type: text/html\r\n\r\n<p>hi</p>" + "-" * 400_000,
    "a run of dashes in text": HEAD + "\r\nhi\r\n" + "-" * 400_000,
    "200,000 blank lines": HEAD + "\r\nhi" + "\r\n" * 200_000 + "x",
    "a 30 KB From header": "From: "
    + "a" * 30_000
    + "\r\nTo: s@example.com\r\nSubject: x\r\n\r\nhi",
    "a From header of 15,000 '@'": "From: " + "a@" * 15_000 + "\r\nSubject: x\r\n\r\nhi",
    "a quoted From without its end": 'From: "' + "a " * 15_000 + "\r\n\r\nhi",
    "huge To and Cc": "From: a@example.com\r\nTo: "
    + "a" * 30_000
    + "\r\nCc: "
    + "a@b, " * 6000
    + "\r\n\r\nhi",
    "broken encoded words": "From: a@example.com\r\nTo: "
    + "=?a?q?" * 5000
    + "\r\nSubject: "
    + "=?a?q?" * 5000
    + "\r\n\r\nhi",
    "30,000 '<' in References": "From: a@example.com\r\nReferences: " + "<" * 30_000 + "\r\n\r\nhi",
    "50,000 From: lines in the body": HEAD + "\r\n" + "From: x\n" * 50_000,
}


def test_pathological_mail_parses_in_bounded_time():
    for name, text in PATHOLOGICAL.items():
        started = time.perf_counter()
        parsed = mail_parse(text.encode())
        noise_of(parsed)
        elapsed = time.perf_counter() - started
        assert elapsed < LIMIT_SECONDS, f"{name}: {elapsed:.1f} s"


def test_a_huge_from_header_still_yields_no_address_rather_than_garbage():
    parsed = mail_parse(b"From: " + b"a" * 30_000 + b"\r\nSubject: x\r\n\r\nhi")
    assert parsed.from_email == ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        ["<div ", "<blockquote type=", "-", "\n", " ", "a@", '"', "=?", "<", "From: ", "On wrote "]
    ),
    st.integers(min_value=1000, max_value=20_000),
    st.sampled_from(["From", "To", "Subject", "References", "body-html", "body-text"]),
)
def test_repeated_fragments_anywhere_stay_fast(fragment, times, where):
    blob = fragment * times
    if where == "body-html":
        raw = HEAD + "Content-Type: text/html\r\n\r\n" + blob
    elif where == "body-text":
        raw = HEAD + "\r\n" + blob
    else:
        raw = f"{where}: {blob}\r\nMessage-ID: <x@y>\r\n\r\nhi"
    _timed(raw.encode("utf-8", errors="surrogateescape"))


def test_an_encoded_display_name_never_becomes_the_address():
    parsed = mail_parse(
        b"From: =?utf-8?q?alice@example.com?= <mallory@evil.example>\r\n"
        b"Cc: =?utf-8?q?Lind=2C_Erik?= <erik@example.org>, =?utf-8?b?SsO2cmc=?= <j@example.net>"
        b"\r\nSubject: =?utf-8?q?Skrivaren_=C3=A4r_trasig?=\r\n\r\nhi"
    )
    assert (parsed.from_email, parsed.from_name) == ("mallory@evil.example", "alice@example.com")
    assert parsed.cc == [("erik@example.org", "Lind, Erik"), ("j@example.net", "Jörg")]
    assert parsed.subject == "Skrivaren är trasig"


# --- names and words that arrive without proper encoding ---------------------------------------


def _with_file(disposition: bytes) -> bytes:
    return (
        b"From: Dana <dana@example.com>\r\nTo: support@example.com\r\nSubject: file\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
        b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: " + disposition + b"\r\n\r\n"
        b"Hi there.\r\n--B--\r\n"
    )


def test_raw_8bit_file_names_keep_their_letters():
    latin1 = mail_parse(_with_file('attachment; filename="ciële.txt"'.encode("latin-1")))
    utf8 = mail_parse(_with_file('attachment; filename="rapport_å.txt"'.encode()))

    assert [f.name for f in latin1.attachments] == ["ciële.txt"]
    assert [f.name for f in utf8.attachments] == ["rapport_å.txt"]


def test_unquoted_file_name_with_spaces_is_kept_whole():
    parsed = mail_parse(_with_file(b"attachment;\r\n\tfilename=This is a test.txt"))

    assert [f.name for f in parsed.attachments] == ["This is a test.txt"]


def test_encoded_words_in_unknown_or_broken_charsets_are_still_read():
    parsed = mail_parse(
        b"From: =?x-unknown-cs?Q?J=C3=B6rg?= <jorg@example.com>\r\nTo: support@example.com\r\n"
        b"Subject: =?NONE?B?VEVTVA==?= =?utf-8?q?r=C3=A4tt?=\r\n\r\nHello\r\n"
    )

    assert parsed.subject == "TESTrätt"
    assert (parsed.from_email, parsed.from_name) == ("jorg@example.com", "Jörg")
