"""Every SLA write: recompute a ticket's targets, scan for due alarms, save configuration.

The ticket columns ``sla_*`` belong to these services. They are written with a queryset
``update()`` (no version bump: an SLA recompute is not an edit a person made, and must
not make an agent's open form stale).
"""

from __future__ import annotations

import logging
import time
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
from frontdesk.sla import bulk, store
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
    config_for_version,
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
    MessageKind,
    SlaState,
    StatusCategory,
    Ticket,
)

log = logging.getLogger(__name__)

TOPIC_WARNING = "sla.warning"
TOPIC_BREACH = "sla.breach"
TOPICS = {Trigger.WARNING: TOPIC_WARNING, Trigger.BREACH: TOPIC_BREACH}
STATUS_REFRESH_SECONDS = 60.0
RECOMPUTE_DELAY_SECONDS = 30
_refreshed_at = float("-inf")

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


def _statuses(
    row: Mapping[str, Any], events: store.Events, config: SlaConfig
) -> tuple[list[tuple[int, str]], bool]:
    """(at, category) in order, the first at creation, from the ticket's events.

    The flag says a status was not found in the configuration (renamed or new since it
    was loaded): the caller reloads the configuration once and asks again.
    """
    created = row["created_at"]
    timeline: list[tuple[int, str]] = []
    initial: str | None = None
    missed = False
    categories = config.status_categories
    for kind, at, new_value, data in events:
        if kind == EventKind.CREATED:
            slug = (data or {}).get("status")
            if slug:
                initial = categories.get(slug) or categories.get(str(slug).lower())
                missed |= initial is None
            elif "split_from" in (data or {}):
                initial = "open"
            continue
        category = categories.get(new_value) or categories.get(new_value.lower())
        if category is None:
            # A status renamed since: its category is unknown; count it as open work.
            missed = True
            category = "open"
        timeline.append((at, category))
    if initial is None:
        initial = "new" if timeline else row["status_category"]
    statuses = [(created, initial), *timeline]
    if statuses[-1][1] != row["status_category"]:
        # History and the row disagree (bulk-loaded data): the row is the truth from its
        # last change on.
        statuses.append((max(statuses[-1][0], row["updated_at"]), row["status_category"]))
    return statuses, missed


def _roles(messages: store.Messages) -> list[tuple[int, str]]:
    """(at, role) in conversation order; notes are left out (they never satisfy a target)."""
    out: list[tuple[int, str]] = []
    for index, (at, kind, from_agent) in enumerate(messages):
        if index == 0:
            out.append((at, REQUEST))
        elif kind == MessageKind.PUBLIC:
            out.append((at, REPLY if from_agent else CUSTOMER))
    return out


