"""Split the new part of a reply from the quoted history and the signature. Pure code.

Both functions return ``None`` when nothing was found to fold, so the caller shows the
mail as it is; they never return an empty reply (a mail that is all quote stays whole).
"""

from __future__ import annotations

import re

# Every pattern here is bounded and never lets ``\s`` run across lines: mail is untrusted
# input, and an unbounded ``^\s*`` or ``-{2,}`` went quadratic on a run of blank lines or
# dashes (tests/test_parse_fuzz.py holds the inputs that proved it).

# "On <date>, <name> wrote:" in the common languages; the verb may come before or after the
# name ("Den 3 maj 2026 skrev Support <s@x.se>:"), so the line is matched first and the
# verb checked in it.
_WROTE_LINE_RE = re.compile(
    r"^[ \t]{0,40}(?:On|Am|Le|El|Op|Den|På|Il|Em|W\sdniu|Dne|В)[ \t][^\n]{3,400}:[ \t]{0,10}$",
    re.IGNORECASE | re.MULTILINE,
)
_WROTE_VERB_RE = re.compile(
    r"\b(?:wrote|schrieb|a\sécrit|escribió|schreef|skrev|scrisse|escreveu|napisał|napsal|"
    r"написал|kirjoitti)\b",
    re.IGNORECASE,
)
# Other lines that start the quoted history.
_QUOTE_HEADER_RE = re.compile(
    r"""^[ \t]{0,40}(?:
        -{2,40}[ \t]{0,10}(?:Original\sMessage|Ursprüngliche\sNachricht|Message\sd'origine|
               Ursprungligt\smeddelande|Mensaje\soriginal|Oorspronkelijk\sbericht)[ \t]{0,10}-{2}
      | _{20}
      | (?:From|Från|Von|De|Van|Fra):[ \t][^\n]{1,1000}\n(?:[^\n]{0,1000}\n){0,3}?[ \t]{0,40}
            (?:Sent|Skickat|Gesendet|Envoyé|Enviado|Verzonden|Sendt|Date|Datum):[ \t]
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SIGNATURE_RE = re.compile(
    r"^(?:-- ?|—|Sent from my \w{1,40}[^\n]{0,200}|Skickat från min \w{1,40}[^\n]{0,200}|"
    r"Von meinem \w{1,40} gesendet[^\n]{0,200}|Get Outlook for \w{1,40}[^\n]{0,200}|"
    r"Envoyé de mon \w{1,40}[^\n]{0,200})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_RE = re.compile(
    r"(?:-{2}[ \t]{0,10}(?:Forwarded message|Weitergeleitete Nachricht|"
    r"Vidarebefordrat meddelande|Message transféré)[ \t]{0,10}-{2,40}|Begin forwarded message:)"
    r"\s{0,20}$",
    re.IGNORECASE,
)


def _wrote_line_dropped(head: str) -> str:
    """Drop a last "... wrote:" line left above a block of "> " lines."""
    head = head.rstrip()
    start = head.rfind("\n")
    last = head[start + 1 :]
    if start >= 0 and len(last) <= 400 and last.endswith(":") and _WROTE_VERB_RE.search(last):
        return head[:start]
    return head


def text_reply_part(text: str) -> str | None:
    """The reply above the quote and signature; None when there is nothing to fold."""
    if not text or len(text) > 400_000:
        return None
    cut = len(text)
    match = _QUOTE_HEADER_RE.search(text)
    if match:
        cut = match.start()
    for line in _WROTE_LINE_RE.finditer(text, 0, cut):
        if _WROTE_VERB_RE.search(line.group()):
            cut = line.start()
            break
    lines = text[:cut].split("\n")
    # A trailing block of "> " lines (and blank lines) is quoted history too.
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if any(line.lstrip().startswith(">") for line in lines[end:]):
        lines = lines[:end]
    head = "\n".join(lines)
    if _FORWARD_RE.search(head[-200:]):
        return None  # a forward: what follows is the content, not history
    signature = _SIGNATURE_RE.search(head)
    if signature and signature.start() > 0:
        head = head[: signature.start()]
    head = _wrote_line_dropped(head).strip()
    if not head or head == text.strip():
        return None
    return head


# Where the quoted part starts in the HTML of common clients. Tags are found with one
# linear pattern (``[^<>]`` cannot run past the next tag) and their attributes are then
# checked as plain strings: no nested unbounded repeats, so no backtracking blow-up.
_OPEN_TAG_RE = re.compile(r"<(div|blockquote|hr)\b([^<>]{0,2000})>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""\b(class|id|type|style)[ \t]{0,5}=[ \t]{0,5}(["']?)([^"'<>]{0,1000})""")
_QUOTE_CLASSES = (
    "gmail_quote",
    "yahoo_quoted",
    "moz-cite-prefix",
    "protonmail_quote",
    "zmail_extra",
    "appleoriginalcontents",
)
_QUOTE_IDS = (
    "appendonsend",
    "divrplyfwdmsg",
    "mail-editor-reference-message-container",
    "zm-_id_-sgn",
    "olk_src_body_section",
)
_BORDER_RE = re.compile(r"border-top:[ \t]{0,5}solid[ \t]{0,5}#(?:E1E1E1|B5C4DF)", re.IGNORECASE)
_ORIGINAL_RE = re.compile(r"-{3}[ \t]{0,10}Original\sMessage[ \t]{0,10}-{3}", re.IGNORECASE)
_TAGS_RE = re.compile(r"<[^<>]{0,2000}>")
_SCAN_LIMIT = 1_000_000


def _has_quote_class(value: str) -> bool:
    return any(marker in value for marker in _QUOTE_CLASSES)


def _quote_tag(tag: str, attrs: str) -> bool:
    """Does this opening tag start a client's quoted part?"""
    tag = tag.lower()
    for name, _quote, value in _ATTR_RE.findall(attrs):
        name, value = name.lower(), value.lower()
        found = (
            (name == "class" and tag in ("div", "blockquote") and _has_quote_class(value))
            or (name == "type" and tag == "blockquote" and value.startswith("cite"))
            or (name == "id" and tag == "div" and value.startswith(_QUOTE_IDS))
            or (name == "id" and tag == "hr" and value.startswith("stopspelling"))
            or (name == "style" and tag == "div" and bool(_BORDER_RE.search(value)))
        )
        if found:
            return True
    return False


def _html_quote_start(html: str) -> int | None:
    """Where the quoted part starts, or None."""
    html = html[:_SCAN_LIMIT]
    start: int | None = None
    for match in _OPEN_TAG_RE.finditer(html):
        if _quote_tag(match.group(1), match.group(2)):
            start = match.start()
            break
    original = _ORIGINAL_RE.search(html, 0, start if start is not None else len(html))
    if original is not None:
        begin = original.start()
        while begin > 0 and html[begin - 1] == "-":  # the whole run of dashes
            begin -= 1
        start = begin
    return start


def html_reply_part(html: str) -> str | None:
    """The HTML before the quoted part (the sanitizer closes what the cut left open)."""
    if not html:
        return None
    start = _html_quote_start(html)
    if start is None:
        return None
    head = html[:start]
    visible = _TAGS_RE.sub("", head).replace("&nbsp;", " ").strip()
    if not visible:
        return None
    return head
