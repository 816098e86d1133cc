"""MIME in, one ``ParsedMail`` out. Pure code: no ORM, no network, never raises on bad mail.

Real mail is broken in every way a standard allows and many it does not: unknown charsets,
8-bit headers, missing or duplicated Content-Types, undecodable transfer encodings. Every
header and body read here is wrapped so that one broken part costs that part, not the mail.
Work is bounded: at most ``MAX_PARTS`` parts, ``MAX_DEPTH`` nesting, ``MAX_HTML_CHARS`` of
HTML handed to the sanitizer.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from frontdesk.mail.quotes import html_reply_part, text_reply_part
from frontdesk.tickets.html import html_sanitize, html_to_text, text_to_html

MAX_PARTS = 300
MAX_DEPTH = 12
MAX_HTML_CHARS = 500_000
# The sanitizer slows down sharply on pathological nesting; such HTML is shown as text.
MAX_HTML_DEPTH = 400
MAX_TEXT_CHARS = 500_000
MAX_ADDRESSES = 50
# Header values are cut before any regex or address parser sees them: a 30 KB From header
# made the address search quadratic. One address fits in 1,000 characters; lists (To, Cc,
# References, Delivered-To) get more room.
HEADER_MAX_CHARS = 1_000
HEADER_LIST_MAX_CHARS = 16_000
LIST_HEADERS = frozenset(
    [
        "to",
        "cc",
        "references",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "authentication-results",
        "x-failed-recipients",
    ]
)

# Names mail clients use for charsets Python knows under another name.
CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "unicode-1-1-utf-7": "utf-7",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-2022-jp-2": "iso2022_jp_2",
    "cp-850": "cp850",
    "x-user-defined": "cp1252",
}


@dataclass
class ParsedFile:
    name: str
    content: bytes
    content_type: str
    inline: bool = False
    content_id: str = ""


@dataclass
class Bounce:
    """What a delivery report says: which recipients failed, why, for which mail."""

    recipients: list[str] = field(default_factory=list)
    permanent: bool = False
    diagnostic: str = ""
    original_message_ids: list[str] = field(default_factory=list)


@dataclass
class ParsedMail:
    message_id: str = ""
    subject: str = ""
    from_email: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    reply_to: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    body_text: str = ""
    body_html: str = ""
    reply_text: str = ""
    reply_html: str = ""
    attachments: list[ParsedFile] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    bounce: Bounce | None = None
    report_type: str = ""
    calendar_summary: str = ""
    signed: bool = False
    encrypted: bool = False
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, the most direct first."""
        ids = list(self.in_reply_to)
        for ref in reversed(self.references):
            if ref not in ids:
                ids.append(ref)
        return ids[:40]


# Headers the noise and sender checks read; kept lowercased in ``ParsedMail.headers``.
NOTED_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "x-precedence",
    "list-id",
    "return-path",
    "authentication-results",
    "x-failed-recipients",
    "x-frontdesk-ticket",
    "content-type",
)


# --- headers ----------------------------------------------------------------------------------


def header_text(value: object) -> str:
    """A header value as readable text: encoded words decoded, folding removed."""
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:
        text = _encoded_words_decoded(text)
    return " ".join(text.split())


