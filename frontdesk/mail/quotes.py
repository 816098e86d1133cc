"""Split the new part of a reply from the quoted history and the signature. Pure code.

Both functions return ``None`` when nothing was found to fold, so the caller shows the
mail as it is; they never return an empty reply (a mail that is all quote stays whole).
"""

from __future__ import annotations

import re

# A line that starts the quoted history in the common clients and languages.
_QUOTE_HEADER_RE = re.compile(
    r"""^\s*(?:
        (?:On|Am|Le|El|Op|Den|På|Il|Em|W\sdniu|Dne|В|Op)\s.{3,200}?
            (?:wrote|schrieb|a\sécrit|escribió|schreef|skrev|scrisse|escreveu|napisał|
               napsal|написал|kirjoitti)\s?:
      | -{2,}\s*(?:Original\sMessage|Ursprüngliche\sNachricht|Message\sd'origine|
               Ursprungligt\smeddelande|Mensaje\soriginal|Oorspronkelijk\sbericht)\s*-{2,}
      | _{20,}
      | (?:From|Från|Von|De|Van|Fra):\s.+\n(?:.*\n){0,3}?\s*(?:Sent|Skickat|Gesendet|Envoyé|
               Enviado|Verzonden|Sendt|Date|Datum):\s
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SIGNATURE_RE = re.compile(
    r"^(?:-- ?|—|Sent from my \w+.*|Skickat från min \w+.*|Von meinem \w+ gesendet.*|"
    r"Get Outlook for \w+.*|Envoyé de mon \w+.*)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_RE = re.compile(
    r"(?:-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Vidarebefordrat meddelande|"
    r"Message transféré)\s*-{2,}|Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_WROTE_TAIL_RE = re.compile(r"\n[^\n]{0,200}(?:wrote|skrev|schrieb|écrit)\s?:\s*$", re.IGNORECASE)


def text_reply_part(text: str) -> str | None:
    """The reply above the quote and signature; None when there is nothing to fold."""
    if not text or len(text) > 400_000:
        return None
    cut = len(text)
    match = _QUOTE_HEADER_RE.search(text)
    if match:
        cut = match.start()
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
    head = _WROTE_TAIL_RE.sub("", head).strip()
    if not head or head == text.strip():
        return None
    return head


# Where the quoted part starts in the HTML of common clients.
_HTML_QUOTE_RE = re.compile(
    r"""<(?:div|blockquote)[^>]*class=["']?[^"'>]*(?:gmail_quote|yahoo_quoted|moz-cite-prefix|
            protonmail_quote|zmail_extra|AppleOriginalContents)
      | <blockquote[^>]*type=["']?cite
      | <div[^>]*id=["']?(?:appendonsend|divRplyFwdMsg|mail-editor-reference-message-container|
            Zm-_Id_-Sgn|OLK_SRC_BODY_SECTION)
      | <hr[^>]*id=["']?stopSpelling
      | <div[^>]*style=["'][^"'>]*border-top:\s*solid\s*\#(?:E1E1E1|B5C4DF)
      | -{3,}\s*Original\sMessage\s*-{3,}""",
    re.IGNORECASE | re.VERBOSE,
)
_TAGS_RE = re.compile(r"<[^>]*>")


def html_reply_part(html: str) -> str | None:
    """The HTML before the quoted part (the sanitizer closes what the cut left open)."""
    if not html:
        return None
    match = _HTML_QUOTE_RE.search(html, 0, 1_000_000)
    if not match:
        return None
    head = html[: match.start()]
    visible = _TAGS_RE.sub("", head).replace("&nbsp;", " ").strip()
    if not visible:
        return None
    return head
