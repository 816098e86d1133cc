"""Which mails are machines talking: auto-replies, bounces, bulk mail. Pure code.

Replying to any of them is how two robots start a mail loop (RFC 3834), so the pipeline
never acknowledges them; auto-replies and bounces never open a ticket either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings

from frontdesk.mail.parse import ParsedMail


class Noise(StrEnum):
    NONE = ""
    AUTO_REPLY = "auto_reply"  # out of office, vacation, "we got your mail"
    BOUNCE = "bounce"  # a delivery status notification
    REPORT = "report"  # abuse/feedback or read receipts
    AUTOMATED = "automated"  # bulk, lists, machine notifications: a ticket, never an ack


_OOO_SUBJECT_RE = re.compile(
    r"^\s*(?:(?:out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto(?:matic)?[\s-]?reply|"
    r"autosvar|frånvaro(?:meddelande)?|abwesenheit(?:snotiz)?|automatische\s+antwort|"
    r"réponse\s+automatique|respuesta\s+automática|fuori\s+ufficio|afwezig|"
    r"automatisch\s+antwoord)\s*[:(\-]|auto:|out\s+of\s+(?:the\s+)?office\s*$)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"^\s*(?:undeliver|delivery\s+(?:status\s+notification|failure|has\s+failed)|"
    r"mail\s+delivery\s+(?:failed|failure|subsystem)|returned\s+mail|failure\s+notice|"
    r"delivery\s+notification|non[\s-]?delivery|unzustellbar|olevererbart|"
    r"message\s+not\s+delivered|warning:\s+could\s+not\s+send)",
    re.IGNORECASE,
)
_DAEMON_RE = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_NOREPLY_RE = re.compile(r"^(?:no-?reply|do-?not-?reply)@", re.IGNORECASE)
# Anywhere in the subject of a machine's mail: words of delivery reports in several languages.
_BOUNCE_WORDS_RE = re.compile(
    r"undeliver|deliver(?:y|ed)|returned|failure|failed|rejected|delayed|could\s+not\s+send|"
    r"unzustellbar|non\s+remis|no\s+entregado|エラー|配信|送信できません|不達",
    re.IGNORECASE,
)


def noise_of(parsed: ParsedMail) -> Noise:
    """Classify one mail; ``Noise.NONE`` is a person writing."""
    headers = parsed.headers
    content_type = headers.get("content-type", "").lower()
    if parsed.report_type == "delivery-status" or parsed.bounce is not None:
        return Noise.BOUNCE
    if parsed.report_type in ("feedback-report", "disposition-notification"):
        return Noise.REPORT
    from_daemon = bool(_DAEMON_RE.match(parsed.from_email or ""))
    return_path = headers.get("return-path", "").split("\n")[0].strip().lower()
    null_sender = return_path in ("<>", "<mailer-daemon>", "mailer-daemon")
    machine = from_daemon or null_sender or bool(_NOREPLY_RE.match(parsed.from_email or ""))
    carries_original = any(f.content_type == "message/rfc822" for f in parsed.attachments)
    if from_daemon and (_BOUNCE_SUBJECT_RE.match(parsed.subject) or "report" in content_type):
        return Noise.BOUNCE
    if machine and (_BOUNCE_WORDS_RE.search(parsed.subject) or (carries_original and from_daemon)):
        return Noise.BOUNCE
    if null_sender and carries_original:
        return Noise.BOUNCE
    if headers.get("x-failed-recipients"):
        return Noise.BOUNCE
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto.startswith("auto-replied") or auto.startswith("auto-notified"):
        return Noise.AUTO_REPLY
    if headers.get("x-autoreply") or headers.get("x-autorespond"):
        return Noise.AUTO_REPLY
    precedence = (headers.get("precedence", "") + headers.get("x-precedence", "")).lower()
    if "auto_reply" in precedence or "auto-reply" in precedence:
        return Noise.AUTO_REPLY
    if _OOO_SUBJECT_RE.match(parsed.subject):
        return Noise.AUTO_REPLY
    if from_daemon and _BOUNCE_SUBJECT_RE.match(parsed.subject):
        return Noise.BOUNCE
    if auto and auto != "no":
        return Noise.AUTOMATED
    if any(word in precedence for word in ("bulk", "junk", "list")):
        return Noise.AUTOMATED
    if from_daemon:
        return Noise.AUTOMATED
    return Noise.NONE


_DMARC_RE = re.compile(r"\bdmarc[ \t]{0,5}=[ \t]{0,5}(\w{1,20})", re.IGNORECASE)


def _trusted_auth_results(parsed: ParsedMail) -> str:
    """The Authentication-Results header our own MTA stamped ("" if none).

    Only a header whose authserv-id (the part before the first ``;``) is one of
    ``MAIL_AUTHSERV_ID`` counts, and the topmost such one (our MTA adds its header on top,
    and RFC 8601 MTAs remove any earlier header claiming their own id). Anyone can write an
    Authentication-Results header into a mail, so without the setting none is trusted.
    """
    ours = authserv_ids()
    if not ours:
        return ""
    value = parsed.headers.get("authentication-results", "")
    for header in value.split("\n") if value else ():
        # "authserv-id [version]; ..." (RFC 8601 section 2.2)
        served_by = header.split(";", 1)[0].split()
        if served_by and served_by[0].lower() in ours:
            return header
    return ""


def authserv_ids() -> frozenset[str]:
    """Our MTA's authserv-ids (``MAIL_AUTHSERV_ID``, comma-separated), lowercased."""
    raw = getattr(settings, "MAIL_AUTHSERV_ID", "") or ""
    if isinstance(raw, list | tuple | set | frozenset):
        raw = ",".join(raw)
    return frozenset(i.strip().lower() for i in str(raw).split(",") if i.strip())


