"""Webhook secrets at rest: Fernet with keys derived from ``ENCRYPTION_KEYS``.

The same scheme as the mail app's mailbox passwords (the first key encrypts, every key
decrypts, so keys rotate), with its own label so one use of a key never opens another's
secrets. Kept here rather than imported from the mail app: notifications do not depend on
a channel.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(b"frontdesk.notifications.webhook:" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS) or [settings.SECRET_KEY]
    return MultiFernet([_fernet(k) for k in keys])


class SecretUnreadable(Exception):  # noqa: N818 - names the situation
    """No configured key opens the stored secret (a key was removed too early)."""


def secret_encrypt(value: str) -> str:
    return _keys().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The webhook secret cannot be decrypted with FRONTDESK_ENCRYPTION_KEYS."
        ) from exc
