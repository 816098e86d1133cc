"""Every write of saved reports, and the scheduled email of a report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.reporting.exports import table_csv
from frontdesk.reporting.metrics import day_start, local_tz
from frontdesk.reporting.models import AttachmentFormat, SavedReport, Schedule
from frontdesk.reporting.pdf import table_pdf
from frontdesk.reporting.reports import ReportSpec, report_run, result_table
from frontdesk.reporting.selectors import scope_for


def schedule_next(schedule: str, *, after: datetime) -> datetime | None:
    """The next send time after ``after``: REPORTING_SCHEDULE_HOUR local time, daily, on
    Mondays, or on the 1st of the month."""
    if not schedule:
        return None
    hour = int(getattr(settings, "REPORTING_SCHEDULE_HOUR", 6))
    local = timezone.localtime(after, local_tz())
    day = local.date()
    while True:
        candidate = day_start(day) + timedelta(hours=hour)
        fits = (
            schedule == Schedule.DAILY
            or (schedule == Schedule.WEEKLY and day.weekday() == 0)
            or (schedule == Schedule.MONTHLY and day.day == 1)
        )
        if fits and candidate > after:
            return candidate
        day += timedelta(days=1)


@transaction.atomic
def saved_report_save(
    *,
    report: SavedReport | None,
    owner: User,
    spec: ReportSpec | None,
    name: str,
    shared: bool,
    schedule: str = "",
    recipients: str = "",
    attachment: str = AttachmentFormat.CSV,
) -> SavedReport:
    """Create or change a saved report; only its owner changes it."""
    now = clock.now()
    if report is None:
        report = SavedReport(owner=owner, created_at=now)
    elif report.owner_id != owner.pk:
        raise PermissionDenied(_("Only the owner changes a saved report."))
    report.name = name.strip()[:120] or _("Untitled report")
    report.shared = shared
    if spec is not None:
        report.spec = spec.to_json()
    if schedule != report.schedule or report.next_run_at is None:
        report.next_run_at = schedule_next(schedule, after=now)
    report.schedule = schedule
    report.recipients = recipients
    report.attachment = attachment if attachment in AttachmentFormat.values else "csv"
    report.updated_at = now
    report.save()
    return report


def saved_report_delete(*, report: SavedReport, actor: User) -> None:
    if report.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner deletes a saved report."))
    report.delete()


def report_recipients(report: SavedReport) -> list[str]:
    listed = [x.strip() for x in report.recipients.splitlines() if x.strip()]
    return listed or [report.owner.email]


def reports_send_due(*, limit: int = 50) -> int:
    """Email every scheduled report that is due, with its table as CSV or PDF (the report's
    ``attachment``). Claims each report
    by moving its ``next_run_at`` with a conditional UPDATE, so two workers send it once."""
    now = clock.now()
    sent = 0
    due = (
        SavedReport.objects.exclude(schedule="")
        .filter(next_run_at__lte=now)
        .select_related("owner")
        .order_by("next_run_at")[:limit]
    )
    for report in due:
        claimed = SavedReport.objects.filter(pk=report.pk, next_run_at=report.next_run_at).update(
            next_run_at=schedule_next(report.schedule, after=now)
        )
        if not claimed:
            continue
        owner = report.owner
        if not owner.is_active or not owner.is_agent:
            # Figures are sent with the owner's permissions; without an owner, nothing.
            SavedReport.objects.filter(pk=report.pk).update(schedule="", next_run_at=None)
            continue
        report_email(report=report)
        SavedReport.objects.filter(pk=report.pk).update(last_sent_at=now)
        sent += 1
    return sent


def report_email(*, report: SavedReport) -> None:
    """Send one saved report now, computed with its owner's permissions."""
    from frontdesk.reporting.reports import spec_parse

    owner = report.owner
    spec = spec_parse(report.spec)
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        result = report_run(spec, scope_for(owner))
        table = result_table(result, report.name)
        start, end = spec.date_range()
        context: dict[str, Any] = {
            "report": report,
            "table": table,
            "start": start,
            "end": end,
            "url": settings.SITE_URL + reverse("reporting:report", args=[report.pk]),
        }
        body = render_to_string("reporting/email/schedule.txt", context)
        subject = _("Report: %(name)s") % {"name": report.name}
        period = _("%(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    mail = EmailMessage(subject, body, to=report_recipients(report))
    filename = f"report-{report.pk}-{end.isoformat()}"
    if report.attachment == AttachmentFormat.PDF:
        mail.attach(f"{filename}.pdf", table_pdf(table, period), "application/pdf")
    else:
        mail.attach(f"{filename}.csv", table_csv(table), "text/csv")
    mail.send()
