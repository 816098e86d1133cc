"""Cursor pages for every API list: stable under inserts, and a bad cursor is a 400."""

from __future__ import annotations

import re
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

# Ids and ticket numbers fit a signed 64-bit column; longer digit runs would overflow it.
_INTEGER_RE = re.compile(r"^-?[0-9]{1,18}$")
_INTEGER_FIELDS = frozenset({"id", "pk", "number", "position", "rank"})


class DefaultCursorPagination(CursorPagination):
    """Stable pages over changing data; ``page_size`` up to 100.

    A view may choose its order per request with a ``cursor_ordering`` attribute or method
    (tickets sort by ``-updated_at`` and friends); the default is newest first.
    """

    ordering: Any = "-id"
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", None)
        if callable(ordering):
            ordering = ordering()
        if ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise self._invalid() from exc
        if cursor is not None and cursor.position is not None:
            # The position goes straight into a WHERE clause: check it matches the column
            # type here, or a forged cursor becomes a database error (a 500) instead of a 400.
            field = self.ordering[0].lstrip("-")
            if field in _INTEGER_FIELDS:
                valid = bool(_INTEGER_RE.match(cursor.position))
            elif field.endswith("_at"):
                try:
                    valid = parse_datetime(cursor.position) is not None
                except ValueError:
                    valid = False
            else:
                valid = len(cursor.position) <= 250
            if not valid:
                raise self._invalid()
        return cursor

    def _invalid(self) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            {self.cursor_query_param: [_("This page link is not valid.")]}
        )


class ChronologicalCursorPagination(DefaultCursorPagination):
    """Conversations and event logs read oldest first."""

    ordering = ("created_at", "id")
    page_size = 50


class ByNameCursorPagination(DefaultCursorPagination):
    ordering = "name"
    page_size = 100
