"""Customer feedback: the CSAT survey asked when a ticket is solved, and periodic NPS.

The CSAT rating links ride in the desk's "solved" mail when one goes (a hook of the
notifications app); only a solve without that mail (switched off, closed directly) gets the
survey's own mail. Either way a ticket is asked once.

Every write about surveys goes through here. Survey links carry a signed token
(``django.core.signing`` with a salt per survey kind) naming the survey, its ticket and its
recipient: a token answers only that survey, so it cannot be replayed on another ticket,
and altering any character breaks the signature. Answers emit the outbox topic
``feedback.received`` {ticket_id, response_id, kind} for the automation engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, User
from frontdesk.core import clock
from frontdesk.core.services import outbox_add
from frontdesk.notifications.customer import solved_mail_part_register, solved_notice_due
from frontdesk.reporting.models import CsatScale, CsatSurvey, NpsSurvey, SurveySettings
from frontdesk.tickets.models import DONE_CATEGORIES, Ticket

TOPIC_FEEDBACK_RECEIVED = "feedback.received"
CSAT_SALT = "frontdesk.reporting.csat"
NPS_SALT = "frontdesk.reporting.nps"
# A solve older than this when the survey job sees it (e.g. a backlog closed in bulk) is
# not worth asking about.
CSAT_MAX_AGE = timedelta(days=7)


class SurveyLinkInvalid(Exception):  # noqa: N818 - reads as the situation it names
    """The link was altered, is for another survey, or is too old."""


def link_max_age() -> int:
    return int(getattr(settings, "REPORTING_SURVEY_LINK_DAYS", 30)) * 86400


# --- settings ---------------------------------------------------------------------------------


def survey_settings_get() -> SurveySettings:
    found = SurveySettings.objects.filter(pk=1).first()
    if found is None:
        found, _created = SurveySettings.objects.get_or_create(
            pk=1, defaults={"csat_reasons": default_reasons()}
        )
    return found


def default_reasons() -> list[str]:
    return [
        _("It took too long"),
        _("My problem was not solved"),
        _("The answer was hard to understand"),
        _("Other"),
    ]


@transaction.atomic
def survey_settings_save(**fields: Any) -> SurveySettings:
    """Change the survey settings (admins)."""
    current = survey_settings_get()
    for name, value in fields.items():
        setattr(current, name, value)
    if current.nps_sample_percent > 100:
        raise ValidationError({"nps_sample_percent": [_("At most 100 percent.")]})
    if current.nps_interval_days < 1:
        raise ValidationError({"nps_interval_days": [_("At least one day.")]})
    current.csat_reasons = [r.strip()[:120] for r in current.csat_reasons if r and r.strip()]
    current.save()
    return current


def rating_choices(scale: str) -> list[tuple[int, str]]:
    if scale == CsatScale.FIVE:
        return [
            (1, _("1 · Very bad")),
            (2, _("2 · Bad")),
            (3, _("3 · Okay")),
            (4, _("4 · Good")),
            (5, _("5 · Very good")),
        ]
    return [(1, _("Good, I'm satisfied")), (0, _("Bad, I'm unsatisfied"))]


def rating_positive(scale: str, rating: int) -> bool:
    return rating >= 4 if scale == CsatScale.FIVE else rating == 1


# --- CSAT -------------------------------------------------------------------------------------


def csat_token(survey: CsatSurvey) -> str:
    return signing.dumps(
        {"s": survey.pk, "t": survey.ticket_id, "u": survey.recipient_id}, salt=CSAT_SALT
    )


def csat_survey_from_token(token: str) -> CsatSurvey:
    """The survey a link names; SurveyLinkInvalid if altered, too old or not matching."""
    try:
        data = signing.loads(token, salt=CSAT_SALT, max_age=link_max_age())
    except signing.BadSignature as exc:
        raise SurveyLinkInvalid from exc
    if not isinstance(data, dict):
        raise SurveyLinkInvalid
    survey = (
        CsatSurvey.objects.select_related("ticket", "recipient")
        .filter(pk=data.get("s"), ticket_id=data.get("t"), recipient_id=data.get("u"))
        .first()
    )
    if survey is None:
        raise SurveyLinkInvalid
    return survey


def csat_url(survey: CsatSurvey, rating: int | None = None) -> str:
    url = settings.SITE_URL + reverse("reporting:csat_answer", args=[csat_token(survey)])
    return url if rating is None else f"{url}?rating={rating}"


def csat_survey_ensure(*, ticket: Ticket) -> CsatSurvey | None:
    """The ticket's survey, created if the ticket qualifies (solved, not merged, a customer
    asked); None if it does not."""
    existing = CsatSurvey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    if ticket.status_category not in DONE_CATEGORIES or ticket.merged_into_id is not None:
        return None
    requester = ticket.requester
    if requester.is_agent or not requester.is_active:
        return None
    survey, _created = CsatSurvey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "recipient": requester,
            "scale": survey_settings_get().csat_scale,
            "created_at": clock.now(),
        },
    )
    return survey


def _csat_ticket(ticket_id: int) -> Ticket | None:
    """The ticket if it should be asked now: solved or closed, not merged, solved within
    CSAT_MAX_AGE, and surveys switched on."""
    ticket = (
        Ticket.objects.select_related("requester")
        .filter(pk=ticket_id, status_category__in=DONE_CATEGORIES, merged_into__isnull=True)
        .first()
    )
    if ticket is None or ticket.solved_at is None:
        return None
    if ticket.solved_at < clock.now() - CSAT_MAX_AGE or not survey_settings_get().csat_enabled:
        return None
    return ticket


def _csat_claim(ticket: Ticket) -> CsatSurvey | None:
    """The ticket's survey, marked sent by this caller; None if it does not qualify or was
    already sent or answered. Of two workers claiming the same survey, one gets it."""
    survey = csat_survey_ensure(ticket=ticket)
    if survey is None or survey.sent_at is not None or survey.answered_at is not None:
        return None
    if not CsatSurvey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(
        sent_at=clock.now()
    ):
        return None
    return survey


def csat_invite(*, ticket_id: int) -> bool:
    """Send the ticket's CSAT email once, when it is solved, unless the desk's "solved" mail
    carries the rating links (``csat_solved_mail_part``). Safe to call on every change."""
    ticket = _csat_ticket(ticket_id)
    if ticket is None:
        return False
    # The solved mail asks instead (one mail about the solve, not two); it claims the survey
    # itself, so it does not matter which of the two reactions runs first.
    if solved_notice_due(ticket=ticket):
        return False
    survey = _csat_claim(ticket)
    if survey is None:
        return False
    try:
        _csat_email(survey, ticket)
    except Exception:
        CsatSurvey.objects.filter(pk=survey.pk).update(sent_at=None)
        raise
    return True


def csat_solved_mail_part(*, ticket: Ticket, language: str) -> str | None:
    """The rating links for the desk's "solved" mail, in its language; claims the survey's
    one send (the claim is undone with the mail's transaction if the mail is not queued).
    None when the ticket is not to be asked (switched off, too old, merged, already asked)."""
    qualifying = _csat_ticket(ticket.pk)
    if qualifying is None:
        return None
    survey = _csat_claim(qualifying)
    if survey is None:
        return None
    with translation.override(language):
        lines = [_("How did we do? Request #%(number)s") % {"number": ticket.number}]
        lines += [
            f"{label}: {csat_url(survey, value)}" for value, label in rating_choices(survey.scale)
        ]
        lines += ["", _("Thank you for helping us get better.")]
    return "\n".join(lines)


def _csat_email(survey: CsatSurvey, ticket: Ticket) -> None:
    recipient = ticket.requester
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context = {
            "ticket": ticket,
            "recipient": recipient,
            "choices": [
                (label, csat_url(survey, value)) for value, label in rating_choices(survey.scale)
            ],
        }
        subject = _("How did we do? Request #%(number)s") % {"number": ticket.number}
        text = render_to_string("reporting/email/csat.txt", context)
        html = render_to_string("reporting/email/csat.html", context)
    mail = EmailMultiAlternatives(subject, text, to=[recipient.email])
    mail.attach_alternative(html, "text/html")
    mail.send()


@dataclass(frozen=True)
class AnswerState:
    can_change: bool
    change_until: Any


def csat_answer_state(survey: CsatSurvey) -> AnswerState:
    if survey.answered_at is None:
        return AnswerState(True, None)
    until = survey.answered_at + timedelta(hours=survey_settings_get().csat_change_hours)
    return AnswerState(clock.now() <= until, until)


@transaction.atomic
def csat_answer(
    *, survey: CsatSurvey, rating: int, reason: str = "", comment: str = ""
) -> CsatSurvey:
    """Record (or, within the window, change) the one rating of a ticket."""
    survey = CsatSurvey.objects.select_for_update().get(pk=survey.pk)
    allowed = {value for value, _label in rating_choices(survey.scale)}
    if rating not in allowed:
        raise ValidationError({"rating": [_("Choose one of the ratings.")]})
    reasons = survey_settings_get().csat_reasons
    if reason and reason not in reasons:
        raise ValidationError({"reason": [_("Choose a reason from the list.")]})
    if not csat_answer_state(survey).can_change:
        raise ValidationError(_("This rating can no longer be changed."))
    now = clock.now()
    if survey.answered_at is None:
        survey.answered_at = now
    else:
        survey.changed_at = now
    survey.rating = rating
    survey.positive = rating_positive(survey.scale, rating)
    survey.reason = reason
    survey.comment = comment.strip()[:5000]
    survey.save()
    outbox_add(
        topic=TOPIC_FEEDBACK_RECEIVED,
        payload={"ticket_id": survey.ticket_id, "response_id": survey.pk, "kind": "csat"},
    )
    return survey


# --- NPS --------------------------------------------------------------------------------------


def nps_token(survey: NpsSurvey) -> str:
    return signing.dumps({"s": survey.pk, "u": survey.contact_id}, salt=NPS_SALT)


def nps_survey_from_token(token: str) -> NpsSurvey:
    try:
        data = signing.loads(token, salt=NPS_SALT, max_age=link_max_age())
    except signing.BadSignature as exc:
        raise SurveyLinkInvalid from exc
    if not isinstance(data, dict):
        raise SurveyLinkInvalid
    survey = NpsSurvey.objects.filter(pk=data.get("s"), contact_id=data.get("u")).first()
    if survey is None:
        raise SurveyLinkInvalid
    return survey


def nps_url(survey: NpsSurvey, score: int | None = None) -> str:
    url = settings.SITE_URL + reverse("reporting:nps_answer", args=[nps_token(survey)])
    return url if score is None else f"{url}?score={score}"


def nps_sampled(contact_id: int, period: int, percent: int) -> bool:
    """Deterministic sampling: the same contact is in or out for a whole period."""
    digest = hashlib.sha256(f"{contact_id}:{period}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def nps_invite_due(*, limit: int = 500, scan_pages: int = 50) -> int:
    """Ask contacts who had a request solved within the interval and were not asked in it,
    sampled deterministically per contact and period (``nps_sampled``).

    Eligible contacts are read in pages of ids (keyset, ``limit * 4`` a page) until
    ``limit`` are chosen: contacts the sample leaves out stay eligible, so reading only the
    first page every day would keep meeting the same left-out contacts and ask almost
    nobody new at a low sample rate.
    """
    config = survey_settings_get()
    if not config.nps_enabled:
        return 0
    now = clock.now()
    interval = timedelta(days=config.nps_interval_days)
    period = int(now.timestamp() // interval.total_seconds())
    served = Ticket.objects.filter(
        requester=OuterRef("pk"), solved_at__gte=now - interval, merged_into__isnull=True
    )
    asked = NpsSurvey.objects.filter(contact=OuterRef("pk"), created_at__gte=now - interval)
    eligible = (
        User.objects.filter(role=Role.CUSTOMER, is_active=True)
        .filter(Exists(served))
        .exclude(Exists(asked))
        .order_by("pk")
    )
    chosen: list[NpsSurvey] = []
    after = 0
    for _page in range(scan_pages):
        page = list(eligible.filter(pk__gt=after).values_list("pk", "organization_id")[: limit * 4])
        chosen += [
            NpsSurvey(contact_id=pk, organization_id=org, period=period, created_at=now)
            for pk, org in page
            if nps_sampled(pk, period, config.nps_sample_percent)
        ]
        if len(chosen) >= limit or len(page) < limit * 4:
            break
        after = page[-1][0]
    NpsSurvey.objects.bulk_create(chosen[:limit], ignore_conflicts=True)
    sent = 0
    for survey in NpsSurvey.objects.filter(period=period, sent_at__isnull=True).select_related(
        "contact"
    )[:limit]:
        if not NpsSurvey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(sent_at=now):
            continue
        try:
            _nps_email(survey)
        except Exception:
            NpsSurvey.objects.filter(pk=survey.pk).update(sent_at=None)
            raise
        sent += 1
    return sent


def _nps_email(survey: NpsSurvey) -> None:
    contact = survey.contact
    with translation.override(contact.language or settings.LANGUAGE_CODE):
        context = {
            "recipient": contact,
            "scores": [(n, nps_url(survey, n)) for n in range(11)],
        }
        subject = _("How likely are you to recommend us?")
        text = render_to_string("reporting/email/nps.txt", context)
        html = render_to_string("reporting/email/nps.html", context)
    mail = EmailMultiAlternatives(subject, text, to=[contact.email])
    mail.attach_alternative(html, "text/html")
    mail.send()


@transaction.atomic
def nps_answer(*, survey: NpsSurvey, score: int, comment: str = "") -> NpsSurvey:
    """Record the contact's score (0-10) and comment; a later answer replaces it."""
    if not 0 <= score <= 10:
        raise ValidationError({"score": [_("Choose a score from 0 to 10.")]})
    survey = NpsSurvey.objects.select_for_update().get(pk=survey.pk)
    survey.score = score
    survey.comment = comment.strip()[:5000]
    survey.answered_at = survey.answered_at or clock.now()
    survey.save()
    outbox_add(
        topic=TOPIC_FEEDBACK_RECEIVED,
        payload={"ticket_id": None, "response_id": survey.pk, "kind": "nps"},
    )
    return survey


def nps_category(score: int | None) -> str:
    if score is None:
        return ""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


# The one hook between the two apps: notifications knows nothing of surveys, reporting
# adds its paragraph to the solved mail (registered once, when the app loads this module).
solved_mail_part_register(csat_solved_mail_part)
