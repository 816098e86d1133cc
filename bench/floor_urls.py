"""Bare routes for the floor measurement (see floor_settings.py), beside all of Frontdesk's.

- ``bench-floor/noop/``: a plain Django view behind the full middleware stack.
- ``bench-floor/api-noop/``: a DRF view with Frontdesk's authentication (a personal token)
  that parses a JSON body and answers 201 with a small JSON body, writing nothing.
- ``bench-floor/api-insert/``: the same plus one INSERT of the subject and body into a
  scratch table (``bench_floor_row``), committed durably: the least an API create can do.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

TABLE = "bench_floor_row"


def noop(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


class ApiNoop(APIView):
    def post(self, request: Request) -> Response:
        return Response({"subject": request.data.get("subject", "")}, status=201)


class ApiInsert(APIView):
    def post(self, request: Request) -> Response:
        data = request.data
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (subject, body) VALUES (%s, %s) RETURNING id",  # noqa: S608
                [data["subject"], data["body"]],
            )
            row_id = cursor.fetchone()[0]
        return Response({"id": row_id, "subject": data["subject"]}, status=201)


urlpatterns = [
    path("", include("config.urls")),
    path("bench-floor/noop/", noop),
    path("bench-floor/api-noop/", ApiNoop.as_view()),
    path("bench-floor/api-insert/", ApiInsert.as_view()),
]
