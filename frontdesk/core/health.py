"""Health checks other apps add to ``/healthz`` without core importing them.

An app registers ``register("mail", fn)`` from ``AppConfig.ready``; ``fn()`` returns a
JSON-able dict with at least ``"ok": bool`` (e.g. dead letters, each mailbox's last poll).
A check that raises is reported as failed, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[], dict[str, Any]]

_checks: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    _checks[name] = check


def run_all() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in sorted(_checks.items()):
        try:
            results[name] = dict(check())
        except Exception as exc:  # noqa: BLE001 - the health check reports, never raises
            results[name] = {"ok": False, "error": exc.__class__.__name__}
        results[name].setdefault("ok", True)
    return results
