"""Ticket lists for the agent workspace: saved-view filters, sort orders, keyset pages.

Filters are data (``SavedView.filters``) turned into a ``Q`` by pure code here. Pages use
keyset pagination on (sort column, id), so page 500 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from frontdesk.accounts.models import User
from frontdesk.core import clock
from frontdesk.tickets.models import OPEN_CATEGORIES, Channel, SavedView, StatusCategory, Ticket
from frontdesk.tickets.selectors import team_ids_of, ticket_list_for

# sort key -> ordered (field, descending) pairs; the last pair makes the order total.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "-updated_at": (("updated_at", True), ("id", True)),
    "updated_at": (("updated_at", False), ("id", False)),
    "-created_at": (("created_at", True), ("id", True)),
    "created_at": (("created_at", False), ("id", False)),
    "-number": (("number", True),),
    "number": (("number", False),),
    # Next SLA target due first (overdue at the top); tickets without a running target last.
    "sla_due_at": (("sla_due_at", False), ("id", False)),
}
# Sort columns that may be NULL. A NULL sorts after every value in ascending order (before
# them in descending order), on both databases, and the keyset cursor carries it as null.
NULLABLE_SORT_FIELDS = frozenset({"sla_due_at"})

LIST_FILTER_KEYS = ("status_category", "priority", "ticket_type", "channel")


def filters_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check a filter dict from a form, the API or a saved view; errors name the field."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        if value in (None, "", []):
            continue
        if key == "assignee":
            if value in ("me", "none") or str(value).isdigit():
                clean[key] = value if value in ("me", "none") else int(value)
            else:
                errors[key] = [_("Use me, none or an agent id.")]
        elif key == "team":
            if value == "mine" or str(value).isdigit():
                clean[key] = value if value == "mine" else int(value)
            else:
                errors[key] = [_("Use mine or a team id.")]
        elif key in LIST_FILTER_KEYS:
            values = [value] if isinstance(value, str) else list(value)
            if key == "status_category":
                bad = [v for v in values if v not in StatusCategory.values]
            elif key == "channel":
                bad = [v for v in values if v not in Channel.values]
            else:
                bad = []
            if bad:
                errors[key] = [_("Unknown value: %(v)s") % {"v": ", ".join(map(str, bad))}]
            else:
                clean[key] = [str(v) for v in values]
        elif key in ("organization", "requester"):
            if str(value).isdigit():
                clean[key] = int(value)
            else:
                errors[key] = [_("Use an id.")]
        elif key == "updated_within_days":
            if str(value).isdigit():
                clean[key] = int(value)
            else:
                errors[key] = [_("Use a number of days.")]
        elif key == "tag":
            clean[key] = str(value).strip().lower()
        elif key == "sla_due_within":
            # Minutes: the next SLA target is due within this long, or already overdue.
            if str(value).isdigit():
                clean[key] = int(value)
            else:
                errors[key] = [_("Use a number of minutes.")]
        else:
            errors[key] = [_("Unknown filter.")]
    if errors:
        raise ValidationError(errors)
    return clean


def filters_q(filters: Mapping[str, Any], *, user: User) -> Q:
    """Turn clean filters into a query for this viewer ("me", "mine" resolve to them)."""
    q = Q()
    assignee = filters.get("assignee")
    if assignee == "me":
        q &= Q(assignee_id=user.pk)
    elif assignee == "none":
        q &= Q(assignee__isnull=True)
    elif assignee is not None:
        q &= Q(assignee_id=assignee)
    team = filters.get("team")
    if team == "mine":
        # Tickets no team owns yet are everyone's intake: they show in every agent's teams.
        q &= Q(team_id__in=team_ids_of(user)) | Q(team__isnull=True)
    elif team is not None:
        q &= Q(team_id=team)
    if filters.get("status_category"):
        categories = filters["status_category"]
        q &= (
            Q(status_category=categories[0])
            if len(categories) == 1
            else Q(status_category__in=categories)
        )
    if filters.get("priority"):
        q &= Q(priority__slug__in=filters["priority"])
    if filters.get("ticket_type"):
        q &= Q(ticket_type__slug__in=filters["ticket_type"])
    if filters.get("channel"):
        q &= Q(channel__in=filters["channel"])
    if filters.get("organization"):
        q &= Q(organization_id=filters["organization"])
    if filters.get("requester"):
        q &= Q(requester_id=filters["requester"])
    if filters.get("tag"):
        q &= Q(tags__name=filters["tag"])
    if filters.get("updated_within_days"):
        q &= Q(updated_at__gte=clock.now() - timedelta(days=filters["updated_within_days"]))
    if filters.get("sla_due_within") is not None:
        q &= Q(sla_due_at__lte=clock.now() + timedelta(minutes=filters["sla_due_within"]))
    return q


def view_queryset(
    view: SavedView | None, *, user: User, extra: Mapping[str, Any] | None = None
) -> QuerySet[Ticket]:
    filters = dict(view.filters) if view else {}
    filters.update(extra or {})
    return ticket_list_for(user).filter(filters_q(filters, user=user))


def views_for(user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(Q(owner__isnull=True) | Q(owner=user)).order_by(
        "owner_id", "position", "pk"
    )


def _open_only(filters: Mapping[str, Any]) -> bool:
    categories = filters.get("status_category") or []
    return bool(categories) and set(categories) <= {str(c) for c in OPEN_CATEGORIES}


def _counted_together(filters: Mapping[str, Any]) -> bool:
    # An SLA filter reads a column outside the open-tickets index and would turn the shared
    # index-only pass into a heap scan; such a view gets its own range scan on the SLA index.
    return _open_only(filters) and "sla_due_within" not in filters


def view_counts(views: list[SavedView], *, user: User) -> dict[int, int]:
    """Live counts for the sidebar.

    Views over open tickets (most of them) are counted together in one pass over the
    partial index of open tickets, with one ``COUNT(*) FILTER (...)`` per view; any other
    view gets its own indexed count.
    """
    counts: dict[int, int] = {}
    together = [v for v in views if _counted_together(v.filters)]
    if together:
        base = ticket_list_for(user).filter(status_category__in=OPEN_CATEGORIES)
        totals = base.aggregate(
            # Counting a non-null column of the partial index keeps it an index-only scan.
            **{
                f"v{v.pk}": Count("status_category", filter=filters_q(v.filters, user=user))
                for v in together
            }
        )
        counts.update({v.pk: totals[f"v{v.pk}"] for v in together})
    for view in views:
        if view.pk not in counts:
            counts[view.pk] = view_queryset(view, user=user).count()
    return counts


def view_neighbours(
    view: SavedView, *, ticket: Ticket, user: User
) -> tuple[int | None, int | None]:
    """Numbers of the tickets just before and just after ``ticket`` in the view's order."""
    queryset = view_queryset(view, user=user)
    fields = SORTS.get(view.sort) or SORTS["-updated_at"]
    values = [getattr(ticket, name) for name, _desc in fields]
    following = (
        queryset.filter(after_q(fields, values, reverse=False))
        .order_by(*order_by(fields))
        .values_list("number", flat=True)
        .first()
    )
    previous = (
        queryset.filter(after_q(fields, values, reverse=True))
        .order_by(*order_by(fields, reverse=True))
        .values_list("number", flat=True)
        .first()
    )
    return previous, following


