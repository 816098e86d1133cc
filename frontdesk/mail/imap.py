"""IMAP polling (imap-tools): fetch, store, and only then mark seen, move or delete.

Each mailbox is polled in its own job and claimed first (a conditional UPDATE), so two
workers never poll the same mailbox and a slow server delays nobody else. Sizes are
fetched before bodies: a mail over MAIL_MAX_BYTES is quarantined from its headers alone,
so one huge mail never blocks a mailbox. The server is told a mail is done only after
``ingest_raw`` committed it; a crash in between means a harmless re-fetch (idempotent).
"""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from frontdesk.core import clock
from frontdesk.mail import pipeline
from frontdesk.mail.models import AfterImport, InboundSource, Mailbox

TIMEOUT_SECONDS = 30
# One poll stops starting new batches after this long (the rest waits for the next poll), so
# a huge backlog or a server trickling bytes holds a poll thread for a bounded time.
POLL_BUDGET_SECONDS = 120
CLAIM_SECONDS = 600
MAX_PER_POLL = 1000
BATCH = 50
BATCH_BYTES = 16 * 1024 * 1024

_UID_RE = re.compile(rb"UID (\d+)")
_SIZE_RE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


@dataclass
class PollResult:
    fetched: int = 0
    new: int = 0
    quarantined: int = 0
    error: str = ""
    skipped: bool = False
    more: bool = False  # stopped at the poll budget: mail is left for the next poll
    uids_done: list[str] = field(default_factory=list)


def mailbox_connect(mailbox: Mailbox) -> BaseMailBox:
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_ssl:
        client: BaseMailBox = MailBox(
            host, port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    elif mailbox.imap_starttls:
        client = MailBoxStartTls(
            host, port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    else:
        client = MailBoxUnencrypted(host, port, timeout=TIMEOUT_SECONDS)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def mailbox_test(mailbox: Mailbox) -> tuple[bool, str]:
    """Connect and log in as a poll would; say what happened in plain words."""
    try:
        with mailbox_connect(mailbox) as client:
            count = len(client.uids("ALL"))
    except Exception as exc:  # noqa: BLE001 - shown to the admin
        return False, _("Could not connect: %(error)s") % {"error": _error_text(exc)}
    return True, _("Connected. %(count)s mails in %(folder)s.") % {
        "count": count,
        "folder": mailbox.folder,
    }


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, bytes | bytearray):
        text = exc.decode(errors="replace")
    return f"{type(exc).__name__}: {text}"[:1000]


def _claim(mailbox: Mailbox) -> bool:
    now = clock.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(polling_until__isnull=True) | Q(polling_until__lt=now))
        .update(polling_until=now + timedelta(seconds=CLAIM_SECONDS))
    )


def mailbox_poll(mailbox: Mailbox) -> PollResult:
    """Fetch every new mail of one mailbox through the pipeline."""
    if not mailbox.polls_imap:
        return PollResult(skipped=True)
    if not _claim(mailbox):
        return PollResult(skipped=True)
    result = PollResult()
    try:
        with mailbox_connect(mailbox) as client:
            _poll(client, mailbox, result)
    except Exception as exc:  # noqa: BLE001 - recorded on the mailbox, shown to admins
        result.error = _error_text(exc)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            polling_until=None, last_poll_at=clock.now(), last_error=result.error
        )
    return result


def _poll(client: BaseMailBox, mailbox: Mailbox, result: PollResult) -> None:
    criteria = "UNSEEN UNDELETED" if mailbox.after_import == AfterImport.SEEN else "UNDELETED"
    uids = client.uids(criteria)
    result.more = len(uids) > MAX_PER_POLL
    uids = uids[:MAX_PER_POLL]
    started = time.monotonic()
    for start in range(0, len(uids), BATCH):
        if time.monotonic() - started > POLL_BUDGET_SECONDS:
            result.more = True
            break
        batch = uids[start : start + BATCH]
        sizes = _sizes(client, batch)
        done: list[str] = []
        kept: list[str] = []  # quarantined: seen, but never deleted (the body is still there)
        small = [u for u in batch if sizes.get(u, 0) <= settings.MAIL_MAX_BYTES]
        for uid in batch:
            if uid in small:
                continue
            headers = _fetch(client, [uid], "BODY.PEEK[HEADER]").get(uid, b"")
            pipeline.ingest_raw(
                headers, mailbox=mailbox, source=InboundSource.IMAP, size=sizes.get(uid)
            )
            result.quarantined += 1
            kept.append(uid)
        for group in _groups(small, sizes):
            fetched = _fetch(client, group, "BODY.PEEK[]")
            stored = pipeline.ingest_batch(
                list(fetched.values()), mailbox=mailbox, source=InboundSource.IMAP
            )
            result.fetched += len(stored)
            result.new += sum(int(created) for _inbound, created in stored)
            done += list(fetched)
        pipeline._fault("before_flag")
        _after_import(client, mailbox, done, kept)
        result.uids_done += done


def _groups(uids: list[str], sizes: dict[str, int]) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] = []
    total = 0
    for uid in uids:
        if current and total + sizes.get(uid, 0) > BATCH_BYTES:
            groups.append(current)
            current, total = [], 0
        current.append(uid)
        total += sizes.get(uid, 0)
    if current:
        groups.append(current)
    return groups


def _sizes(client: BaseMailBox, uids: list[str]) -> dict[str, int]:
    if not uids:
        return {}
    _typ, data = client.client.uid("FETCH", ",".join(uids), "(RFC822.SIZE)")
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        match = _SIZE_RE.search(line)
        if match:
            uid, size = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
            sizes[uid.decode()] = int(size)
    return sizes


def _fetch(client: BaseMailBox, uids: list[str], what: str) -> dict[str, bytes]:
    """UID -> bytes, in one round trip for the whole group."""
    _typ, data = client.client.uid("FETCH", ",".join(uids), f"({what})")
    out: dict[str, bytes] = {}
    pending: bytes | None = None
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            match = _UID_RE.search(item[0])
            if match:
                out[match.group(1).decode()] = item[1]
                pending = None
            else:
                pending = item[1]  # the UID follows the literal in some servers
        elif isinstance(item, bytes) and pending is not None:
            match = _UID_RE.search(item)
            if match:
                out[match.group(1).decode()] = pending
            pending = None
    return out


def _after_import(client: BaseMailBox, mailbox: Mailbox, done: list[str], kept: list[str]) -> None:
    if kept:
        if mailbox.after_import == AfterImport.MOVE and mailbox.move_folder:
            client.move(kept, mailbox.move_folder)
        else:
            client.flag(kept, MailMessageFlags.SEEN, True)
    if not done:
        return
    if mailbox.after_import == AfterImport.DELETE:
        client.delete(done)
    elif mailbox.after_import == AfterImport.MOVE and mailbox.move_folder:
        client.move(done, mailbox.move_folder)
    else:
        client.flag(done, MailMessageFlags.SEEN, True)
