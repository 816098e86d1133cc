"""Secrets at rest (mailbox passwords): Fernet with keys derived from ENCRYPTION_KEYS.

The first key encrypts; every key in the list decrypts, so an admin rotates by putting a new
key first and keeping the old ones until every secret was saved again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet(key: str) -> Fernet:
    # Any string becomes a 32-byte key; the label keeps this use apart from others of the key.
    digest = hashlib.sha256(b"frontdesk.mail.secret:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS) or [settings.SECRET_KEY]
    return MultiFernet([_fernet(k) for k in keys])


def secret_encrypt(value: str) -> str:
    return _keys().encrypt(value.encode()).decode()


class SecretUnreadable(Exception):  # noqa: N818 - names the situation
    """No configured key opens the stored secret (a key was removed too early)."""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The stored password cannot be decrypted with FRONTDESK_ENCRYPTION_KEYS."
        ) from exc
