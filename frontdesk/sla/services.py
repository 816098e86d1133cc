"""Every SLA write: recompute a ticket's targets, scan for due alarms, save configuration.

The ticket columns ``sla_*`` belong to these services. They are written with a queryset
``update()`` (no version bump: an SLA recompute is not an edit a person made, and must
not make an agent's open form stale).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from frontdesk.core import clock
from frontdesk.core.models import OutboxEntry
from frontdesk.sla.clock import US, WEEKDAYS, format_intervals, from_us, parse_intervals, to_us
from frontdesk.sla.compute import (
    CUSTOMER,
    FIRST_RESPONSE,
    REPLY,
    REQUEST,
    RESOLUTION,
    running_from_json,
    scan_ticket,
    targets_json,
    ticket_sla,
)
from frontdesk.sla.config import (
    CONDITION_FIELDS,
    PolicySpec,
    SlaConfig,
    config_changed,
    config_current,
)
from frontdesk.sla.defaults import builtin_install
from frontdesk.sla.models import (
    DEFAULT_PAUSE_CATEGORIES,
    BusinessCalendar,
    CalendarHoliday,
    EscalationRule,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    TargetKind,
    TicketSla,
    Trigger,
)
from frontdesk.tickets.models import (
    DONE_CATEGORIES,
    OPEN_CATEGORIES,
    EventKind,
    Message,
    MessageKind,
    SlaState,
    StatusCategory,
    Ticket,
    TicketEvent,
)

log = logging.getLogger(__name__)

TOPIC_WARNING = "sla.warning"
TOPIC_BREACH = "sla.breach"
TOPICS = {Trigger.WARNING: TOPIC_WARNING, Trigger.BREACH: TOPIC_BREACH}

_TICKET_FIELDS = (
    "pk",
    "created_at",
    "updated_at",
    "status_category",
    "priority_id",
    "ticket_type_id",
    "organization_id",
    "team_id",
    "channel",
    "requester_id",
    "merged_into_id",
    "sla_policy_id",
    "sla_calendar_id",
    "sla_target",
    "sla_state",
    "sla_due_at",
    "sla_warn_at",
)


# --- recompute --------------------------------------------------------------------------------


def _facts(row: Mapping[str, Any], config: SlaConfig) -> dict[str, Any]:
    """What policy conditions look at; tags and groups are read only when a policy uses them."""
    facts: dict[str, Any] = {
        "priority": config.priority_slugs.get(row["priority_id"]),
        "ticket_type": config.type_slugs.get(row["ticket_type_id"]),
        "organization": row["organization_id"],
        "team": row["team_id"],
        "channel": row["channel"],
    }
    if "tag" in config.needs:
        facts["tag"] = set(
            Ticket.tags.through.objects.filter(ticket_id=row["pk"]).values_list(
                "tag__name", flat=True
            )
        )
    if "requester_group" in config.needs:
        from frontdesk.accounts.models import User

        facts["requester_group"] = set(
            User.groups.through.objects.filter(user_id=row["requester_id"]).values_list(
                "group__name", flat=True
            )
        )
    return facts


def _statuses(ticket_id: int, row: Mapping[str, Any], config: SlaConfig) -> list[tuple[int, str]]:
    """(at, category) in order, the first at creation, from the ticket's events."""
    created = to_us(row["created_at"])
    timeline: list[tuple[int, str]] = []
    initial: str | None = None
    events = (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .filter(Q(kind=EventKind.CREATED) | Q(kind=EventKind.CHANGED, field="status"))
        .order_by("created_at", "pk")
        .values_list("kind", "created_at", "new_value", "data")
    )
    categories = config.status_categories
    for kind, at, new_value, data in events:
        if kind == EventKind.CREATED:
            slug = (data or {}).get("status")
            if slug:
                initial = categories.get(slug) or categories.get(str(slug).lower())
            elif "split_from" in (data or {}):
                initial = "open"
            continue
        category = categories.get(new_value) or categories.get(new_value.lower())
        if category is None:
            # A status renamed since: its category is unknown; count it as open work.
            category = "open"
        timeline.append((to_us(at), category))
    if initial is None:
        initial = "new" if timeline else row["status_category"]
    statuses = [(created, initial), *timeline]
    if statuses[-1][1] != row["status_category"]:
        # History and the row disagree (bulk-loaded data): the row is the truth from its
        # last change on.
        statuses.append((max(statuses[-1][0], to_us(row["updated_at"])), row["status_category"]))
    return statuses


