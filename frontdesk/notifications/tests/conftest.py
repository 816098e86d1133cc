"""Helpers: outbox reactions run as they would after a real commit."""

from __future__ import annotations

import pytest
from django.db import connection


def commits_run() -> None:
    """Run the on-commit callbacks the test's outer transaction holds back (and the ones
    they add), as a real commit would: the outbox entries become jobs (Huey is immediate)."""
    while connection.run_on_commit:
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in callbacks:
            func()


@pytest.fixture(autouse=True)
def _rules_cache_cleared():
    """Rules are cached per process; a rolled-back test must not leave its rules behind."""
    from frontdesk.automation.engine import rules_forget

    rules_forget()
    yield
    rules_forget()


@pytest.fixture
def settle():
    return commits_run


@pytest.fixture
def make_ticket(make_ticket):
    def make(*args, **kwargs):
        ticket = make_ticket(*args, **kwargs)
        commits_run()
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture(autouse=True)
def _bell_cache_cleared():
    """The bell's count is cached per process; a rolled-back test must not leave it behind
    (SQLite gives the next test's people the same ids)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
