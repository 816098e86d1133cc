"""The SLA configuration as plain values, cached per process.

Policies, targets and calendars change rarely and are read on every recompute, so they are
loaded once into immutable values and reused until the configuration version (a core
counter bumped by every configuration save) moves. Checking the version is one tiny
query. Ticket lists need only calendars, for which a short time-to-live is enough: they
never query per row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from frontdesk.core.models import Counter
from frontdesk.core.services import counter_next
from frontdesk.sla.clock import ALWAYS, Calendar
from frontdesk.sla.compute import TargetSpec

VERSION_COUNTER = "sla_config"
CALENDAR_TTL_SECONDS = 60.0
CONDITION_FIELDS = (
    "priority",
    "ticket_type",
    "organization",
    "requester_group",
    "team",
    "channel",
    "tag",
)


@dataclass(frozen=True)
class PolicySpec:
    id: int
    name: str
    calendar_id: int
    calendar: Calendar
    pause_categories: frozenset[str]
    warning_percent: int
    conditions: tuple[tuple[str, frozenset[Any]], ...]
    # priority id -> target kind -> spec
    targets: Mapping[int, Mapping[str, TargetSpec]]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """All conditions hold. ``tag`` and ``requester_group`` facts are sets (any)."""
        for name, values in self.conditions:
            fact = facts.get(name)
            if isinstance(fact, set | frozenset):
                if not fact & values:
                    return False
            elif fact not in values:
                return False
        return True


@dataclass(frozen=True)
class SlaConfig:
    version: int | None
    policies: tuple[PolicySpec, ...]
    calendars: Mapping[int, Calendar]
    status_categories: Mapping[str, str]  # status slug -> category
    priority_slugs: Mapping[int, str]
    type_slugs: Mapping[int, str]
    needs: frozenset[str] = field(default=frozenset())  # facts that need a query

    def policy_for(self, facts: Mapping[str, Any]) -> PolicySpec | None:
        return next((p for p in self.policies if p.matches(facts)), None)


_lock = threading.Lock()
_cached: SlaConfig | None = None
_calendars: tuple[float, dict[int, Calendar]] | None = None


def calendar_build(row: Any, holidays: list[Any]) -> Calendar:
    """A pure ``Calendar`` from a ``BusinessCalendar`` row and its holiday rows."""
    if row.always_open:
        return ALWAYS
    return Calendar.from_spec(
        tz=row.time_zone,
        weekly=row.weekly or {},
        holidays=[h.date for h in holidays if not h.yearly],
        yearly=[(h.date.month, h.date.day) for h in holidays if h.yearly],
        country=row.country,
        subdivision=row.subdivision,
        categories=[c.strip() for c in (row.holiday_categories or "").split(",") if c.strip()],
    )


def _calendars_load() -> dict[int, Calendar]:
    from frontdesk.sla.models import BusinessCalendar, CalendarHoliday

    holidays: dict[int, list[Any]] = {}
    for holiday in CalendarHoliday.objects.all():
        holidays.setdefault(holiday.calendar_id, []).append(holiday)
    result = {}
    for row in BusinessCalendar.objects.all():
        try:
            result[row.pk] = calendar_build(row, holidays.get(row.pk, []))
        except ValueError:
            # A calendar saved without hours cannot count business time; count wall time
            # rather than failing every ticket (the settings form refuses such calendars).
            result[row.pk] = ALWAYS
    return result


def _load(version: int | None) -> SlaConfig:
    from frontdesk.sla.models import SlaPolicy, SlaTarget
    from frontdesk.tickets.models import Priority, Status, TicketType

    calendars = _calendars_load()
    targets: dict[int, dict[int, dict[str, TargetSpec]]] = {}
    for target in SlaTarget.objects.all():
        targets.setdefault(target.policy_id, {}).setdefault(target.priority_id, {})[target.kind] = (
            TargetSpec(kind=target.kind, minutes=target.minutes, business=target.business_hours)
        )
    policies = []
    needs: set[str] = set()
    for policy in SlaPolicy.objects.filter(active=True).order_by("position", "pk"):
        conditions = []
        for condition in policy.conditions or []:
            name = condition.get("field")
            values = condition.get("values") or []
            if name not in CONDITION_FIELDS or not values:
                continue
            if name in ("organization", "team"):
                values = [int(v) for v in values if str(v).isdigit()]
            conditions.append((name, frozenset(values)))
            if name in ("tag", "requester_group"):
                needs.add(name)
        policies.append(
            PolicySpec(
                id=policy.pk,
                name=policy.name,
                calendar_id=policy.calendar_id,
                calendar=calendars.get(policy.calendar_id, ALWAYS),
                pause_categories=frozenset(policy.pause_categories or []),
                warning_percent=policy.warning_percent,
                conditions=tuple(conditions),
                targets=targets.get(policy.pk, {}),
            )
        )
    return SlaConfig(
        version=version,
        policies=tuple(policies),
        calendars=calendars,
        status_categories=_status_categories(Status),
        priority_slugs=dict(Priority.objects.values_list("pk", "slug")),
        type_slugs=dict(TicketType.objects.values_list("pk", "slug")),
        needs=frozenset(needs),
    )


def _status_categories(status_model: Any) -> dict[str, str]:
    """Status slug (and, for bulk-loaded history that wrote names, lower-cased name) ->
    category."""
    mapping: dict[str, str] = {}
    for slug, name, category in status_model.objects.values_list("slug", "name", "category"):
        mapping[slug] = category
        mapping.setdefault(name.lower(), category)
    return mapping


def config_version() -> int | None:
    return Counter.objects.filter(name=VERSION_COUNTER).values_list("value", flat=True).first()


def config_current(*, refresh: bool = False) -> SlaConfig:
    """The configuration, reloaded when the version moved (or a status slug is unknown)."""
    return config_for_version(config_version(), refresh=refresh)


def config_for_version(version: int | None, *, refresh: bool = False) -> SlaConfig:
    """The configuration for a version the caller read (e.g. in the same query as a row)."""
    global _cached, _calendars
    cached = _cached
    if cached is not None and cached.version == version and not refresh:
        return cached
    loaded = _load(version)
    with _lock:
        _cached = loaded
        _calendars = (time.monotonic(), dict(loaded.calendars))
    return loaded


def config_changed() -> int:
    """Call inside every configuration save: other processes reload on their next read.

    Returns the new version."""
    global _cached, _calendars
    version = counter_next(name=VERSION_COUNTER)
    with _lock:
        _cached = None
        _calendars = None
    return version


def calendar_cached(calendar_id: int | None) -> Calendar:
    """A calendar for display (ticket lists): no query while the cache is fresh."""
    global _calendars
    if calendar_id is None:
        return ALWAYS
    cached = _calendars
    if (
        cached is None
        or time.monotonic() - cached[0] > CALENDAR_TTL_SECONDS
        or calendar_id not in cached[1]
    ):
        loaded = _calendars_load()
        with _lock:
            _calendars = cached = (time.monotonic(), loaded)
    return cached[1].get(calendar_id, ALWAYS)
