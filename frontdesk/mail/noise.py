"""Which mails are machines talking: auto-replies, bounces, bulk mail. Pure code.

Replying to any of them is how two robots start a mail loop (RFC 3834), so the pipeline
never acknowledges them; auto-replies and bounces never open a ticket either.
"""

from __future__ import annotations

import re
from enum import StrEnum

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


def dmarc_result(parsed: ParsedMail) -> str:
    """``fail``, ``pass``, ... from the Authentication-Results our MTA stamped ("" if none).

    Only the topmost header counts: that is the one our own server added; lower ones came
    with the mail and could say anything.
    """
    value = parsed.headers.get("authentication-results", "")
    first = value.split("\n")[0] if value else ""
    match = _DMARC_RE.search(first)
    return match.group(1).lower() if match else ""
