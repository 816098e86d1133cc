"""Reads of people."""

from __future__ import annotations

from frontdesk.accounts.models import User


def user_find_by_email(email: str) -> User | None:
    """The user with this address in any letter case, with their organization.

    PostgreSQL answers from the UPPER(email) index (``user_email_upper_idx``).
    """
    return (
        User.objects.filter(email__iexact=email.strip())
        .select_related("organization")
        .order_by("pk")
        .first()
    )
