"""Customer feedback: the CSAT rating links on solve (in the "solved" mail, or a mail of
their own when there is none), signed one-click links, the portal prompt, one answer per
ticket that can be changed for a while, NPS, and the feedback topic."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse

from frontdesk.core import clock
from frontdesk.core.models import OutboxEntry
from frontdesk.reporting.models import CsatSurvey, NpsSurvey
from frontdesk.reporting.surveys import (
    CSAT_SALT,
    csat_token,
    nps_category,
    nps_invite_due,
    survey_settings_save,
)
from frontdesk.tickets.models import Status
from frontdesk.tickets.services import ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def solved_ticket(people, make_ticket, django_capture_on_commit_callbacks):
    """Dana's ticket, solved by Alice; the outbox ran, so the solved mail with the rating
    links went out."""
    ticket = make_ticket(subject="Printer on fire", team="l1")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(
            ticket=ticket,
            actor=people["alice"],
            changes={"status": Status.objects.get(slug="solved")},
        )
    ticket.refresh_from_db()
    return ticket


def _surveys_mailed() -> list:
    """The mails that ask for a rating (the solved mail, or the survey's own mail)."""
    return [m for m in mail.outbox if "/survey/csat/" in m.body]


def _solve(ticket, actor, callbacks, status: str = "solved") -> None:
    with callbacks(execute=True):
        ticket_update(
            ticket=ticket, actor=actor, changes={"status": Status.objects.get(slug=status)}
        )


def _link_from_mail(message, label: str) -> str:
    for line in message.body.splitlines():
        if line.startswith(label):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"no {label!r} link in {message.body}")


def test_dana_is_asked_once_when_her_ticket_is_solved(
    solved_ticket, people, django_capture_on_commit_callbacks
):
    assert len(_surveys_mailed()) == 1
    assert _surveys_mailed()[0].to == ["dana@example.com"]
    assert f"#{solved_ticket.number}" in _surveys_mailed()[0].subject
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    assert survey.sent_at is not None and survey.recipient == people["dana"]
    # Another change of the solved ticket sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=solved_ticket, actor=people["alice"], changes={"add_tags": ["vip"]})
    assert len(_surveys_mailed()) == 1


def _to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_a_solve_mails_dana_once_with_the_reopen_link_and_the_rating_links(
    solved_ticket, people, client, django_capture_on_commit_callbacks
):
    (sent,) = _to("dana@example.com")
    assert sent.subject == f"Your request #{solved_ticket.number} is solved"
    assert reverse("portal:request_detail", args=[solved_ticket.number]) in sent.body
    assert "reopen it until" in sent.body
    assert f"How did we do? Request #{solved_ticket.number}" in sent.body
    assert "Good, I'm satisfied: http" in sent.body and "Bad, I'm unsatisfied: http" in sent.body
    # Her one click from that mail records her rating.
    bad = _path(_link_from_mail(sent, "Bad"))
    assert b"data-autosubmit" in client.get(bad).content
    client.post(bad.split("?")[0], {"rating": "0"})
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    assert (survey.rating, survey.positive, survey.recipient) == (0, False, people["dana"])
    # Later changes of the solved ticket mail her nothing more.
    _solve(solved_ticket, people["alice"], django_capture_on_commit_callbacks, "closed")
    assert len(_to("dana@example.com")) == 1


@pytest.mark.parametrize("first", ["solved mail", "survey"])
def test_the_rating_links_ride_in_the_solved_mail_whichever_reaction_runs_first(
    first, people, make_ticket, django_capture_on_commit_callbacks
):
    from frontdesk.notifications.handlers import on_ticket_changed
    from frontdesk.reporting.handlers import csat_on_ticket_changed

    ticket = make_ticket(subject="Printer on fire")
    # Solved; its outbox job has not run yet.
    ticket_update(
        ticket=ticket, actor=people["alice"], changes={"status": Status.objects.get(slug="solved")}
    )
    reactions = [on_ticket_changed, csat_on_ticket_changed]
    if first == "survey":
        reactions.reverse()
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):  # the job is retried: nobody is told twice
            for reaction in reactions:
                reaction({"ticket_id": ticket.pk})
    (sent,) = _to("dana@example.com")
    assert sent.subject == f"Your request #{ticket.number} is solved"
    assert "Good, I'm satisfied: http" in sent.body
    assert CsatSurvey.objects.get(ticket=ticket).sent_at is not None


