"""Jobs that run the outbox: one per entry, and a sweeper for entries nobody finished."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.core import clock
from frontdesk.core.events import handlers_for
from frontdesk.core.models import OutboxEntry

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=10)
def outbox_process(entry_id: int) -> None:
    """Run every handler of one outbox entry, then mark it done. Safe to run twice."""
    entry = OutboxEntry.objects.filter(pk=entry_id, done_at__isnull=True).first()
    if entry is None:
        return
    OutboxEntry.objects.filter(pk=entry_id).update(attempts=F("attempts") + 1)
    try:
        for handler in handlers_for(entry.topic):
            handler(entry.payload)
    except Exception as exc:
        OutboxEntry.objects.filter(pk=entry_id).update(last_error=repr(exc)[:2000])
        log.exception("outbox entry %s (%s) failed", entry_id, entry.topic)
        raise
    OutboxEntry.objects.filter(pk=entry_id).update(done_at=clock.now(), last_error="")


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    """Re-enqueue entries that were written but never finished (killed worker, lost job)."""
    cutoff = clock.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    ids = list(
        OutboxEntry.objects.filter(done_at__isnull=True, created_at__lt=cutoff, attempts__lt=10)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for entry_id in ids:
        transaction.on_commit(lambda entry_id=entry_id: outbox_process(entry_id))
    return len(ids)