def _encoded_words_decoded(text: str) -> str:
    """RFC 2047 words decoded; a word in a charset Python does not know is read with our
    fallbacks (UTF-8, then Windows-1252); a broken one keeps its raw form."""
    try:
        return str(make_header(decode_header(text)))
    except LookupError:
        pass
    except Exception:  # noqa: BLE001 - broken base64 or quoting: as it stands
        return text
    try:
        pieces = decode_header(text)
    except Exception:  # noqa: BLE001
        return text
    out = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif charset is None:
            out.append(piece.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(charset_decode(piece, charset))
    return "".join(out)


def _limit(name: str) -> int:
    return HEADER_LIST_MAX_CHARS if name.lower() in LIST_HEADERS else HEADER_MAX_CHARS


# The stdlib's structured parse of these (policy.default) is quadratic on some inputs (a
# run of '"' took seconds), and the pipeline reads addresses with getaddresses anyway: they
# are always read from the raw text.
ADDRESS_HEADERS = frozenset(
    [
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "x-failed-recipients",
        "return-path",
    ]
)


def _raw_values(msg: Message, name: str) -> list[str]:
    """The header's values as they arrived (no parsing: that is what may be slow). The
    headers of a part are indexed by name once (a mail's headers are read ~30 times)."""
    index: dict[str, list[str]] | None = getattr(msg, "_frontdesk_raw", None)
    if index is None:
        index = {}
        items = msg.raw_items() if hasattr(msg, "raw_items") else msg.items()
        for key, raw in items:
            index.setdefault(key.lower(), []).append(str(raw))
        msg._frontdesk_raw = index  # type: ignore[attr-defined]
    return index.get(name.lower(), [])


_ENCODED_WORD = r"=\?[^?\s]{1,40}\?[qQbB]\?[^?\s]{0,500}\?="
_ENCODED_RUN_RE = re.compile(rf"{_ENCODED_WORD}(?:[ \t]{{1,20}}{_ENCODED_WORD}){{0,50}}")


def _encoded_names_quoted(value: str) -> str:
    """Decode the encoded words of an address header into quoted strings.

    Decoded, ``=?utf-8?q?alice@example.com?= <mallory@evil.example>`` must stay a display
    name: each run of encoded words outside quotes becomes one quoted string, inside quotes
    its escaped text; inside ``<...>`` nothing is touched. One linear pass.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    position = 0
    in_quote = in_angle = escaped = False
    for match in _ENCODED_RUN_RE.finditer(value):
        for ch in value[position : match.start()]:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"' and not in_angle:
                in_quote = not in_quote
            elif ch == "<" and not in_quote:
                in_angle = True
            elif ch == ">" and not in_quote:
                in_angle = False
        out.append(value[position : match.start()])
        position = match.end()
        word = match.group()
        if in_angle or escaped:
            out.append(word)
            continue
        text = header_text(word).replace("\\", "\\\\").replace('"', '\\"')
        out.append(text if in_quote else f'"{text}"')
    out.append(value[position:])
    return "".join(out)


_SURROGATE_RE = re.compile("[\udc80-\udcff]")


def _has_8bit(text: str) -> bool:
    """Raw 8-bit bytes read as text by the parser (surrogate escapes)."""
    return _SURROGATE_RE.search(text) is not None


def _8bit_text(text: str) -> str:
    """Such bytes read as UTF-8, else as Windows-1252 (never fails)."""
    data = text.encode("utf-8", errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _raw_text(raw: str, *, decode: bool) -> str:
    """A raw header value as text: 8-bit bytes read as UTF-8 (else Windows-1252).

    Address headers keep their encoded words (``decode=False``): the names are decoded
    after the addresses were split, so a name encoded as "x@y, z" cannot become an address.
    """
    if _has_8bit(raw):
        raw = _8bit_text(raw)
    return header_text(raw) if decode else _encoded_names_quoted(" ".join(raw.split()))


def _value_text(name: str, raw: str, limit: int) -> str:
    return _raw_text(raw[:limit], decode=name.lower() not in ADDRESS_HEADERS)


def _header(msg: Message, name: str) -> str:
    """One header, never raising, read from its raw text cut to the limit first: no regex
    or parser ever sees more than the limit. Encoded words are decoded (address headers:
    only the names, after the addresses were split)."""
    limit = _limit(name)
    raws = _raw_values(msg, name)
    if not raws:
        return ""
    try:
        return _value_text(name, raws[0], limit)[:limit]
    except Exception:  # noqa: BLE001
        return ""


def _header_all(msg: Message, name: str) -> list[str]:
    limit = _limit(name)
    out = []
    budget = limit
    for raw in _raw_values(msg, name)[:MAX_ADDRESSES]:
        with contextlib.suppress(Exception):
            text = _value_text(name, raw[:budget], limit)[:budget]
            budget -= len(text)
            out.append(text)
        if budget <= 0:
            break
    return out


_MSGID_RE = re.compile(r"<([^<>\s]{1,400})>")


def message_ids_in(value: str) -> list[str]:
    """The Message-IDs in a header value (angle brackets removed)."""
    found = _MSGID_RE.findall(value or "")
    if not found and value and "@" in value and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return [f for f in found if f]


def message_id_normal(value: str) -> str:
    ids = message_ids_in(value)
    return ids[0][:250] if ids else ""


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def message_id_for(raw: bytes) -> str:
    """The mail's Message-ID, or one made from its bytes: the same mail gets the same id."""
    head = raw[:262144]
    # Only the header block: the parser would otherwise read every line of the body too.
    blank = _BLANK_LINE.search(head)
    if blank is not None:
        head = head[: blank.end()]
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
        value = str(headers.get("Message-ID", "") or "")
    except Exception:  # noqa: BLE001
        value = ""
    msgid = message_id_normal(value)
    if msgid and len(msgid) < 250:
        return msgid
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@frontdesk.invalid"


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses(values)
    except Exception:  # noqa: BLE001
        pairs = []
    out = []
    for name, address in pairs[:MAX_ADDRESSES]:
        address = address.strip().lower()
        if "@" in address and " " not in address and len(address) <= 254:
            out.append((address, header_text(name)))
    return out


# Bounded (RFC 5321 lengths): an unbounded version was quadratic on a long word.
_BARE_ADDRESS_RE = re.compile(
    r"[^\s<>\"'@,;:()]{1,64}@[^\s<>\"'@,;:()]{1,255}\.[^\s<>\"'@,;:()]{1,63}"
)
_QUOTED_LOCAL_RE = re.compile(r'"[^"]{0,200}\s([^"\s]{1,64})"@')


def _address(value: str) -> tuple[str, str]:
    value = (value or "")[:HEADER_MAX_CHARS]
    found = _addresses([value]) if value else []
    if found and _BARE_ADDRESS_RE.fullmatch(found[0][0]):
        return found[0]
    # "Big Bug bb@bug.com" (no angle brackets; the parser reads it as the quoted local part
    # "Big Bug bb"): the address is the last address-shaped word.
    value = _QUOTED_LOCAL_RE.sub(r" \1@", value)
    bare = _BARE_ADDRESS_RE.findall(value)
    if bare:
        address = bare[-1].lower()
        name = value[: value.rfind(bare[-1])].strip().strip('"<').strip()
        return address, header_text(name)
    name, address = parseaddr(value or "")
    address = address.strip().lower()
    return (address if "@" in address else "", header_text(name))


# --- bodies -----------------------------------------------------------------------------------


def charset_decode(data: bytes, charset: str | None) -> str:
    """Bytes to text with the declared charset, then UTF-8, then Windows-1252 (never fails)."""
    names = []
    if charset:
        cs = charset.strip().strip('"').lower()
        names.append(CHARSET_ALIASES.get(cs, cs))
    names.append("utf-8")
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):  # noqa: PERF203
            continue
    # Mostly right with a few bad bytes: keep the declared charset, replace the bad bytes.
    for name in names:
        try:
            return data.decode(name, errors="replace")
        except (LookupError, ValueError):  # noqa: PERF203
            continue
    return data.decode("cp1252", errors="replace")


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64/QP: keep what is there
        payload = None
    if not payload:
        # Undecodable or an unknown transfer encoding: the text as it stands beats nothing.
        raw = part.get_payload()
        if isinstance(raw, str):
            return (
                raw.encode("utf-8", errors="surrogateescape")
                .decode("utf-8", errors="replace")
                .encode()
            )
        return b""
    return payload if isinstance(payload, bytes) else str(payload).encode()


