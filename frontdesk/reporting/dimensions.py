"""What a report can be grouped and filtered by, and how each value is shown to people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontdesk.accounts.models import Team, User
from frontdesk.customers.models import Organization
from frontdesk.tickets.models import Channel, Priority, Tag, TicketType

TIME_DIMENSIONS = ("day", "week", "month")


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any
    # The ticket column (attname) it reads; time dimensions read the measure's anchor.
    column: str | None


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("day", gettext_lazy("Day"), None),
        Dimension("week", gettext_lazy("Week"), None),
        Dimension("month", gettext_lazy("Month"), None),
        Dimension("team", gettext_lazy("Team"), "team_id"),
        Dimension("channel", gettext_lazy("Channel"), "channel"),
        Dimension("ticket_type", gettext_lazy("Type"), "ticket_type_id"),
        Dimension("priority", gettext_lazy("Priority"), "priority_id"),
        Dimension("organization", gettext_lazy("Organization"), "organization_id"),
        Dimension("assignee", gettext_lazy("Assignee"), "assignee_id"),
        Dimension("tag", gettext_lazy("Tag"), "tags__id"),
        Dimension("target", gettext_lazy("SLA target"), None),
    )
}
# Dimensions a report may also be filtered by (a value each).
FILTER_DIMENSIONS = (
    "team",
    "channel",
    "ticket_type",
    "priority",
    "organization",
    "assignee",
    "tag",
)


def _names(model: type, ids: Iterable[Any], attr: str) -> dict[Any, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {obj.pk: str(getattr(obj, attr)) for obj in model.objects.filter(pk__in=wanted)}


def dimension_labels(key: str, values: Iterable[Any]) -> dict[Any, str]:
    """Display text for each value of one dimension (one query at most)."""
    values = list(values)
    if key == "day":
        return {v: v.isoformat() if isinstance(v, date) else str(v) for v in values}
    if key == "week":
        return {
            v: (
                f"{v.isocalendar()[0]}-W{v.isocalendar()[1]:02d}" if isinstance(v, date) else str(v)
            )
            for v in values
        }
    if key == "month":
        return {v: v.strftime("%Y-%m") if isinstance(v, date) else str(v) for v in values}
    if key == "target":
        names = {"first_response": _("First response"), "resolution": _("Resolution")}
        return {v: str(names.get(v, v)) for v in values}
    if key == "channel":
        labels = dict(Channel.choices)
        return {v: str(labels.get(v, v)) for v in values}
    found: dict[Any, str]
    missing = {
        "team": _("No team"),
        "organization": _("No organization"),
        "assignee": _("Unassigned"),
        "ticket_type": _("No type"),
        "priority": _("No priority"),
        "tag": _("No tag"),
    }
    if key == "team":
        found = _names(Team, values, "name")
    elif key == "organization":
        found = _names(Organization, values, "name")
    elif key == "assignee":
        found = _names(User, values, "display_name")
    elif key == "ticket_type":
        found = _names(TicketType, values, "label")
    elif key == "priority":
        found = _names(Priority, values, "label")
    elif key == "tag":
        found = _names(Tag, values, "name")
    else:
        found = {}
    return {v: found.get(v, missing.get(key, "—") if v is None else str(v)) for v in values}
