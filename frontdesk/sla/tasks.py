"""Jobs: the periodic SLA scanner and the runner for the outbox entries it writes."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.core.tasks import outbox_process
from frontdesk.sla.config import config_version
from frontdesk.sla.services import sla_recompute_open, sla_scan

log = logging.getLogger(__name__)


def _schedule() -> crontab:
    # Huey schedules by the minute: SLA_SCAN_SECONDS below 60 still scans once a minute.
    minutes = max(1, int(getattr(settings, "SLA_SCAN_SECONDS", 60)) // 60)
    return crontab(minute="*" if minutes == 1 else f"*/{minutes}")


@db_periodic_task(_schedule())
def sla_scan_periodic() -> dict[str, int]:
    """One scanner pass: every warning and breach that came due is recorded once."""
    result = sla_scan()
    if result.tickets:
        log.info(
            "sla scan: %s tickets, %s warnings, %s breaches",
            result.tickets,
            result.warnings,
            result.breaches,
        )
    return {"tickets": result.tickets, "warnings": result.warnings, "breaches": result.breaches}


@db_task()
def sla_outbox_run(entry_ids: list[int]) -> None:
    """Run the outbox entries of one scanner batch in one job instead of one job each.

    A failing entry keeps its error on the outbox row and the sweeper retries it later;
    the others still run.
    """
    for entry_id in entry_ids:
        try:
            outbox_process.call_local(entry_id)
        except Exception:  # noqa: BLE001 - recorded on the entry; the sweeper retries it
            log.warning("sla outbox entry %s failed; the sweeper will retry it", entry_id)


@db_task()
def sla_recompute_open_task(version: int | None = None) -> int:
    """After a configuration change: recompute every open ticket, unless a later change
    already scheduled the same pass (its version is newer than this job's)."""
    if version is not None and config_version() != version:
        return 0
    return sla_recompute_open()