def test_erik_is_asked_in_swedish_in_his_solved_mail(
    people, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket(requester=people["erik"], subject="Skrivaren")
    _solve(ticket, people["alice"], django_capture_on_commit_callbacks)
    (sent,) = _to("erik@example.org")
    assert sent.extra_headers["Content-Language"] == "sv"
    assert f"Vad tyckte du om vår hjälp? Förfrågan #{ticket.number}" in sent.body
    assert "Bra, jag är nöjd: http" in sent.body
    assert "Tack för att du hjälper oss att bli bättre." in sent.body


def test_with_csat_switched_off_the_solved_mail_asks_for_no_rating(
    people, make_ticket, django_capture_on_commit_callbacks
):
    survey_settings_save(csat_enabled=False)
    ticket = make_ticket()
    _solve(ticket, people["alice"], django_capture_on_commit_callbacks)
    (sent,) = _to("dana@example.com")
    assert sent.subject == f"Your request #{ticket.number} is solved"
    assert reverse("portal:request_detail", args=[ticket.number]) in sent.body
    assert "/survey/csat/" not in sent.body and "How did we do?" not in sent.body
    assert not CsatSurvey.objects.filter(sent_at__isnull=False).exists()


@pytest.mark.parametrize("switched_off_by", ["setting", "admin"])
def test_without_a_solved_mail_the_survey_mail_goes_alone_once(
    switched_off_by, people, make_ticket, settings, django_capture_on_commit_callbacks
):
    from frontdesk.notifications.customer import template_save

    if switched_off_by == "setting":
        settings.NOTIFY_CUSTOMER_SOLVED = False
    else:
        template_save(event="solved", language="en", subject="Solved", body="Bye", active=False)
    ticket = make_ticket()
    _solve(ticket, people["alice"], django_capture_on_commit_callbacks)
    (sent,) = _to("dana@example.com")
    assert sent.subject == f"How did we do? Request #{ticket.number}"
    assert "Good, I'm satisfied: http" in sent.body
    _solve(ticket, people["alice"], django_capture_on_commit_callbacks, "closed")
    assert len(_to("dana@example.com")) == 1


def test_a_ticket_closed_without_a_solve_gets_the_survey_mail_alone(
    people, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    _solve(ticket, people["alice"], django_capture_on_commit_callbacks, "closed")
    (sent,) = _to("dana@example.com")
    assert sent.subject == f"How did we do? Request #{ticket.number}"


def test_a_merged_ticket_asks_for_no_rating(
    people, make_ticket, django_capture_on_commit_callbacks
):
    from frontdesk.tickets.services import ticket_merge

    kept, merged = make_ticket(subject="VPN down"), make_ticket(subject="VPN again")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=merged, target=kept, actor=people["alice"])
    assert _surveys_mailed() == []
    assert not CsatSurvey.objects.filter(ticket=merged).exists()


def test_a_solve_older_than_a_week_when_the_job_runs_asks_nothing(
    people, make_ticket, django_capture_on_commit_callbacks
):
    from frontdesk.reporting.handlers import csat_on_ticket_changed

    ticket = make_ticket()
    ticket_update(
        ticket=ticket, actor=people["alice"], changes={"status": Status.objects.get(slug="solved")}
    )
    later = time_machine.travel(clock.now() + timedelta(days=8), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        csat_on_ticket_changed({"ticket_id": ticket.pk})
    assert _surveys_mailed() == []


def test_an_open_ticket_gets_no_survey(people, make_ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    assert CsatSurvey.objects.count() == 0
    assert mail.outbox == []


def test_one_click_from_the_email_records_the_rating(solved_ticket, client):
    good = _link_from_mail(_surveys_mailed()[0], "Good")
    path = good.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200
    # The page submits the chosen rating by itself; GET alone records nothing (mail
    # scanners follow links).
    assert b"data-autosubmit" in page.content
    assert CsatSurvey.objects.get(ticket=solved_ticket).rating is None
    token = path.split("/")[-2]
    client.post(reverse("reporting:csat_answer", args=[token]), {"rating": "1", "comment": ""})
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    assert survey.rating == 1 and survey.positive is True and survey.answered_at


def test_a_bad_rating_with_reason_and_comment_emits_feedback_received(solved_ticket, client):
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    url = reverse("reporting:csat_answer", args=[csat_token(survey)])
    response = client.post(url, {"rating": "0", "reason": "It took too long", "comment": "Slow."})
    assert response.status_code == 200
    survey.refresh_from_db()
    assert (survey.positive, survey.reason, survey.comment) == (False, "It took too long", "Slow.")
    entry = OutboxEntry.objects.filter(topic="feedback.received").get()
    assert entry.payload == {
        "ticket_id": solved_ticket.pk,
        "response_id": survey.pk,
        "kind": "csat",
    }


def test_a_tampered_link_is_refused(solved_ticket, client):
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    token = csat_token(survey)
    broken = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("reporting:csat_answer", args=[broken])).status_code == 404
    assert (
        client.post(reverse("reporting:csat_answer", args=[broken]), {"rating": "0"}).status_code
        == 404
    )
    assert CsatSurvey.objects.get(pk=survey.pk).rating is None


def test_a_link_cannot_be_reused_for_another_ticket(solved_ticket, people, make_ticket, client):
    """Erik's survey token names his survey, ticket and himself: swapping the ticket id
    (even with a valid signature of a different payload) answers nothing of Dana's."""
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    other = make_ticket(requester=people["erik"], subject="Another")
    other_survey = CsatSurvey.objects.create(
        ticket=other, recipient=people["erik"], scale="good_bad", created_at=clock.now()
    )
    # A token signed for Erik's ticket but naming Dana's survey: the ids disagree.
    forged = signing.dumps({"s": survey.pk, "t": other.pk, "u": people["erik"].pk}, salt=CSAT_SALT)
    assert (
        client.post(reverse("reporting:csat_answer", args=[forged]), {"rating": "0"}).status_code
        == 404
    )
    # A token of another kind (NPS salt) is not a CSAT token.
    from frontdesk.reporting.surveys import NPS_SALT

    wrong_salt = signing.dumps(
        {"s": survey.pk, "t": solved_ticket.pk, "u": people["dana"].pk}, salt=NPS_SALT
    )
    assert (
        client.post(
            reverse("reporting:csat_answer", args=[wrong_salt]), {"rating": "0"}
        ).status_code
        == 404
    )
    assert CsatSurvey.objects.get(pk=survey.pk).rating is None
    assert CsatSurvey.objects.get(pk=other_survey.pk).rating is None


def test_a_rating_can_be_changed_within_the_window_only(solved_ticket, client):
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    url = reverse("reporting:csat_answer", args=[csat_token(survey)])
    client.post(url, {"rating": "0"})
    client.post(url, {"rating": "1", "comment": "They called me back."})
    survey.refresh_from_db()
    assert survey.rating == 1 and survey.changed_at is not None
    assert CsatSurvey.objects.filter(ticket=solved_ticket).count() == 1
    with time_machine.travel(clock.now() + timedelta(hours=73), tick=False):
        page = client.post(url, {"rating": "0"})
        assert b"can no longer be changed" in page.content
    survey.refresh_from_db()
    assert survey.rating == 1


def test_an_old_link_expires(solved_ticket, client):
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    url = reverse("reporting:csat_answer", args=[csat_token(survey)])
    with time_machine.travel(clock.now() + timedelta(days=31), tick=False):
        assert client.get(url).status_code == 404


def test_the_five_point_scale(people, make_ticket, client, django_capture_on_commit_callbacks):
    survey_settings_save(csat_scale="five")
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(
            ticket=ticket,
            actor=people["alice"],
            changes={"status": Status.objects.get(slug="solved")},
        )
    assert "5 · Very good" in _surveys_mailed()[0].body
    survey = CsatSurvey.objects.get(ticket=ticket)
    client.post(reverse("reporting:csat_answer", args=[csat_token(survey)]), {"rating": "4"})
    survey.refresh_from_db()
    assert survey.rating == 4 and survey.positive is True


def test_dana_rates_from_the_portal_prompt(solved_ticket, people, client):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/portal/")
    request.user = people["dana"]
    html = Template("{% load reporting %}{% csat_prompt ticket %}").render(
        Context({"request": request, "ticket": solved_ticket, "csrf_token": "x"})
    )
    assert "How did we do?" in html
    client.force_login(people["dana"])
    response = client.post(
        reverse("reporting:csat_portal", args=[solved_ticket.number]),
        {"rating": "1", "comment": "Thanks!", "next": "/portal/"},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert CsatSurvey.objects.get(ticket=solved_ticket).comment == "Thanks!"


def test_erik_cannot_rate_danas_ticket(solved_ticket, people, client):
    client.force_login(people["erik"])
    response = client.post(
        reverse("reporting:csat_portal", args=[solved_ticket.number]), {"rating": "0"}
    )
    assert response.status_code == 404
    assert CsatSurvey.objects.get(ticket=solved_ticket).rating is None


def test_the_rating_shows_on_the_ticket_for_agents(solved_ticket, people, client):
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    client.post(
        reverse("reporting:csat_answer", args=[csat_token(survey)]),
        {"rating": "0", "comment": "Too slow"},
    )
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket", args=[solved_ticket.number]))
    assert b"Customer feedback" in page.content and b"Too slow" in page.content


def test_nps_asks_served_contacts_once_per_period(solved_ticket, people, client):
    survey_settings_save(nps_enabled=True, nps_interval_days=90, nps_sample_percent=100)
    mail.outbox.clear()
    assert nps_invite_due() == 1
    assert nps_invite_due() == 0  # asked already this period
    assert mail.outbox[0].to == ["dana@example.com"]
    survey = NpsSurvey.objects.get(contact=people["dana"])
    link = _link_from_mail(mail.outbox[0], "9")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.post(path.split("?")[0], {"score": "9", "comment": "Great"})
    survey.refresh_from_db()
    assert survey.score == 9 and nps_category(survey.score) == "promoter"
    assert OutboxEntry.objects.filter(topic="feedback.received", payload__kind="nps").exists()


def test_nps_sampling_can_skip_everyone(solved_ticket):
    survey_settings_save(nps_enabled=True, nps_sample_percent=0)
    assert nps_invite_due() == 0


def test_csat_and_nps_measures(people, make_ticket, settings):
    from frontdesk.reporting.metrics import Filters, Scope, measure_compute, today
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure, nps_answer

    solved = Status.objects.get(slug="solved")
    ratings = [1, 1, 1, 0]
    for rating in ratings:
        ticket = make_ticket()
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
        ticket.refresh_from_db()
        csat_answer(survey=csat_survey_ensure(ticket=ticket), rating=rating)
    for n, score in enumerate([10, 9, 8, 3, 0]):
        contact = people["dana"] if n == 0 else people["erik"]
        nps = NpsSurvey.objects.create(
            contact=contact,
            organization_id=contact.organization_id,
            period=n,
            created_at=clock.now(),
        )
        nps_answer(survey=nps, score=score)
    day = today()
    week = Filters.of(day - timedelta(days=6), day)
    assert measure_compute("csat", filters=week, scope=Scope()).total == pytest.approx(75.0)
    assert measure_compute("csat_responses", filters=week, scope=Scope()).total == 4
    # 2 promoters, 1 passive, 2 detractors of 5: (2 - 2) / 5.
    assert measure_compute("nps", filters=week, scope=Scope()).total == pytest.approx(0.0)
    shares = {
        key: measure_compute(f"nps_{key}", filters=week, scope=Scope()).total
        for key in ("promoters", "passives", "detractors")
    }
    assert shares == {"promoters": 40.0, "passives": 20.0, "detractors": 40.0}
    assert measure_compute("nps_responses", filters=week, scope=Scope()).total == 5
    by_org = measure_compute("nps", filters=week, scope=Scope(), group=("organization",)).by_key()
    assert by_org == {
        (people["acme"].pk,): pytest.approx(100.0),
        (people["globex"].pk,): pytest.approx(-25.0),
    }


def test_dana_rates_her_solved_request_on_the_portal_page(
    solved_ticket, people, make_ticket, client
):
    page_url = reverse("portal:request_detail", args=[solved_ticket.number])
    client.force_login(people["dana"])
    page = client.get(page_url).content.decode()
    assert "How did we do?" in page and "Send rating" in page
    form_action = reverse("reporting:csat_portal", args=[solved_ticket.number])
    assert f'action="{form_action}"' in page
    response = client.post(form_action, {"rating": "0", "comment": "Slow.", "next": page_url})
    assert response.status_code == 302 and response["Location"] == page_url
    page = client.get(page_url).content.decode()
    assert "Change my rating" in page and "Slow." in page
    assert CsatSurvey.objects.get(ticket=solved_ticket).positive is False
    # Her open request asks nothing yet.
    open_one = make_ticket(subject="Still waiting")
    page = client.get(reverse("portal:request_detail", args=[open_one.number]))
    assert "How did we do?" not in page.content.decode()


def test_the_portal_prompt_never_sends_dana_to_another_site(solved_ticket, people, client):
    client.force_login(people["dana"])
    for elsewhere in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(
            reverse("reporting:csat_portal", args=[solved_ticket.number]),
            {"rating": "1", "next": elsewhere},
        )
        assert response.status_code == 302
        assert "evil" not in response["Location"]


def test_the_admins_reasons_are_the_ones_dana_can_pick(solved_ticket, client):
    survey_settings_save(csat_reasons=["Slow answer", "Not fixed"])
    survey = CsatSurvey.objects.get(ticket=solved_ticket)
    url = reverse("reporting:csat_answer", args=[csat_token(survey)])
    page = client.get(url).content.decode()
    assert '<option value="Slow answer">' in page and '<option value="Not fixed">' in page
    assert "It took too long" not in page  # the default list is gone
    refused = client.post(url, {"rating": "0", "reason": "It took too long"})
    assert refused.status_code == 400
    assert "What was the main reason?" in refused.content.decode()
    assert CsatSurvey.objects.get(pk=survey.pk).rating is None
    client.post(url, {"rating": "0", "reason": "Not fixed"})
    assert CsatSurvey.objects.get(pk=survey.pk).reason == "Not fixed"


def test_a_bad_rating_reopens_the_ticket_through_a_rule(
    solved_ticket, people, make_ticket, client, django_capture_on_commit_callbacks
):
    """The desk's rule "Bad rating: follow up" (Feedback received, rating not positive)
    reopens the ticket with a note for the team and tells the team lead (Sam, supervisor);
    a good rating on another ticket does none of it."""
    from frontdesk.automation.services import trigger_save
    from frontdesk.tickets.models import Message, MessageKind

    trigger_save(
        trigger=None,
        fields={
            "name": "Bad rating: follow up",
            "event": "feedback_received",
            "conditions": {"all": [{"field": "feedback.positive", "op": "eq", "value": False}]},
            "actions": [
                {"type": "set", "field": "status", "value": "open"},
                {"type": "note", "body": "Unhappy customer: please call back."},
                {"type": "notify", "to": "supervisors", "text": "Bad rating"},
            ],
            "active": True,
            "position": 0,
        },
    )
    happy = make_ticket(subject="Mouse", requester=people["erik"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(
            ticket=happy,
            actor=people["alice"],
            changes={"status": Status.objects.get(slug="solved")},
        )
    for ticket, rating in ((solved_ticket, "0"), (happy, "1")):
        survey = CsatSurvey.objects.get(ticket=ticket)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("reporting:csat_answer", args=[csat_token(survey)]), {"rating": rating}
            )
    solved_ticket.refresh_from_db()
    happy.refresh_from_db()
    assert solved_ticket.status.slug == "open"
    assert Message.objects.filter(
        ticket=solved_ticket, kind=MessageKind.NOTE, body_text__contains="please call back"
    ).exists()
    assert happy.status.slug == "solved"
    from frontdesk.notifications.models import Notification

    told = Notification.objects.filter(user=people["sam"], ticket__isnull=False)
    assert list(told.values_list("ticket_id", "title")) == [
        (solved_ticket.pk, f"#{solved_ticket.number}: Bad rating")
    ]

    # Erik changes his mind within the window: the changed (bad) answer reaches the rule.
    survey = CsatSurvey.objects.get(ticket=happy)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reporting:csat_answer", args=[csat_token(survey)]), {"rating": "0"})
    happy.refresh_from_db()
    assert happy.status.slug == "open"


def test_nps_asks_again_after_the_interval_if_served_within_it(
    solved_ticket, people, make_ticket, django_capture_on_commit_callbacks
):
    survey_settings_save(nps_enabled=True, nps_interval_days=90, nps_sample_percent=100)
    start = clock.now()
    assert nps_invite_due() == 1
    with time_machine.travel(start + timedelta(days=89), tick=False):
        assert nps_invite_due() == 0  # asked 89 days ago
    with time_machine.travel(start + timedelta(days=91), tick=False):
        assert nps_invite_due() == 0  # her last solved request is 91 days old
        ticket = make_ticket(subject="Toner")
        with django_capture_on_commit_callbacks(execute=True):
            ticket_update(
                ticket=ticket,
                actor=people["alice"],
                changes={"status": Status.objects.get(slug="solved")},
            )
        assert nps_invite_due() == 1
    assert NpsSurvey.objects.filter(contact=people["dana"]).count() == 2


def test_nps_asks_the_sampled_share_and_gets_past_those_left_out(people, make_ticket):
    """Twenty or more served customers, a 30 % sample: exactly the sampled ones are asked, even
    when each run may ask only one (the left-out ones do not block the queue)."""
    from frontdesk.core.testing.factories import UserFactory
    from frontdesk.reporting.surveys import nps_sampled

    solved = Status.objects.get(slug="solved")
    period = int(clock.now().timestamp() // (90 * 86400))
    # The sample depends on the ids the database hands out: twenty customers, more if
    # needed until the sample has taken some and left some out (20 ids in a row can all
    # fall outside a 30 % sample).
    customers: list = []
    while len(customers) < 20 or len({nps_sampled(c.pk, period, 30) for c in customers}) < 2:
        assert len(customers) < 200
        customers.append(UserFactory(email=f"customer{len(customers)}@example.net"))
    for customer in customers:
        ticket = make_ticket(requester=customer, subject="Access")
        ticket_update(ticket=ticket, actor=people["alice"], changes={"status": solved})
    survey_settings_save(nps_enabled=True, nps_interval_days=90, nps_sample_percent=30)
    expected = {c.pk for c in customers if nps_sampled(c.pk, period, 30)}
    assert 0 < len(expected) < len(customers)
    for _run in range(len(expected)):
        assert nps_invite_due(limit=1) == 1
    assert nps_invite_due(limit=1) == 0
    asked = set(NpsSurvey.objects.values_list("contact_id", flat=True))
    assert asked == expected
