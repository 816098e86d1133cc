"""The OpenAPI document and its Swagger UI page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny, IsAuthenticated


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Token <key>`` (``Bearer`` works too)."""

    target_class = "frontdesk.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create a key with "
            "`python manage.py create_api_token --email EMAIL`.",
        }


class SchemaView(SpectacularAPIView):
    # The schema describes routes, never data; clients and fuzzers fetch it unauthenticated.
    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerView):
    """Swagger UI from the bundled sidecar assets (no CDN)."""

    permission_classes = [IsAuthenticated]
    # Swagger UI boots with an inline script; the CSP middleware relaxes for this view only.
    csp_relaxed = True
