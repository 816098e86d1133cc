"""Periodic jobs: the nightly rollup, scheduled report emails and NPS invitations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from frontdesk.reporting.metrics import today


@db_periodic_task(crontab(minute="20", hour="*/6"))
def reporting_rollup_recent() -> int:
    """Refresh the last REPORTING_ROLLUP_REFRESH_DAYS complete days (runs every 6 hours, so
    a missed night is caught up; recomputing a day is idempotent)."""
    from frontdesk.reporting.rollups import rollup_days

    days = int(getattr(settings, "REPORTING_ROLLUP_REFRESH_DAYS", 7))
    end = today() - timedelta(days=1)
    return rollup_days(start=end - timedelta(days=days - 1), end=end)


@db_periodic_task(crontab(minute="*/15"))
def reporting_schedules_send() -> int:
    from frontdesk.reporting.services import reports_send_due

    return reports_send_due()


@db_periodic_task(crontab(minute="40", hour="9"))
def reporting_nps_invite() -> int:
    from frontdesk.reporting.surveys import nps_invite_due

    return nps_invite_due()
