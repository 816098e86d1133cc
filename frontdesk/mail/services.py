"""Every write about mailboxes and received mail that is not the pipeline itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from frontdesk.mail.models import InboundMail, Mailbox

MAILBOX_FIELDS = (
    "address",
    "name",
    "team",
    "imap_host",
    "imap_port",
    "imap_ssl",
    "imap_starttls",
    "username",
    "folder",
    "after_import",
    "move_folder",
    "active",
    "from_name",
    "signature",
    "acknowledge",
)


@transaction.atomic
def mailbox_save(
    *, mailbox: Mailbox | None, fields: Mapping[str, Any], password: str | None = None
) -> Mailbox:
    """Create or change a mailbox. ``password=None`` keeps the stored one."""
    mailbox = mailbox or Mailbox()
    for name in MAILBOX_FIELDS:
        if name in fields:
            setattr(mailbox, name, fields[name])
    mailbox.address = mailbox.address.strip().lower()
    if password is not None:
        mailbox.password = password
    mailbox.full_clean()
    mailbox.save()
    return mailbox


def inbound_rerun(*, inbound: InboundMail) -> InboundMail | None:
    """Import a dead-lettered or held mail again (after a fix, or to release it)."""
    from frontdesk.mail.pipeline import inbound_process

    return inbound_process(inbound.pk, force=True)