def _part_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    text = charset_decode(_payload_bytes(part), charset)
    return text.replace("\r\n", "\n").replace("\r", "\n")[:MAX_TEXT_CHARS]


def _content_type(part: Message) -> str:
    try:
        return (part.get_content_type() or "text/plain").lower()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _params_readable(part: Message) -> Message:
    """``part``, or a copy of its Content-Type and Content-Disposition as text when they
    carry raw 8-bit bytes (a file name sent without RFC 2231 or 2047): the bytes are read
    as UTF-8, else Windows-1252, instead of being lost to replacement characters."""
    headers = [
        (name, raw)
        for name in ("Content-Disposition", "Content-Type")
        for raw in _raw_values(part, name)[:1]
    ]
    if not any(_has_8bit(raw) for _name, raw in headers):
        return part
    probe = Message()
    for name, raw in headers:
        probe[name] = _8bit_text(raw) if _has_8bit(raw) else raw
    return probe


def _filename(part: Message) -> str:
    part = _params_readable(part)
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):  # RFC 2231 triple
                name = charset_decode(
                    (name[2] or "").encode("latin-1", errors="replace"), name[0] or "utf-8"
                )
        except Exception:  # noqa: BLE001
            name = None
    return header_text(name) if name else ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


@dataclass
class _Walk:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    files: list[ParsedFile] = field(default_factory=list)
    parts: int = 0
    calendar: list[str] = field(default_factory=list)
    bounce: Bounce | None = None
    report_type: str = ""
    signed: bool = False
    encrypted: bool = False
    forwarded: list[ParsedMail] = field(default_factory=list)