def dmarc_result(parsed: ParsedMail) -> str:
    """``fail``, ``pass``, ... from the Authentication-Results our MTA stamped ("" if none)."""
    match = _DMARC_RE.search(_trusted_auth_results(parsed))
    return match.group(1).lower() if match else ""


_COMMENT_RE = re.compile(r"\([^()]{0,500}\)")
_METHOD_RE = re.compile(r"^(dkim|spf|dmarc)[ \t]{0,5}=[ \t]{0,5}(\w{1,20})", re.IGNORECASE)
_PROPERTY_RE = re.compile(r"\b(header\.d|header\.i|smtp\.mailfrom|header\.from)=([^\s;]{1,300})")


@dataclass
class AuthResults:
    """What our MTA checked about the sender (RFC 8601), lowercased."""

    dmarc: str = ""
    spf: list[tuple[str, str]] = field(default_factory=list)  # (result, smtp.mailfrom domain)
    dkim: list[tuple[str, str]] = field(default_factory=list)  # (result, signing domain)


def auth_results(parsed: ParsedMail) -> AuthResults:
    results = AuthResults()
    header = _COMMENT_RE.sub(" ", _trusted_auth_results(parsed))
    for clause in header.split(";")[1:40]:
        clause = clause.strip()
        method = _METHOD_RE.match(clause)
        if not method:
            continue
        name, result = method.group(1).lower(), method.group(2).lower()
        props = {k.lower(): v.strip("<>\"'").lower() for k, v in _PROPERTY_RE.findall(clause)}
        if name == "dmarc" and not results.dmarc:
            results.dmarc = result
        elif name == "spf":
            results.spf.append((result, props.get("smtp.mailfrom", "").rpartition("@")[2]))
        elif name == "dkim":
            domain = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
            results.dkim.append((result, domain))
    return results


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489): the same domain or one a subdomain of the other."""
    if not domain or not from_domain or "." not in domain or "." not in from_domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def sender_authenticated(parsed: ParsedMail) -> bool:
    """Did our MTA vouch for the From domain: dmarc=pass, or SPF or DKIM passing for a
    domain aligned with it? Without a verdict from our MTA, nothing is vouched for."""
    results = auth_results(parsed)
    if results.dmarc == "pass":
        return True
    if results.dmarc == "fail":
        return False
    from_domain = parsed.from_email.rpartition("@")[2].lower()
    return any(r == "pass" and _aligned(d, from_domain) for r, d in results.spf + results.dkim)
