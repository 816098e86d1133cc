"""Untrusted HTML in, safe HTML out (nh3), and plain text turned into HTML."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"lang", "dir"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid"}


# What this process sanitized last: a body cleaned once (by the mail parser) and handed on
# (to the ticket services) is recognised and not parsed again. Only this function's own
# output goes in, so anything returned from here came out of nh3.
_RECENT_CLEAN: dict[str, None] = {}
_RECENT_MAX = 64


def html_sanitize(value: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and unknown URL schemes."""
    if not value:
        return ""
    if value in _RECENT_CLEAN:
        return value
    clean = nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    if len(_RECENT_CLEAN) >= _RECENT_MAX:
        _RECENT_CLEAN.clear()
    _RECENT_CLEAN[clean] = None
    return clean


_URL_RE = re.compile(r"(https?://[^\s<>\"')\]]+)")


def text_to_html(value: str) -> str:
    """Escape plain text, keep its paragraphs and line breaks, and link bare URLs."""
    escaped = html.escape(value.strip())
    linked = _URL_RE.sub(r'<a href="\1">\1</a>', escaped)
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n\s*\n", linked) if p.strip()]
    return html_sanitize("".join(f"<p>{p}</p>" for p in paragraphs))


_BLOCK_BREAK_RE = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")


def html_to_text(value: str) -> str:
    """A readable plain-text version of sanitized HTML (for search and text-only mail)."""
    text = _BLOCK_BREAK_RE.sub("\n", nh3.clean(value or "", tags={"br", "p", "div", "li", "tr"}))
    text = html.unescape(_TAG_RE.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
