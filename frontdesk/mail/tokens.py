"""Signed reply tokens: HMAC over a ticket and the recipient we wrote to. Pure code.

A token travels in our Message-ID (``<random.TOKEN@domain>``) and in the reply address
(``support+TOKEN@domain``). It threads a reply only when it verifies for the address the
reply comes from: a token copied into someone else's mail, or edited, proves nothing.
Lowercase base36/base32 only, because some servers lowercase local parts.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets

from django.utils.crypto import salted_hmac

_SALT = "frontdesk.mail.reply-token"
_TOKEN_RE = re.compile(r"(?<![0-9a-z])([0-9a-z]{1,13})-([a-z2-7]{16})(?![a-z2-7])")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _signature(ticket_id: int, email: str) -> str:
    mac = salted_hmac(_SALT, f"{ticket_id}:{email.strip().lower()}", algorithm="sha256").digest()
    return base64.b32encode(mac[:10]).decode().lower()


def token_make(*, ticket_id: int, email: str) -> str:
    return f"{_base36(ticket_id)}-{_signature(ticket_id, email)}"


def token_parse(token: str) -> tuple[int, str] | None:
    """(ticket id, signature) of something shaped like a token, or None."""
    match = _TOKEN_RE.fullmatch(token.strip().lower())
    if not match:
        return None
    return int(match.group(1), 36), match.group(2)


def token_verify(*, token: str, email: str) -> int | None:
    """The ticket id when the token was made for exactly this address; otherwise None."""
    parsed = token_parse(token)
    if parsed is None:
        return None
    ticket_id, signature = parsed
    if hmac.compare_digest(signature, _signature(ticket_id, email)):
        return ticket_id
    return None


def tokens_in_message_ids(ids: list[str]) -> list[str]:
    """Tokens found in our own Message-IDs among ``ids``."""
    out = []
    for msgid in ids:
        local = msgid.split("@", 1)[0].lower()
        _random, _dot, candidate = local.rpartition(".")
        if candidate and token_parse(candidate):
            out.append(candidate)
    return out


def tokens_in_addresses(addresses: list[str]) -> list[str]:
    """Tokens in plus-addresses such as ``support+TOKEN@example.com``."""
    out = []
    for address in addresses:
        local = address.split("@", 1)[0].lower()
        _base, plus, candidate = local.partition("+")
        if plus and token_parse(candidate):
            out.append(candidate)
    return out


def address_base(address: str) -> str:
    """``support+anything@example.com`` -> ``support@example.com``."""
    local, at, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}"


def reply_address(*, mailbox_address: str, token: str) -> str:
    local, _at, domain = mailbox_address.partition("@")
    return f"{local}+{token}@{domain}"


def message_id_make(*, token: str | None, domain: str) -> str:
    """A new Message-ID (without angle brackets), carrying ``token`` when given."""
    random = secrets.token_hex(8)
    return f"{random}.{token}@{domain}" if token else f"{random}@{domain}"
