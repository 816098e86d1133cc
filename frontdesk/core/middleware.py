"""Cross-cutting request handling: Content-Security-Policy, the user's language and zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
# The API docs page (drf-spectacular's Swagger UI) boots with an inline script.
RELAXED_CSP = DEFAULT_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def csp_relaxed(view: Callable) -> Callable:
    """Mark a view whose third-party page needs inline script (only the API docs)."""
    view.csp_relaxed = True  # type: ignore[attr-defined]
    return view


class ContentSecurityPolicyMiddleware:
    """Send a strict CSP on every response: scripts and styles only from our own origin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_relaxed = False
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = RELAXED_CSP if request.csp_relaxed else DEFAULT_CSP
            response["Content-Security-Policy"] = policy
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, *args: object) -> None:
        request.csp_relaxed = getattr(view_func, "csp_relaxed", False) or getattr(
            getattr(view_func, "cls", None), "csp_relaxed", False
        )


class UserPreferencesMiddleware:
    """A signed-in user's profile language and time zone win over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tzname = getattr(user, "timezone", "") if user and user.is_authenticated else ""
        if tzname:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tzname))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if not language:
            return self.get_response(request)
        previous = translation.get_language()
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            return self.get_response(request)
        finally:
            # The thread serves other requests and jobs next: leave its language as found.
            translation.activate(previous)
