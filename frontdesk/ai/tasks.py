"""Periodic jobs: catch-up embedding, the ticket index rebuild, weekly triage training and the
recurring-issue watch. Each is safe to run twice or on two hosts at once."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from frontdesk.ai import embeddings, indexing, similar, store, triage

log = logging.getLogger(__name__)

BACKFILL_BATCH = 500


@db_periodic_task(crontab(minute="*/15"))
def ai_help_center_refresh() -> int:
    """Articles and threads whose text changed without an event reaching us."""
    return indexing.help_center_embed_all()


@db_periodic_task(crontab(minute="*/5"))
def ai_tickets_backfill() -> int:
    """Tickets with no vector yet (imported, or written while the model was off)."""
    return indexing.tickets_embed(indexing.tickets_missing(limit=BACKFILL_BATCH))


@db_periodic_task(crontab(minute="7"))
def ai_ticket_index_rebuild() -> int:
    """Rebuild the HNSW ticket index when enough rows arrived since the last build."""
    backend = embeddings.backend()
    if backend is None:
        return 0
    status = store.ticket_index_status(backend.name)
    if status["pending"] < 1000 and status["indexed"]:  # type: ignore[operator]
        return 0
    return store.ticket_index_rebuild(model=backend.name)


@db_periodic_task(crontab(minute="*/2"))
def ai_clusters_watch() -> int:
    return len(similar.clusters_alert())


@db_periodic_task(crontab(day_of_week="0", hour="3", minute="30"))
def ai_triage_train_weekly() -> bool:
    return triage.triage_train() is not None
