"""Reads of the ai app: unanswered questions, bot figures, calibration, triage report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q

from frontdesk.ai.models import BotAnswer, ClusterAlert, TriageModel, TriageSuggestion
from frontdesk.core import clock
from frontdesk.tickets.models import Ticket

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def unanswered_questions(*, limit: int = 100) -> list[BotAnswer]:
    """Questions the bot declined or whose answer did not help, newest first."""
    return list(
        BotAnswer.objects.filter(Q(answered=False) | Q(helped=False))
        .select_related("ticket")
        .order_by("-created_at", "-pk")[:limit]
    )


def bot_stats(*, days: int = 30) -> dict[str, Any]:
    """Deflection: answers that helped, out of all questions, over the last ``days``."""
    since = clock.now() - timedelta(days=days)
    row = BotAnswer.objects.filter(created_at__gte=since).aggregate(
        asked=Count("id"),
        answered=Count("id", filter=Q(answered=True)),
        helped=Count("id", filter=Q(helped=True)),
        handed_over=Count("id", filter=Q(ticket__isnull=False)),
    )
    asked = row["asked"] or 0
    row["deflection_rate"] = round(row["helped"] / asked, 3) if asked else None
    return row


def bot_calibration(
    answers: list[tuple[float, bool]] | None = None,
) -> list[dict[str, float | int]]:
    """Per threshold: coverage (share of questions answered) and precision (share of the
    answered ones that helped), from the answers people rated on this desk."""
    if answers is None:
        answers = list(
            BotAnswer.objects.filter(helped__isnull=False).values_list("confidence", "helped")
        )
    rows = []
    for threshold in THRESHOLDS:
        above = [helped for confidence, helped in answers if confidence >= threshold]
        rows.append(
            {
                "threshold": threshold,
                "coverage": round(len(above) / len(answers), 3) if answers else 0.0,
                "precision": round(sum(above) / len(above), 3) if above else 0.0,
                "n": len(above),
            }
        )
    return rows


def triage_report() -> TriageModel | None:
    return TriageModel.objects.defer("blob").order_by("-created_at", "-pk").first()


def suggestions_for(ticket: Ticket) -> list[TriageSuggestion]:
    return list(TriageSuggestion.objects.filter(ticket=ticket).order_by("field"))


def cluster_tickets(alert: ClusterAlert) -> list[Ticket]:
    return list(
        Ticket.objects.filter(pk__in=alert.ticket_ids)
        .select_related("status", "requester")
        .order_by("created_at", "pk")
    )
