"""Entry points that belong to no app: the home redirect and the health check."""

from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

from frontdesk.core import health
from frontdesk.core.models import OutboxEntry


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.user.is_agent:
        return redirect("desk:home")
    return redirect("portal:home")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Machine-readable state of each dependency; 503 when something is down."""
    checks: dict[str, dict[str, object]] = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {
            "ok": True,
            "vendor": connection.vendor,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    except Exception as exc:  # noqa: BLE001 - the health check reports, never raises
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        pending_jobs = HUEY.pending_count()
        checks["jobs"] = {"ok": True, "backend": type(HUEY).__name__, "pending": pending_jobs}
    except Exception as exc:  # noqa: BLE001
        checks["jobs"] = {
            "ok": False,
            "backend": type(HUEY).__name__,
            "error": exc.__class__.__name__,
        }
    if checks["database"]["ok"]:
        checks["outbox"] = {
            "ok": True,
            "pending": OutboxEntry.objects.filter(done_at__isnull=True).count(),
        }
    if checks["database"]["ok"]:
        # Channels and other apps (mail: dead letters, each mailbox's last poll).
        checks.update(health.run_all())
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503
    )
