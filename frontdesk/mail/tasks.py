"""Mail jobs: parse one stored mail, poll one mailbox, send one mail, and their sweepers.

Each job takes ids and claims its work, so a rerun or a second worker is a no-op.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.core import clock
from frontdesk.mail.models import InboundMail, InboundState, Mailbox

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
    """One mailbox per job: a slow or broken server never delays the others."""
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


@db_periodic_task(crontab(minute="*"))
def mailboxes_poll() -> int:
    """Start one poll job per mailbox that is due."""
    due = mailboxes_due()
    for mailbox_id in due:
        mailbox_poll_task(mailbox_id)
    return len(due)


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
