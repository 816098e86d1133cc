"""Mail jobs: parse one stored mail, poll one mailbox, send one mail, and their sweepers.

Each job takes ids and claims its work, so a rerun or a second worker is a no-op.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections
from django.db.models import Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.core import clock
from frontdesk.mail.models import InboundMail, InboundState, Mailbox

if TYPE_CHECKING:
    from frontdesk.mail.imap import PollResult

# A mail still ``new`` this long after it arrived lost its job (killed worker).
SWEEP_AFTER_SECONDS = 120


@db_task()
def inbound_process_task(inbound_id: int) -> None:
    from frontdesk.mail.pipeline import inbound_process

    inbound_process(inbound_id)


@db_task()
def inbound_process_batch_task(inbound_ids: list[int]) -> None:
    """One job for a fetched batch (see ``pipeline.inbound_process_batch``)."""
    from frontdesk.mail.pipeline import inbound_process_batch

    inbound_process_batch(inbound_ids)


@db_task()
def mailbox_poll_task(mailbox_id: int) -> None:
    """Poll one mailbox now, on this worker."""
    from frontdesk.mail.imap import mailbox_poll

    mailbox = Mailbox.objects.filter(pk=mailbox_id, active=True).first()
    if mailbox is not None:
        mailbox_poll(mailbox)


@db_task()
def outbound_send_task(outbound_id: int) -> None:
    from frontdesk.mail.outbound import outbound_send

    outbound_send(outbound_id)


def mailboxes_due() -> list[int]:
    cutoff = clock.now() - timedelta(seconds=max(settings.MAIL_POLL_SECONDS - 5, 0))
    return list(
        Mailbox.objects.filter(active=True)
        .exclude(imap_host="")
        .filter(Q(last_poll_at__isnull=True) | Q(last_poll_at__lte=cutoff))
        .values_list("pk", flat=True)
    )


# Polls run in their own threads, not on the job workers: a server that answers slowly, or
# not at all, holds one of these threads (for at most its timeouts and the poll budget,
# imap.POLL_BUDGET_SECONDS) while every other mailbox is polled on time and the workers go
# on parsing. Nothing is kept here but the futures: a poll is claimed in the database, and
# a process that dies mid-poll leaves mail unflagged for the next one (ingest is idempotent).
_pool: ThreadPoolExecutor | None = None
_in_flight: dict[int, Future] = {}
_lock = threading.Lock()


def _poll_in_thread(mailbox_id: int) -> PollResult | None:
    from frontdesk.mail.imap import mailbox_poll

    try:
        mailbox = Mailbox.objects.filter(pk=mailbox_id, active=True).first()
        return mailbox_poll(mailbox) if mailbox is not None else None
    finally:
        with _lock:
            _in_flight.pop(mailbox_id, None)
        connections.close_all()  # this thread's own connection


def mailboxes_poll_start(mailbox_ids: list[int] | None = None) -> dict[int, Future]:
    """Start polling each due mailbox (or these) in the poll threads; a mailbox whose
    previous poll is still running is left to it. Returns the polls started, by mailbox."""
    global _pool
    started: dict[int, Future] = {}
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(settings.MAIL_POLL_THREADS, 1), thread_name_prefix="mail-poll"
            )
        for mailbox_id in mailboxes_due() if mailbox_ids is None else mailbox_ids:
            if mailbox_id in _in_flight:
                continue
            future = _pool.submit(_poll_in_thread, mailbox_id)
            _in_flight[mailbox_id] = future
            started[mailbox_id] = future
    return started


def mailboxes_polling() -> dict[int, Future]:
    """The polls running in this process, by mailbox."""
    with _lock:
        return dict(_in_flight)


@db_periodic_task(crontab(minute="*"))
def mailboxes_poll() -> int:
    """Every minute: start a poll of each mailbox that is due (see the pool above)."""
    return len(mailboxes_poll_start())


def inbound_sweep(*, older_than: int = SWEEP_AFTER_SECONDS) -> int:
    """Re-run mail whose parse job was lost; gives up after MAX_ATTEMPTS (dead letter)."""
    from frontdesk.mail.pipeline import inbound_process

    cutoff = clock.now() - timedelta(seconds=older_than)
    ids = list(
        InboundMail.objects.filter(state=InboundState.NEW, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for inbound_id in ids:
        inbound_process(inbound_id)
    return len(ids)


@db_periodic_task(crontab(minute="*"))
def mail_sweep() -> None:
    from frontdesk.mail.outbound import outbound_due_ids

    for inbound_id in InboundMail.objects.filter(
        state=InboundState.NEW, received_at__lt=clock.now() - timedelta(seconds=SWEEP_AFTER_SECONDS)
    ).values_list("pk", flat=True)[:500]:
        inbound_process_task(inbound_id)
    for outbound_id in outbound_due_ids():
        outbound_send_task(outbound_id)