@dataclass
class Page:
    rows: list[Ticket]
    next_cursor: str | None
    prev_cursor: str | None


def _cursor_encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def _cursor_decode(cursor: str, fields: tuple[tuple[str, bool], ...]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeError) as exc:
        raise ValidationError({"cursor": [_("This page link is not valid.")]}) from exc
    if not isinstance(values, list) or len(values) != len(fields):
        raise ValidationError({"cursor": [_("This page link is not valid.")]})
    decoded = []
    for (name, _desc), value in zip(fields, values, strict=True):
        if value is None and name in NULLABLE_SORT_FIELDS:
            decoded.append(None)
        elif name.endswith("_at"):
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise ValidationError({"cursor": [_("This page link is not valid.")]})
            decoded.append(parsed)
        elif isinstance(value, int):
            decoded.append(value)
        else:
            raise ValidationError({"cursor": [_("This page link is not valid.")]})
    return decoded


def order_by(fields: tuple[tuple[str, bool], ...], *, reverse: bool = False) -> list[Any]:
    """``order_by`` arguments for a sort (read backwards when ``reverse``)."""
    out: list[Any] = []
    for name, descending in fields:
        down = descending != reverse
        if name in NULLABLE_SORT_FIELDS:
            out.append(
                OrderBy(F(name), descending=True, nulls_first=True)
                if down
                else OrderBy(F(name), nulls_last=True)
            )
        else:
            out.append(("-" if down else "") + name)
    return out


def _beyond(name: str, value: Any, going_down: bool) -> Q | None:
    """Rows whose ``name`` comes strictly after ``value`` (NULL counts as the largest)."""
    nullable = name in NULLABLE_SORT_FIELDS
    if value is None:
        return Q(**{f"{name}__isnull": False}) if going_down else None
    if going_down:
        return Q(**{f"{name}__lt": value})
    step = Q(**{f"{name}__gt": value})
    return step | Q(**{f"{name}__isnull": True}) if nullable else step


def after_q(fields: tuple[tuple[str, bool], ...], values: list[Any], *, reverse: bool) -> Q:
    """Rows strictly after ``values`` in the sort order (before it when ``reverse``)."""
    q = Q()
    for i, (name, descending) in enumerate(fields):
        step = _beyond(name, values[i], descending != reverse)
        if step is None:
            continue
        for j in range(i):
            prior, value = fields[j][0], values[j]
            step &= Q(**{f"{prior}__isnull": True}) if value is None else Q(**{prior: value})
        q |= step
    return q


def keyset_page(
    queryset: QuerySet[Ticket], *, sort: str, cursor: str | None, before: bool, size: int = 50
) -> Page:
    """One page of ``queryset`` in ``sort`` order, after (or ``before``) the cursor row."""
    fields = SORTS.get(sort) or SORTS["-updated_at"]
    order = order_by(fields)
    if cursor:
        values = _cursor_decode(cursor, fields)
        queryset = queryset.filter(after_q(fields, values, reverse=before))
    if before:
        rows = list(queryset.order_by(*order_by(fields, reverse=True))[: size + 1])
        has_more = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next, has_prev = True, has_more
    else:
        rows = list(queryset.order_by(*order)[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        has_next, has_prev = has_more, bool(cursor)

    def key(row: Ticket) -> str:
        return _cursor_encode([getattr(row, name) for name, _d in fields])

    return Page(
        rows=rows,
        next_cursor=key(rows[-1]) if rows and has_next else None,
        prev_cursor=key(rows[0]) if rows and has_prev else None,
    )