def _file(part: Message, content_type: str, *, inline: bool, index: int) -> ParsedFile:
    name = _filename(part)
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    content_id = message_id_normal(_header(part, "Content-ID")) or _header(
        part, "Content-ID"
    ).strip("<> ")
    return ParsedFile(
        name=name,
        content=_payload_bytes(part),
        content_type=content_type,
        inline=inline,
        content_id=content_id,
    )


def _walk(part: Message, state: _Walk, depth: int = 0) -> None:
    state.parts += 1
    if state.parts > MAX_PARTS or depth > MAX_DEPTH:
        return
    ctype = _content_type(part)
    disposition = _disposition(part)
    if part.is_multipart() and not ctype.startswith("message/"):
        try:
            children = list(part.iter_parts()) if hasattr(part, "iter_parts") else []
        except Exception:  # noqa: BLE001
            children = []
        if not children:
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
        if ctype == "multipart/alternative":
            _alternative(children, state, depth)
            return
        if ctype == "multipart/signed":
            state.signed = True
            children = [
                c for c in children if not _content_type(c).endswith(("signature", "pkcs7-mime"))
            ] or children[:1]
        elif ctype == "multipart/encrypted":
            state.encrypted = True
        elif ctype == "multipart/report":
            try:
                state.report_type = (part.get_param("report-type") or "").lower()
            except Exception:  # noqa: BLE001
                state.report_type = ""
        for child in children:
            _walk(child, state, depth + 1)
        return
    if ctype.startswith("multipart/"):
        # A multipart whose boundary is missing or broken: its payload is plain text.
        state.texts.append(_part_text(part))
        return
    if ctype == "message/delivery-status":
        state.bounce = _delivery_status(part, state.bounce)
        return
    if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
        inner = _inner_message(part)
        if state.report_type or state.bounce is not None:
            # A bounce carries our original mail: note its Message-ID, do not attach it.
            bounce = state.bounce or Bounce()
            msgid = message_id_normal(_header(inner, "Message-ID")) if inner else ""
            if msgid:
                bounce.original_message_ids.append(msgid)
            state.bounce = bounce
            return
        if inner is not None and ctype == "message/rfc822" and depth < MAX_DEPTH:
            state.forwarded.append(_parse_message(inner, depth=depth + 1))
            subject = _header(inner, "Subject") or "forwarded"
            content = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            state.files.append(
                ParsedFile(
                    name=f"{subject[:80]}.eml", content=content, content_type="message/rfc822"
                )
            )
        return
    is_attachment = disposition == "attachment" or (
        bool(_filename(part)) and disposition != "inline" and not ctype.startswith("text/plain")
    )
    if ctype == "text/calendar":
        state.calendar.append(calendar_summary(_part_text(part)))
        item = _file(part, ctype, inline=False, index=len(state.files) + 1)
        if not _filename(part):
            item.name = "invite.ics"
        state.files.append(item)
        return
    if ctype == "text/plain" and not is_attachment:
        state.texts.append(_part_text(part))
        return
    if ctype == "text/html" and not is_attachment:
        state.htmls.append(_part_text(part)[:MAX_HTML_CHARS])
        return
    if ctype in ("application/pgp-signature", "application/pkcs7-signature"):
        state.signed = True
        return
    inline = disposition == "inline" or (bool(_header(part, "Content-ID")) and not disposition)
    state.files.append(_file(part, ctype, inline=inline, index=len(state.files) + 1))


