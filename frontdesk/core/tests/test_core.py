"""Health, tokens, the outbox: the plumbing people rely on without seeing it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from frontdesk.accounts.models import ApiToken
from frontdesk.accounts.services import token_digest
from frontdesk.core.events import subscribe
from frontdesk.core.models import OutboxEntry
from frontdesk.core.services import counter_next, outbox_add
from frontdesk.core.tasks import outbox_process, outbox_sweep

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_jobs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["checks"]["database"]["ok"] is True
    assert "pending" in data["checks"]["jobs"]
    assert data["checks"]["outbox"]["pending"] == 0


def test_healthz_includes_app_checks_and_reports_a_failing_one(client, monkeypatch):
    from frontdesk.core import health

    monkeypatch.setattr(health, "_checks", dict(health._checks))
    health.register("widgets", lambda: {"ok": True, "count": 3})
    health.register("broken", lambda: 1 / 0)
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["widgets"] == {"ok": True, "count": 3}
    assert checks["broken"] == {"ok": False, "error": "ZeroDivisionError"}


def test_create_api_token_prints_key_and_stores_only_its_digest(people):
    out = StringIO()
    call_command("create_api_token", "--email", "alice@example.com", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("fd_")
    token = ApiToken.objects.get(user=people["alice"])
    assert token.digest == token_digest(key)
    assert key not in (token.digest, token.prefix)


def test_create_api_token_for_unknown_email_fails_clearly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user with email"):
        call_command("create_api_token", "--email", "nobody@example.com")


def test_counter_gives_distinct_increasing_values(db):
    assert [counter_next(name="x") for _ in range(3)] == [1, 2, 3]


def test_outbox_entry_runs_handlers_once_and_sweeper_retries_unfinished(db):
    calls = []
    subscribe("test.topic", lambda payload: calls.append(payload["n"]))
    entry = OutboxEntry.objects.create(topic="test.topic", payload={"n": 1})
    # Written but never run (a worker died): the sweeper picks it up after the grace period.
    with time_machine.travel(entry.created_at + timedelta(minutes=5)):
        assert outbox_sweep.call_local() == 1
    outbox_process.call_local(entry.pk)
    outbox_process.call_local(entry.pk)  # a duplicate job is a no-op
    assert calls == [1]
    entry.refresh_from_db()
    assert entry.done_at is not None


def test_outbox_add_enqueues_after_commit(db, django_capture_on_commit_callbacks):
    calls = []
    subscribe("test.commit", lambda payload: calls.append(payload))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox_add(topic="test.commit", payload={"ok": True})
        assert calls == []
    for callback in callbacks:
        callback()
    assert calls == [{"ok": True}]


def test_swedish_request_does_not_leave_its_language_on_the_thread(client, people):
    from django.utils.translation import get_language

    client.force_login(people["erik"])
    response = client.get("/portal/")
    assert b'<html lang="sv">' in response.content
    assert get_language() == "en"
