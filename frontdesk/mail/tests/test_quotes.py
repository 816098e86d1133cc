"""Quoted history is folded for the common clients, and never at the cost of the reply."""

from __future__ import annotations

from frontdesk.mail.quotes import html_reply_part, text_reply_part


def test_gmail_html_reply_stops_at_its_quote():
    html = '<div dir="ltr">Thanks, it works now!</div><br><div class="gmail_quote">On Mon ...'
    assert html_reply_part(html) == '<div dir="ltr">Thanks, it works now!</div><br>'


def test_outlook_html_reply_stops_at_its_reply_header():
    for quote in (
        '<div id="appendonsend"></div><hr>From: Support',
        '<div id="divRplyFwdMsg" dir="ltr">From: Support',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt">From:',
        "<p>-----Original Message-----</p>From: Support",
    ):
        reply = html_reply_part(f"<p>Still broken.</p>{quote}")
        assert reply is not None and reply.startswith("<p>Still broken.</p>"), quote
        assert "From" not in reply


def test_apple_and_thunderbird_quotes_fold():
    assert html_reply_part('<p>Yes</p><blockquote type="cite">On 3 May') == "<p>Yes</p>"
    assert html_reply_part('<p>Yes</p><div class="moz-cite-prefix">On 3 May') == "<p>Yes</p>"


def test_html_that_is_all_quote_is_shown_whole():
    assert html_reply_part('<div class="gmail_quote">only history</div>') is None
    assert html_reply_part("<p>no quote at all</p>") is None


def test_text_reply_drops_the_quote_header_the_quote_and_the_signature():
    text = (
        "It works now, thank you.\n\n--\nDana Scully\n\n"
        "On Mon, 3 May 2026 at 10:00, Support <support@example.com> wrote:\n> Try this"
    )
    assert text_reply_part(text) == "It works now, thank you."


def test_swedish_and_outlook_text_quotes_fold():
    assert text_reply_part("Tack!\n\nDen 3 maj 2026 skrev Support:\n> Prova") == "Tack!"
    assert (
        text_reply_part("Done.\n\nFrom: Support\nSent: Monday\nTo: Dana\nSubject: Re: x\n\nold")
        == "Done."
    )
    assert text_reply_part("Done.\n\n-----Original Message-----\nFrom: Support") == "Done."


def test_forwarded_mail_is_not_folded():
    assert text_reply_part("FYI\n\n---------- Forwarded message ---------\nFrom: x") is None