def _dt(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def _iso(value: int | None) -> str | None:
    return None if value is None else from_us(value).isoformat()


NO_COLUMNS = {
    "sla_policy_id": None,
    "sla_calendar_id": None,
    "sla_target": "",
    "sla_state": SlaState.NONE,
    "sla_due_at": None,
    "sla_warn_at": None,
}


def _clear(row: Mapping[str, Any]) -> None:
    changed = store.columns_changed(row, NO_COLUMNS)
    if changed:
        store.columns_write(row["pk"], changed)
    stale = TicketSla.objects.filter(ticket_id=row["pk"]).filter(
        Q(alarm_at__isnull=False) | ~Q(state=SlaState.NONE)
    )
    if row["status_category"] in DONE_CATEGORIES:
        # A closed (or merged) ticket keeps its outcome for reporting; nothing is pending.
        stale.update(state=SlaState.NONE, alarm_at=None)
    else:
        stale.update(state=SlaState.NONE, policy=None, targets={}, alarm_at=None)


def sla_recompute(*, ticket_id: int, now: datetime | None = None) -> None:
    """Recompute a ticket's targets from its history and store them (idempotent).

    The first active policy whose conditions match applies; its calendar and the targets
    for the ticket's current priority are applied to the whole history (docs/sla.md).
    The ticket row is locked meanwhile, so a concurrent recompute or scanner waits.
    """
    now = now or clock.now()
    with transaction.atomic():
        row = store.row_lock(ticket_id)
        if row is None:
            return
        config = config_for_version(row["config_version"])
        policy = None if row["merged_into_id"] else config.policy_for(_facts(row, config))
        targets = policy.targets.get(row["priority_id"], {}) if policy else {}
        if policy is None or not targets:
            _clear(row)
            return
        _recompute(row, policy, targets, config, now)


def _recompute(
    row: Mapping[str, Any],
    policy: PolicySpec,
    targets: Mapping[str, Any],
    config: SlaConfig,
    now: datetime,
) -> None:
    ticket_id = row["pk"]
    messages, events, recorded = store.history(ticket_id)
    statuses, missed = _statuses(row, events, config)
    global _refreshed_at
    if missed and time.monotonic() - _refreshed_at > STATUS_REFRESH_SECONDS:
        # A status added or renamed since the configuration was loaded (at most once a
        # minute: a status deleted for good must not make every recompute reload).
        _refreshed_at = time.monotonic()
        fresh = config_current(refresh=True)
        if fresh.status_categories != config.status_categories:
            config = fresh
            statuses, _missed = _statuses(row, events, config)
    result = ticket_sla(
        created=row["created_at"],
        messages=_roles(messages),
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
        "alarm_at": _dt(result.columns.alarm_at),
    }
    columns = result.columns
    business = columns.business and not policy.calendar.always_open
    changed = store.columns_changed(
        row,
        {
            "sla_policy_id": policy.id,
            "sla_calendar_id": policy.calendar_id if business else None,
            "sla_target": columns.target,
            "sla_state": columns.state,
            "sla_due_at": columns.due_at,
            "sla_warn_at": columns.warn_at,
        },
    )
    store.sla_write(ticket_id, values, changed)


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

    Each batch is one transaction: the SLA records whose alarm (``TicketSla.alarm_at``) has
    passed are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a second scanner takes
    other rows; SQLite has one writer at a time), their events are inserted under a unique
    constraint, the outbox gets one entry per event, and the alarms move on. After an
    outage the first pass finds everything that came due meanwhile, once. The reactions
    (recompute of the ticket's columns, escalation rules) run from the outbox.
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
    due = TicketSla.objects.filter(alarm_at__lte=now).order_by("alarm_at", "ticket_id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    claimed = list(due.values_list("ticket_id", "targets", "policy_id")[:batch_size])
    if not claimed:
        return 0
    ids = [ticket_id for ticket_id, _t, _p in claimed]
    recorded = store.recorded_for(ids)
    now_us = to_us(now)
    events: list[SlaEvent] = []
    alarms: list[tuple[int, datetime | None, str]] = []
    for ticket_id, targets, policy_id in claimed:
        running = running_from_json(targets or {})
        new, after = scan_ticket(running, recorded.get(ticket_id, set()), now_us)
        alarms.append((ticket_id, _dt(after.alarm_at), after.state))
        events.extend(
            SlaEvent(
                ticket_id=ticket_id,
                target=target,
                cycle=cycle,
                kind=kind,
                due_at=from_us(due_at),
                created_at=now,
                policy_id=policy_id,
            )
            for target, cycle, kind, due_at in new
        )
    if events:
        bulk.events_insert(events)
        entry_ids = bulk.outbox_insert(
            [
                (
                    TOPICS[Trigger(e.kind)],
                    {
                        "ticket_id": e.ticket_id,
                        "target": e.target,
                        "cycle": e.cycle,
                        "kind": e.kind,
                    },
                )
                for e in events
            ],
            at=now,
        )
        total.outbox_ids.extend(entry_ids)
        transaction.on_commit(lambda: _outbox_enqueue(entry_ids))
    bulk.alarms_write(alarms)
    total.tickets += len(ids)
    total.ticket_ids.extend(ids)
    total.warnings += sum(1 for e in events if e.kind == Trigger.WARNING)
    total.breaches += sum(1 for e in events if e.kind == Trigger.BREACH)
    return len(ids)


def _event_payload(event: SlaEvent) -> dict[str, Any]:
    return {
        "ticket_id": event.ticket_id,
        "target": event.target,
        "cycle": event.cycle,
        "kind": event.kind,
    }


def _outbox_enqueue(entry_ids: list[int]) -> None:
    from frontdesk.sla.tasks import sla_outbox_run

    sla_outbox_run(entry_ids)


def scan_interval_seconds() -> int:
    return max(1, int(getattr(settings, "SLA_SCAN_SECONDS", 60)))


# --- configuration ----------------------------------------------------------------------------


def _configuration_saved() -> None:
    """Bump the configuration version and, after the commit, recompute open tickets.

    The job carries the new version and does nothing if another save came after it, so a
    burst of edits in the settings pages costs one pass over the open tickets.
    """
    version = config_changed()

    def enqueue() -> None:
        from frontdesk.sla.tasks import sla_recompute_open_task

        sla_recompute_open_task.schedule(kwargs={"version": version}, delay=RECOMPUTE_DELAY_SECONDS)

    transaction.on_commit(enqueue)


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
    _configuration_saved()
    return calendar


@transaction.atomic
def calendar_holiday_add(
    *, calendar: BusinessCalendar, day: date, name: str = "", yearly: bool = False
) -> CalendarHoliday:
    holiday, _created = CalendarHoliday.objects.update_or_create(
        calendar=calendar, date=day, defaults={"name": name.strip()[:100], "yearly": yearly}
    )
    _configuration_saved()
    return holiday


@transaction.atomic
def calendar_holiday_remove(*, holiday: CalendarHoliday) -> None:
    holiday.delete()
    _configuration_saved()


@transaction.atomic
def calendar_holidays_import_ical(*, calendar: BusinessCalendar, data: bytes) -> int:
    """Add every all-day event of an iCalendar file as a one-off holiday.

    Multi-day events close every day they cover; recurring yearly events become yearly
    holidays. Events at a time of day (a meeting, a half day) and cancelled events are
    not holidays and are left out. Returns how many days were added or updated.
    """
    import icalendar

    try:
        parsed = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise ValidationError({"file": [_("This is not an iCalendar file.")]}) from exc
    count = 0
    for event in parsed.walk("VEVENT"):
        if str(event.get("STATUS") or "").upper() == "CANCELLED":
            continue
        try:
            start = event.get("DTSTART")
            end_prop = event.get("DTEND")
            first = start.dt if start is not None else None
            end = end_prop.dt if end_prop is not None else None
        except ValueError as exc:  # a date the parser could not read: say which event
            raise ValidationError(
                {
                    "file": [
                        _("The event “%(name)s” has a date that cannot be read.")
                        % {"name": str(event.get("SUMMARY") or "")[:100]}
                    ]
                }
            ) from exc
        # Why skip timed events: a holiday closes the whole day, a two-hour event does not.
        if not isinstance(first, date) or isinstance(first, datetime):
            continue
        last = first
        if isinstance(end, date) and not isinstance(end, datetime):
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
    _configuration_saved()
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
    _configuration_saved()


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
    _configuration_saved()
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
    _configuration_saved()


@transaction.atomic
def policy_delete(*, policy: SlaPolicy) -> None:
    policy.delete()
    _configuration_saved()


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