def _alternative(children: list[Message], state: _Walk, depth: int) -> None:
    """Keep the richest version: the HTML one (with its related images), plus the text."""
    texts_before, htmls_before = len(state.texts), len(state.htmls)
    for child in children:
        sub = _Walk(parts=state.parts)
        _walk(child, sub, depth + 1)
        state.parts = sub.parts
        state.files.extend(sub.files)
        state.calendar.extend(sub.calendar)
        state.forwarded.extend(sub.forwarded)
        state.signed |= sub.signed
        if sub.htmls:
            state.htmls[htmls_before:] = sub.htmls
        if sub.texts and not sub.htmls:
            state.texts[texts_before:] = sub.texts


def _inner_message(part: Message) -> Message | None:
    try:
        payload = part.get_payload()
    except Exception:  # noqa: BLE001
        return None
    if isinstance(payload, list) and payload:
        return payload[0]
    if isinstance(payload, str) and payload.strip():
        try:
            return BytesParser(policy=policy.compat32).parsebytes(
                payload.encode("utf-8", errors="replace")
            )
        except Exception:  # noqa: BLE001
            return None
    return None


_STATUS_RE = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


def _delivery_status(part: Message, bounce: Bounce | None) -> Bounce:
    bounce = bounce or Bounce()
    try:
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [str(b) for b in payload]
        else:
            blocks = [charset_decode(_payload_bytes(part), "utf-8")]
    except Exception:  # noqa: BLE001
        blocks = []
    text = "\n".join(blocks)
    for line in text.splitlines():
        key, _sep, value = line.partition(":")
        key = key.strip().lower()
        value = value.strip()
        if key in ("final-recipient", "original-recipient") and value:
            address = value.split(";", 1)[-1].strip().strip("<>").lower()
            if "@" in address and address not in bounce.recipients:
                bounce.recipients.append(address)
        elif key == "action" and value.lower() == "failed":
            bounce.permanent = True
        elif key == "status" and _STATUS_RE.match(value):
            if value.strip().startswith("5"):
                bounce.permanent = True
        elif key == "diagnostic-code" and not bounce.diagnostic:
            bounce.diagnostic = value[:500]
    return bounce


def calendar_summary(ics: str) -> str:
    """One line about an invitation: what, when, where (the .ics stays attached)."""
    fields: dict[str, str] = {}
    for line in re.sub(r"\r?\n[ \t]", "", ics).splitlines()[:2000]:
        key, _sep, value = line.partition(":")
        name = key.split(";", 1)[0].upper()
        if name in ("SUMMARY", "DTSTART", "LOCATION", "METHOD") and name not in fields:
            fields[name] = value.strip().replace("\\,", ",").replace("\\n", " ")
    bits = [fields.get("SUMMARY", "")]
    if fields.get("DTSTART"):
        bits.append(_ics_time(fields["DTSTART"]))
    if fields.get("LOCATION"):
        bits.append(fields["LOCATION"])
    return " · ".join(b for b in bits if b)[:300]


def _ics_time(value: str) -> str:
    match = re.match(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2}))?", value)
    if not match:
        return value
    y, mo, d, h, mi = match.groups()
    return f"{y}-{mo}-{d}" + (f" {h}:{mi}" + (" UTC" if value.endswith("Z") else "") if h else "")


# --- the whole mail ---------------------------------------------------------------------------


