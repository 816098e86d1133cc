"""Demo feedback: ratings and comments on solved demo tickets, a few NPS answers, a shared
saved report and the rollups, so the dashboards are not empty after ``load_demo``."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

from frontdesk.core import clock
from frontdesk.reporting.models import CsatSurvey, NpsSurvey
from frontdesk.reporting.reports import spec_parse
from frontdesk.reporting.rollups import rollup_days
from frontdesk.reporting.services import saved_report_save
from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure, nps_answer
from frontdesk.tickets.models import DONE_CATEGORIES, Ticket

COMMENTS = [
    ("", ""),
    ("Quick and friendly, thank you!", ""),
    ("Solved on the first try.", ""),
    ("It took three days to get an answer.", "It took too long"),
    ("", ""),
    ("Clear instructions, worked right away.", ""),
]
# Comments with a bad rating say what went wrong.
BAD_COMMENTS = [
    ("It took three days to get an answer.", "It took too long"),
    ("The workaround did not fix it for everyone.", "My problem was not solved"),
    ("", ""),
]


def _sla_for_solved(tickets: Any) -> None:
    """SLA records of the solved demo tickets (the SLA demo clocks only the open ones), so
    the dashboard's compliance chart has its resolution target too."""
    try:
        from frontdesk.sla.services import sla_recompute
    except ImportError:  # pragma: no cover - the SLA app is part of the product
        return
    for pk in tickets.values_list("pk", flat=True):
        sla_recompute(ticket_id=pk)


def after_tickets(context: dict[str, Any]) -> None:
    now = clock.now()
    solved = Ticket.objects.filter(
        status_category__in=DONE_CATEGORIES, merged_into__isnull=True
    ).select_related("requester")
    rated = 0
    for ticket in solved.order_by("number"):
        pick = zlib.crc32(ticket.subject.encode())
        if pick % 3 == 0 or ticket.requester.is_agent:
            continue  # not everyone answers
        survey = csat_survey_ensure(ticket=ticket)
        if survey is None or survey.answered_at is not None:
            continue
        comment, reason = COMMENTS[pick % len(COMMENTS)]
        rating = 0 if reason or pick % 7 == 0 else 1
        if rating == 0 and not reason:
            comment, reason = BAD_COMMENTS[pick % len(BAD_COMMENTS)]
        csat_answer(survey=survey, rating=rating, reason=reason, comment=comment)
        when = (ticket.solved_at or now) + timedelta(hours=1 + pick % 20)
        CsatSurvey.objects.filter(pk=survey.pk).update(
            sent_at=ticket.solved_at, answered_at=min(when, now)
        )
        rated += 1
    contacts = {t.requester for t in solved if not t.requester.is_agent}
    for n, contact in enumerate(sorted(contacts, key=lambda c: c.pk)[:12]):
        survey, _created = NpsSurvey.objects.get_or_create(
            contact=contact,
            period=0,
            defaults={"organization_id": contact.organization_id, "created_at": now},
        )
        nps_answer(survey=survey, score=(10, 9, 8, 6, 10, 7, 9, 3)[n % 8])
    staff = context.get("staff", {})
    owner = staff.get("supervisor@example.com") or next(iter(staff.values()), None)
    if owner is not None:
        saved_report_save(
            report=None,
            owner=owner,
            spec=spec_parse({"measure": "created", "group": ["week", "channel"], "days": 90}),
            name="Tickets per week and channel",
            shared=True,
        )
    _sla_for_solved(solved)
    today = context["now"].date()
    rollup_days(start=today - timedelta(days=60), end=today - timedelta(days=1))
    context["stdout"].write(f"Reporting: {rated} ratings, {len(contacts)} contacts for NPS.")
