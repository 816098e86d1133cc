"""Ticket list query parameters -> a filter, with errors that name the parameter.

The saved-view filter language (``tickets.queues.filters_clean``/``filters_q``) does the
work, so the API and the agent workspace filter the same way; this module adds the
checks that must happen before a value reaches the database, and the date filters.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from frontdesk.accounts.models import User
from frontdesk.tickets.models import Channel, Priority, StatusCategory, Ticket, TicketType
from frontdesk.tickets.queues import NULLABLE_SORT_FIELDS, SORTS, filters_clean, filters_q

_ID_RE = re.compile(r"^[0-9]{1,18}$")
LIST_KEYS = ("status_category", "priority", "ticket_type", "channel")
SINGLE_KEYS = ("assignee", "team", "requester", "organization", "tag")
DATE_KEYS = {"updated_after": "updated_at__gte", "created_after": "created_at__gte"}


def _values(params: QueryDict, key: str) -> list[str]:
    """``?k=a,b`` and ``?k=a&k=b`` both mean a or b."""
    return [part.strip() for raw in params.getlist(key) for part in raw.split(",") if part.strip()]


def _datetime(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed)
        except (ValueError, OverflowError):
            return None
    return parsed


def ticket_filter_q(params: QueryDict, *, user: User) -> Q:
    """The filter the query parameters ask for; ValidationError keyed by parameter."""
    raw: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for key in LIST_KEYS:
        values = _values(params, key)
        if values:
            raw[key] = values
    for key in SINGLE_KEYS:
        value = params.get(key, "").strip()
        if not value:
            continue
        allowed_words = {"assignee": ("me", "none"), "team": ("mine",)}.get(key, ())
        if key != "tag" and value not in allowed_words and not _ID_RE.match(value):
            errors[key] = [
                _("Use an id.")
                if not allowed_words
                else _("Use %(words)s or an id.") % {"words": ", ".join(allowed_words)}
            ]
            continue
        raw[key] = value[:60] if key == "tag" else value
    # Unknown slugs are a mistake worth telling about, not an empty list.
    for key, model in (("priority", Priority), ("ticket_type", TicketType)):
        if key in raw:
            wanted = set(raw[key])  # type: ignore[arg-type]
            known = set(model.objects.filter(slug__in=wanted).values_list("slug", flat=True))
            if wanted - known:
                errors[key] = [_("Unknown value: %(v)s") % {"v": ", ".join(sorted(wanted - known))}]
    q = Q()
    for key, lookup in DATE_KEYS.items():
        value = params.get(key, "").strip()
        if value:
            parsed = _datetime(value)
            if parsed is None:
                errors[key] = [_("Use an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z.")]
            else:
                q &= Q(**{lookup: parsed})
    try:
        clean = filters_clean(raw)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = {}
    if errors:
        raise ValidationError(errors)
    return q & filters_q(clean, user=user)


def sort_ordering(sort: str) -> tuple[str, ...]:
    """A ``queues.SORTS`` key as the ordering tuple the cursor pagination uses."""
    if sort not in SORTS:
        raise ValidationError({"sort": [_("Use one of: %(s)s") % {"s": ", ".join(SORTS)}]})
    return tuple(("-" if descending else "") + name for name, descending in SORTS[sort])


def sort_queryset(queryset: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    """Rows the sort can page through: a cursor cannot stand on a NULL, so sorting by a
    column that may be empty (``sla_due_at``) lists only the tickets that have a value."""
    for name, _descending in SORTS.get(sort, ()):
        if name in NULLABLE_SORT_FIELDS:
            queryset = queryset.filter(**{f"{name}__isnull": False})
    return queryset


TICKET_LIST_PARAMETERS = [
    OpenApiParameter(
        "q", str, description="Full-text search; returns the best matches, ranked, in one page."
    ),
    OpenApiParameter(
        "status_category",
        str,
        many=True,
        explode=False,
        enum=StatusCategory.values,
        description="Comma-separated.",
    ),
    OpenApiParameter("assignee", str, description='An agent id, "me" or "none".'),
    OpenApiParameter("team", str, description='A team id or "mine".'),
    OpenApiParameter("requester", int),
    OpenApiParameter("organization", int),
    OpenApiParameter(
        "ticket_type", str, many=True, explode=False, description="Type slugs, comma-separated."
    ),
    OpenApiParameter(
        "priority", str, many=True, explode=False, description="Priority slugs, comma-separated."
    ),
    OpenApiParameter("channel", str, many=True, explode=False, enum=Channel.values),
    OpenApiParameter("tag", str),
    OpenApiParameter("updated_after", datetime),
    OpenApiParameter("created_after", datetime),
    OpenApiParameter("sort", str, enum=list(SORTS), description="Default: newest first."),
]