def mail_parse(raw: bytes, *, message_id: str | None = None) -> ParsedMail:
    """Parse one raw mail. Never raises on malformed input (bugs aside).

    ``message_id``: what ``message_id_for(raw)`` gave when the mail was stored (saves
    reading the headers twice). The MIME tree is read with ``policy.compat32``: every
    header this module uses is decoded from its raw text here anyway, and the structured
    header objects of ``policy.default`` cost two thirds of the parse time (profiled on
    the bench mails) while reading raw 8-bit parameters and broken boundaries worse."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in raw else raw
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    parsed = _parse_message(msg, depth=0)
    parsed.message_id = message_id or message_id_for(raw)
    return parsed


def _parse_message(msg: Message, *, depth: int) -> ParsedMail:
    parsed = ParsedMail()
    parsed.subject = _header(msg, "Subject")[:250]
    parsed.from_email, parsed.from_name = _address(_header(msg, "From"))
    if not parsed.from_email:
        parsed.from_email, parsed.from_name = _address(_header(msg, "Sender"))
    parsed.reply_to = _address(_header(msg, "Reply-To"))[0]
    parsed.to = [a for a, _n in _addresses(_header_all(msg, "To"))]
    parsed.cc = _addresses(_header_all(msg, "Cc"))
    delivered = (
        _header_all(msg, "Delivered-To")
        + _header_all(msg, "X-Original-To")
        + _header_all(msg, "Envelope-To")
    )
    parsed.delivered_to = [a for a, _n in _addresses(delivered)]
    parsed.in_reply_to = message_ids_in(_header(msg, "In-Reply-To"))[:5]
    parsed.references = message_ids_in(_header(msg, "References"))[-40:]
    try:
        date = _header(msg, "Date")
        parsed.date = parsedate_to_datetime(date) if date else None
        if parsed.date is not None and parsed.date.tzinfo is None:
            parsed.date = None
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.date = None
    for name in NOTED_HEADERS:
        values = _header_all(msg, name)
        if values:
            parsed.headers[name] = "\n".join(values)[:2000]
    defects = getattr(msg, "defects", []) or []
    parsed.defects = [type(d).__name__ for d in defects][:20]

    state = _Walk()
    _walk(msg, state, depth)
    parsed.attachments = state.files
    parsed.bounce = state.bounce
    parsed.report_type = state.report_type
    parsed.signed = state.signed
    parsed.encrypted = state.encrypted
    parsed.calendar_summary = "; ".join(s for s in state.calendar if s)
    _bodies(parsed, state)
    if parsed.bounce is not None:
        failed = _header(msg, "X-Failed-Recipients")
        for address, _name in _addresses([failed]) if failed else []:
            if address not in parsed.bounce.recipients:
                parsed.bounce.recipients.append(address)
    return parsed


def _bodies(parsed: ParsedMail, state: _Walk) -> None:
    text = "\n\n".join(t.strip("\n") for t in state.texts if t.strip())
    html = "\n".join(state.htmls)[:MAX_HTML_CHARS]
    if not text and not html and state.forwarded:
        # Only a forwarded mail: its text is what the sender wants us to read.
        inner = state.forwarded[0]
        text = (
            f"---------- Forwarded message ----------\nFrom: {inner.from_name} "
            f"<{inner.from_email}>\nSubject: {inner.subject}\n\n{inner.body_text}"
        )
    if html and html_depth(html) > MAX_HTML_DEPTH:
        text = text or text_tidy(html_strip(html))
        html = ""
    if html:
        clean = html_sanitize(html)
        parsed.body_html = clean
        if not text:
            text = text_tidy(html_to_text(clean))
        reply = html_reply_part(html)
        if reply is not None:
            parsed.reply_html = html_sanitize(reply)
    if state.encrypted and not text:
        text = "(encrypted message)"
    if parsed.calendar_summary:
        text = (text + "\n\n" if text else "") + f"📅 {parsed.calendar_summary}"
    parsed.body_text = text.strip()[:MAX_TEXT_CHARS]
    reply_text = text_reply_part(parsed.body_text)
    if reply_text is not None:
        parsed.reply_text = reply_text
        if not html:
            parsed.reply_html = text_to_html(reply_text)


# ``[^<>]`` keeps every scan inside one tag: with ``[^>]*`` "<div " * 8000 was quadratic.
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]{0,30})[^<>]{0,2000}?(/?)>")
_BREAK_RE = re.compile(r"<\s{0,10}(br|/p|/div|/li|/tr|/h\d)\b[^<>]{0,2000}>", re.IGNORECASE)
_ANY_TAG_RE = re.compile(r"<[^<>]{0,2000}>")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


def html_depth(html: str) -> int:
    """How deeply elements nest (one linear pass, roughly: unclosed tags count)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG_RE.findall(html):
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def html_strip(html: str) -> str:
    import html as html_lib

    text = _BREAK_RE.sub("\n", html)
    return html_lib.unescape(_ANY_TAG_RE.sub("", text))


def text_tidy(text: str) -> str:
    """Text made from HTML: no indentation runs, at most one blank line in a row."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def inline_cids(parsed: ParsedMail) -> dict[str, int]:
    """Content-ID -> index in ``attachments`` for images the HTML shows in place."""
    return {
        f.content_id: i
        for i, f in enumerate(parsed.attachments)
        if f.content_id and f"cid:{f.content_id}" in parsed.body_html
    }


def as_email_message(raw: bytes) -> EmailMessage:
    """The mail as an ``EmailMessage`` (for tests and the original-message view)."""
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]