def _messages(ticket_id: int) -> list[tuple[int, str]]:
    """(at, role) in conversation order; notes are left out (they never satisfy a target)."""
    out: list[tuple[int, str]] = []
    rows = (
        Message.objects.filter(ticket_id=ticket_id)
        .order_by("created_at", "pk")
        .values_list("created_at", "kind", "from_agent")
    )
    for index, (at, kind, from_agent) in enumerate(rows):
        if index == 0:
            out.append((to_us(at), REQUEST))
        elif kind == MessageKind.PUBLIC:
            out.append((to_us(at), REPLY if from_agent else CUSTOMER))
    return out


def _recorded(ticket_ids: Iterable[int]) -> dict[int, set[tuple[str, int, str]]]:
    recorded: dict[int, set[tuple[str, int, str]]] = defaultdict(set)
    for ticket_id, target, cycle, kind in SlaEvent.objects.filter(
        ticket_id__in=list(ticket_ids)
    ).values_list("ticket_id", "target", "cycle", "kind"):
        recorded[ticket_id].add((target, cycle, kind))
    return recorded


def _dt(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def _columns_write(row: Mapping[str, Any], values: dict[str, Any]) -> None:
    """Write the ticket's sla_* columns, skipping the write when nothing moved."""
    if any(row[name] != value for name, value in values.items()):
        Ticket.objects.filter(pk=row["pk"]).update(**values)


def _clear(row: Mapping[str, Any]) -> None:
    _columns_write(
        row,
        {
            "sla_policy_id": None,
            "sla_calendar_id": None,
            "sla_target": "",
            "sla_state": SlaState.NONE,
            "sla_due_at": None,
            "sla_warn_at": None,
        },
    )
    if row["status_category"] not in DONE_CATEGORIES:
        # A closed ticket keeps its outcome for reporting even if no policy applies now.
        TicketSla.objects.filter(ticket_id=row["pk"]).update(
            state=SlaState.NONE, policy=None, targets={}
        )


def sla_recompute(*, ticket_id: int, now: datetime | None = None) -> TicketSla | None:
    """Recompute a ticket's targets from its history and store them (idempotent).

    The first active policy whose conditions match applies; its calendar and the targets
    for the ticket's current priority are applied to the whole history (docs/sla.md).
    """
    now = now or clock.now()
    config = config_current()
    with transaction.atomic():
        row = (
            Ticket.objects.select_for_update().filter(pk=ticket_id).values(*_TICKET_FIELDS).first()
        )
        if row is None:
            return None
        policy = None if row["merged_into_id"] else config.policy_for(_facts(row, config))
        targets = policy.targets.get(row["priority_id"], {}) if policy else {}
        if policy is None or not targets:
            _clear(row)
            return None
        return _recompute(row, policy, targets, config, now)


def _recompute(
    row: Mapping[str, Any],
    policy: PolicySpec,
    targets: Mapping[str, Any],
    config: SlaConfig,
    now: datetime,
) -> TicketSla:
    ticket_id = row["pk"]
    statuses = _statuses(ticket_id, row, config)
    if any(category not in config.status_categories.values() for _at, category in statuses):
        config = config_current(refresh=True)
    recorded = _recorded([ticket_id])[ticket_id]
    result = ticket_sla(
        created=to_us(row["created_at"]),
        messages=_messages(ticket_id),
        statuses=statuses,
        targets=targets,
        calendar=policy.calendar,
        pause_categories=policy.pause_categories,
        warning_percent=policy.warning_percent,
        recorded=recorded,
        now=to_us(now),
    )
    stored = targets_json(result, recorded)
    first = result.targets.get(FIRST_RESPONSE)
    resolution = result.targets.get(RESOLUTION)
    first_cycle = first.current if first else None
    resolution_cycle = resolution.current if resolution else None
    values = {
        "policy_id": policy.id,
        "policy_name": policy.name,
        "priority_slug": config.priority_slugs.get(row["priority_id"], ""),
        "state": result.columns.state,
        "targets": stored,
        "paused": [[_iso(a), _iso(b)] for a, b in result.paused],
        "first_response_seconds": first_cycle.elapsed // US
        if first_cycle and first_cycle.achieved is not None
        else None,
        "first_response_breached": bool(first_cycle and first_cycle.late),
        "resolution_seconds": resolution_cycle.elapsed // US
        if resolution_cycle and resolution_cycle.achieved is not None
        else None,
        "resolution_breached": bool(resolution_cycle and resolution_cycle.late),
        "breaches": sum(entry["breaches"] for entry in stored.values()),
        "computed_at": now,
    }
    sla = TicketSla(ticket_id=ticket_id, **values)
    if not TicketSla.objects.filter(ticket_id=ticket_id).update(**values):
        sla.save(force_insert=True)
    columns = result.columns
    business = columns.business and not policy.calendar.always_open
    _columns_write(
        row,
        {
            "sla_policy_id": policy.id,
            "sla_calendar_id": policy.calendar_id if business else None,
            "sla_target": columns.target,
            "sla_state": columns.state,
            "sla_due_at": _dt(columns.due_at),
            "sla_warn_at": _dt(columns.alarm_at),
        },
    )
    return sla


def _iso(value: int | None) -> str | None:
    return None if value is None else from_us(value).isoformat()


# --- scanner ----------------------------------------------------------------------------------


@dataclass
class ScanResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


def sla_scan(
    *, now: datetime | None = None, batch_size: int = 1000, max_batches: int | None = None
) -> ScanResult:
    """Record every warning and breach that came due, exactly once, in batches.

    Each batch is one transaction: the tickets whose alarm (``sla_warn_at``) has passed are
    claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a second scanner takes other
    rows; SQLite has one writer at a time), their events are inserted under a unique
    constraint, the outbox gets one entry per event, and the alarms move on. After an
    outage the first pass finds everything that came due meanwhile, once.
    """
    now = now or clock.now()
    total = ScanResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            found = _scan_batch(now, batch_size, total)
        if found < batch_size:
            break
    return total


def _scan_batch(now: datetime, batch_size: int, total: ScanResult) -> int:
    due = Ticket.objects.filter(sla_warn_at__lte=now).order_by("sla_warn_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    ids = list(due.values_list("pk", flat=True)[:batch_size])
    if not ids:
        return 0
    stored = {
        ticket_id: (targets, policy_id)
        for ticket_id, targets, policy_id in TicketSla.objects.filter(
            ticket_id__in=ids
        ).values_list("ticket_id", "targets", "policy_id")
    }
    recorded = _recorded(ids)
    now_us = to_us(now)
    events: list[SlaEvent] = []
    columns: dict[int, tuple[datetime | None, str]] = {}
    for ticket_id in ids:
        targets, policy_id = stored.get(ticket_id, ({}, None))
        running = running_from_json(targets or {})
        new, after = scan_ticket(running, recorded[ticket_id], now_us)
        columns[ticket_id] = (_dt(after.alarm_at), after.state)
        for target, cycle, kind, due_at in new:
            events.append(
                SlaEvent(
                    ticket_id=ticket_id,
                    target=target,
                    cycle=cycle,
                    kind=kind,
                    due_at=from_us(due_at),
                    created_at=now,
                    policy_id=policy_id,
                )
            )
    if events:
        SlaEvent.objects.bulk_create(events, ignore_conflicts=True)
        entries = OutboxEntry.objects.bulk_create(
            [
                OutboxEntry(
                    topic=TOPICS[Trigger(e.kind)],
                    payload={
                        "ticket_id": e.ticket_id,
                        "target": e.target,
                        "cycle": e.cycle,
                        "kind": e.kind,
                    },
                )
                for e in events
            ]
        )
        entry_ids = [e.pk for e in entries]
        total.outbox_ids.extend(entry_ids)
        transaction.on_commit(lambda: _outbox_enqueue(entry_ids))
    _columns_bulk_write(columns)
    total.tickets += len(ids)
    total.ticket_ids.extend(ids)
    total.warnings += sum(1 for e in events if e.kind == Trigger.WARNING)
    total.breaches += sum(1 for e in events if e.kind == Trigger.BREACH)
    return len(ids)


def _columns_bulk_write(columns: Mapping[int, tuple[datetime | None, str]]) -> None:
    """Move each claimed ticket's alarm on; tickets sharing values share one UPDATE."""
    groups: dict[tuple[datetime | None, str], list[int]] = defaultdict(list)
    for ticket_id, values in columns.items():
        groups[values].append(ticket_id)
    if len(groups) <= 20:
        for (alarm, state), ids in groups.items():
            Ticket.objects.filter(pk__in=ids).update(sla_warn_at=alarm, sla_state=state)
        return
    Ticket.objects.bulk_update(
        [
            Ticket(pk=pk, sla_warn_at=alarm, sla_state=state)
            for pk, (alarm, state) in columns.items()
        ],
        ["sla_warn_at", "sla_state"],
        batch_size=500,
    )


def _outbox_enqueue(entry_ids: list[int]) -> None:
    from frontdesk.sla.tasks import sla_outbox_run

    sla_outbox_run(entry_ids)


def scan_interval_seconds() -> int:
    return max(1, int(getattr(settings, "SLA_SCAN_SECONDS", 60)))


# --- configuration ----------------------------------------------------------------------------


def calendar_builtin() -> BusinessCalendar:
    """The built-in 24/7 calendar (created if a flushed test database lost it)."""
    calendar = BusinessCalendar.objects.filter(builtin=True).first()
    if calendar is None:
        from django.apps import apps

        builtin_install(apps)
        calendar = BusinessCalendar.objects.get(builtin=True)
    return calendar


@transaction.atomic
def calendar_save(
    *,
    calendar: BusinessCalendar | None,
    name: str,
    time_zone: str,
    weekly: Mapping[str, str],
    country: str = "",
    subdivision: str = "",
    holiday_categories: str = "public",
) -> BusinessCalendar:
    """Create or change a calendar; the hours must parse and leave some open time."""
    calendar = calendar or BusinessCalendar()
    if calendar.builtin:
        raise ValidationError(_("The built-in 24/7 calendar cannot be changed."))
    errors: dict[str, list[str]] = {}
    clean_weekly: dict[str, str] = {}
    for day in WEEKDAYS:
        text = (weekly.get(day) or "").strip()
        try:
            clean_weekly[day] = format_intervals(parse_intervals(text))
        except ValueError as exc:
            errors[day] = [str(exc)]
    if not errors and not any(clean_weekly.values()):
        errors["weekly"] = [_("Open the desk at least one interval a week.")]
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [_("Unknown time zone, use a name like Europe/Stockholm.")]
    country = country.strip().upper()
    categories = [c.strip() for c in holiday_categories.split(",") if c.strip()] or ["public"]
    if country:
        import holidays as holidays_lib

        try:
            holidays_lib.country_holidays(
                country, subdiv=subdivision.strip() or None, categories=categories
            )
        except (NotImplementedError, KeyError, ValueError) as exc:
            errors["country"] = [
                _("The holidays package does not know this country, region or category: %s") % exc
            ]
    if errors:
        raise ValidationError(errors)
    calendar.name = name.strip()[:100]
    calendar.time_zone = time_zone
    calendar.weekly = clean_weekly
    calendar.always_open = False
    calendar.country = country
    calendar.subdivision = subdivision.strip()
    calendar.holiday_categories = ", ".join(categories)
    calendar.full_clean()
    calendar.save()
    config_changed()
    return calendar


@transaction.atomic
def calendar_holiday_add(
    *, calendar: BusinessCalendar, day: date, name: str = "", yearly: bool = False
) -> CalendarHoliday:
    holiday, _created = CalendarHoliday.objects.update_or_create(
        calendar=calendar, date=day, defaults={"name": name.strip()[:100], "yearly": yearly}
    )
    config_changed()
    return holiday


@transaction.atomic
def calendar_holiday_remove(*, holiday: CalendarHoliday) -> None:
    holiday.delete()
    config_changed()


@transaction.atomic
def calendar_holidays_import_ical(*, calendar: BusinessCalendar, data: bytes) -> int:
    """Add every all-day (or dated) event of an iCalendar file as a one-off holiday.

    Multi-day events close every day they cover; recurring yearly events become yearly
    holidays. Returns how many days were added or updated.
    """
    import icalendar

    try:
        parsed = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise ValidationError({"file": [_("This is not an iCalendar file.")]}) from exc
    count = 0
    for event in parsed.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        first = start.dt.date() if isinstance(start.dt, datetime) else start.dt
        end_prop = event.get("DTEND")
        last = first
        if end_prop is not None:
            end = end_prop.dt.date() if isinstance(end_prop.dt, datetime) else end_prop.dt
            # DTEND of an all-day event is exclusive.
            last = max(first, end - timedelta(days=1))
        rule = event.get("RRULE") or {}
        yearly = "YEARLY" in [str(f).upper() for f in rule.get("FREQ", [])]
        name = str(event.get("SUMMARY") or "")[:100]
        day = first
        while day <= last and count < 2000:
            CalendarHoliday.objects.update_or_create(
                calendar=calendar, date=day, defaults={"name": name, "yearly": yearly}
            )
            count += 1
            day += timedelta(days=1)
    config_changed()
    return count


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar) -> None:
    if calendar.builtin:
        raise ValidationError(_("The built-in 24/7 calendar cannot be deleted."))
    if calendar.policies.exists():
        raise ValidationError(
            _("A policy uses this calendar; choose another calendar there first.")
        )
    calendar.delete()
    config_changed()


def conditions_clean(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Conditions as stored: known fields, non-empty value lists, in the given order."""
    clean = []
    for condition in raw:
        name = condition.get("field")
        values = [v for v in (condition.get("values") or []) if v not in ("", None)]
        if name not in CONDITION_FIELDS:
            raise ValidationError({"conditions": [_("Unknown condition: %s") % name]})
        if values:
            clean.append({"field": name, "values": values})
    return clean


@transaction.atomic
def policy_save(
    *,
    policy: SlaPolicy | None,
    name: str,
    calendar: BusinessCalendar,
    conditions: Iterable[Mapping[str, Any]] = (),
    pause_categories: Iterable[str] = DEFAULT_PAUSE_CATEGORIES,
    warning_percent: int = 75,
    position: int | None = None,
    active: bool = True,
) -> SlaPolicy:
    """Create or change a policy (targets are set with ``policy_targets_set``)."""
    pauses = sorted(set(pause_categories))
    if set(pauses) - {StatusCategory.NEW, StatusCategory.OPEN, *DEFAULT_PAUSE_CATEGORIES}:
        raise ValidationError(
            {"pause_categories": [_("Only new, open, pending and on-hold can pause.")]}
        )
    if not 0 <= warning_percent <= 99:
        raise ValidationError({"warning_percent": [_("Use a percent from 0 to 99.")]})
    policy = policy or SlaPolicy()
    policy.name = name.strip()[:100]
    policy.calendar = calendar
    policy.conditions = conditions_clean(conditions)
    policy.pause_categories = pauses
    policy.warning_percent = warning_percent
    policy.active = active
    if position is not None:
        policy.position = position
    elif policy.pk is None:
        last = SlaPolicy.objects.order_by("-position").values_list("position", flat=True).first()
        policy.position = (last or 0) + 1
    policy.full_clean()
    policy.save()
    config_changed()
    return policy


@transaction.atomic
def policy_targets_set(
    *, policy: SlaPolicy, targets: Mapping[tuple[int, str], tuple[int | None, bool]]
) -> None:
    """Replace the policy's targets: (priority id, kind) -> (minutes or None, business)."""
    for (priority_id, kind), (minutes, business) in targets.items():
        if kind not in TargetKind.values:
            raise ValidationError({"targets": [_("Unknown target: %s") % kind]})
        if minutes is None:
            SlaTarget.objects.filter(policy=policy, priority_id=priority_id, kind=kind).delete()
            continue
        if minutes <= 0:
            raise ValidationError({"targets": [_("A target needs a positive time.")]})
        SlaTarget.objects.update_or_create(
            policy=policy,
            priority_id=priority_id,
            kind=kind,
            defaults={"minutes": minutes, "business_hours": business},
        )
    config_changed()


@transaction.atomic
def policy_delete(*, policy: SlaPolicy) -> None:
    policy.delete()
    config_changed()


@transaction.atomic
def rule_save(*, rule: EscalationRule | None, fields: Mapping[str, Any]) -> EscalationRule:
    """Create or change an escalation rule (plain fields; validated by the model)."""
    rule = rule or EscalationRule()
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, rule: EscalationRule) -> None:
    rule.delete()


def sla_recompute_open(*, batch_size: int = 500) -> int:
    """Recompute every open ticket (after loading data or changing policies in bulk)."""
    count = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(status_category__in=OPEN_CATEGORIES, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return count
        for ticket_id in ids:
            sla_recompute(ticket_id=ticket_id)
        count += len(ids)
        last = ids[-1]
