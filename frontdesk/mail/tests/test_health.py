"""/healthz tells a monitor how mail is doing, and tells the public nothing more."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse

from frontdesk.core import clock
from frontdesk.mail import pipeline
from frontdesk.mail.models import Mailbox
from frontdesk.mail.tests.conftest import mail_build


def _mail_check(client) -> tuple[int, dict]:
    response = client.get(reverse("healthz"))
    return response.status_code, response.json()["checks"]["mail"]


@time_machine.travel("2026-05-04 10:00:00+00:00", tick=False)
def test_healthz_reports_dead_letters_and_each_mailboxs_last_poll(client, people, deliver):
    broken = Mailbox(
        address="sales@example.com",
        imap_host="imap.example.com",
        username="sales",
        last_poll_at=clock.now() - timedelta(seconds=90),
        last_error="LoginError: password for sales@example.com rejected by imap.example.com",
    )
    broken.save()

    def bug(point: str) -> None:
        if point == "parsed":
            raise RuntimeError("parser bug 42")

    pipeline.fault_hook = bug
    try:
        deliver(mail_build(subject="Blocked"))
    finally:
        pipeline.fault_hook = None

    status, mail = _mail_check(client)

    assert status == 200
    assert mail["ok"] is True
    assert mail["mail_dead_letters"] == 1
    assert mail["mailboxes"] == [{"id": broken.pk, "ok": False, "last_poll_age_s": 90}]
    text = str(mail)
    for secret in ("sales@", "imap.example.com", "LoginError", "rejected", "parser bug"):
        assert secret not in text


def test_healthz_fails_when_no_mailbox_has_been_polled_for_ten_intervals(client, people, settings):
    settings.MAIL_POLL_SECONDS = 60
    with time_machine.travel("2026-05-04 10:00:00+00:00", tick=False):
        Mailbox(
            address="support@example.com",
            imap_host="imap.example.com",
            username="support",
            last_poll_at=clock.now() - timedelta(minutes=11),
        ).save()

        status, mail = _mail_check(client)

    assert status == 503
    assert mail["ok"] is False
    assert mail["mailboxes"][0]["last_poll_age_s"] == 660
