"""Markdown to safe HTML, and plain text and snippets for search (pure functions).

Raw HTML in Markdown is not passed through (markdown-it-py's ``html`` option is off): it
comes out escaped. The rendered HTML is cleaned with nh3 all the same, so a bug in either
step cannot put a script on a help page.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_render(source: str) -> str:
    """Markdown in, HTML that is safe to show to anyone out."""
    rendered = _md.render(source or "")
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"[ \t]+")


def html_text(value: str) -> str:
    """The readable text of rendered HTML (for search documents and previews)."""
    text = re.sub(r"</(p|li|h\d|pre|tr|blockquote)>", "\n", value)
    text = html.unescape(_TAG_RE.sub(" ", text))
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def slugify(value: str) -> str:
    """A readable URL part: lowercase words joined by dashes; å/ä/ö fold to a/a/o."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:80].rstrip("-") or "article"


_WORD_RE = re.compile(r"\w+", re.UNICODE)

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "get",
        "att",
        "av",
        "de",
        "den",
        "det",
        "där",
        "eller",
        "en",
        "ett",
        "för",
        "från",
        "har",
        "hur",
        "i",
        "inte",
        "jag",
        "kan",
        "man",
        "med",
        "mig",
        "min",
        "mitt",
        "när",
        "och",
        "om",
        "på",
        "som",
        "till",
        "var",
        "vad",
        "vi",
        "är",
    ]
)


def query_terms(query: str) -> list[str]:
    """The words of a search that carry meaning: lowercased, stop words dropped (pure)."""
    words = [w.lower() for w in _WORD_RE.findall(query)]
    kept = [w for w in words if w not in STOPWORDS]
    return (kept or words)[:12]


def _stem_prefix(term: str) -> str:
    # A cheap stand-in for the database's stemmer when marking words in a snippet:
    # "printing" marks "print", "printer" and "printed".
    return term[: max(4, len(term) - 3)] if len(term) > 5 else term


def snippet(text: str, terms: list[str], *, width: int = 220) -> str:
    """A window of ``text`` around the first matched term, escaped, with matches in <mark>.

    Escaping comes first, so the only HTML in the result is the <mark> we add.
    """
    text = _SPACE_RE.sub(" ", text.replace("\n", " ")).strip()
    prefixes = sorted({_stem_prefix(t) for t in terms if t}, key=len, reverse=True)
    if not prefixes:
        return html.escape(text[:width])
    pattern = re.compile(
        r"(?<![&#])\b(" + "|".join(re.escape(p) for p in prefixes) + r")\w*",
        re.IGNORECASE | re.UNICODE,
    )
    first = pattern.search(text)
    start = 0
    if first and first.start() > width // 3:
        start = text.rfind(" ", 0, first.start() - width // 3) + 1
    window = text[start : start + width]
    if start + width < len(text):
        window = window.rsplit(" ", 1)[0] + " …"
    if start > 0:
        window = "… " + window
    escaped = html.escape(window)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
