"""Routing: which agent of a team gets a ticket that waits unassigned.

Strategies: round robin (the next available agent after the last one), load balanced (the
lowest open-tickets-to-capacity ratio with room left), skills (agents whose skills match
the ticket's language, tags or type, the best match first, then by load; without any
match, load balanced over everyone). Only available agents receive tickets: online, not
out of office today, with room under their capacity.

Concurrency: the team's ``TeamRouting`` row is locked (``SELECT ... FOR UPDATE``) from the
moment the choice is made until the assignment commits, so two workers assigning at once
queue behind each other and each sees the other's assignment when it counts loads. On
SQLite the database has one writer at a time, which serialises the same way.

Pre-route hooks: other apps register ``fn(ticket_id)`` with ``pre_route_register``; the
engine calls each, in registration order, once for every new ticket before its first
triggers run and before it is routed (the AI app's triage sets team, type and priority
there). A hook that fails is logged and rolled back alone; routing goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from frontdesk.accounts.models import TeamMembership, User
from frontdesk.automation.models import AgentProfile, Availability, RoutingMode, TeamRouting
from frontdesk.core import clock
from frontdesk.tickets.models import OPEN_CATEGORIES, StatusCategory, Ticket
from frontdesk.tickets.services import ticket_assign

log = logging.getLogger(__name__)

PreRouteHook = Callable[[int], object]
_pre_route_hooks: list[PreRouteHook] = []

ROUTED_MODES = frozenset({RoutingMode.ROUND_ROBIN, RoutingMode.LOAD, RoutingMode.SKILLS})
# Tickets that count against an agent's capacity: the ones waiting on the desk, not on the
# customer (pending) or a third party (on hold).
LOAD_CATEGORIES = (StatusCategory.NEW, StatusCategory.OPEN)


def pre_route_register(fn: PreRouteHook) -> None:
    """Call ``fn(ticket_id)`` before each new ticket is routed (registering twice: once).

    Register from an ``AppConfig.ready``. The hook runs inside the engine's transaction,
    in a savepoint of its own, and may change the ticket through its services (team, type,
    priority); the engine reads the ticket again after the hooks.
    """
    if fn not in _pre_route_hooks:
        _pre_route_hooks.append(fn)


def pre_route_unregister(fn: PreRouteHook) -> None:
    """Forget a hook (tests, and an app switched off at run time)."""
    if fn in _pre_route_hooks:
        _pre_route_hooks.remove(fn)


def pre_route_run(ticket_id: int) -> int:
    """Call every registered hook for a new ticket; returns how many succeeded.

    Why a savepoint per hook: on PostgreSQL a failed statement poisons the whole
    transaction, so a hook's database error would otherwise stop the rules and routing.
    """
    done = 0
    for fn in tuple(_pre_route_hooks):  # a hook may register another
        try:
            with transaction.atomic():
                fn(ticket_id)
        except Exception:  # noqa: BLE001 - a hook must never stop routing
            log.exception("pre-route hook %r failed for ticket %s", fn, ticket_id)
        else:
            done += 1
    return done


def team_mode(team_id: int) -> str:
    mode = TeamRouting.objects.filter(team_id=team_id).values_list("mode", flat=True).first()
    return mode or RoutingMode.MANUAL


def _default_capacity() -> int:
    return int(getattr(settings, "ROUTING_DEFAULT_CAPACITY", 20))


def agent_is_available(profile: AgentProfile | None, today: date | None = None) -> bool:
    """Online and not out of office today (no profile: online)."""
    if profile is None:
        return True
    if profile.availability != Availability.ONLINE:
        return False
    today = today or clock.now().date()
    if profile.away_from and profile.away_until:
        return not (profile.away_from <= today <= profile.away_until)
    if profile.away_from:
        return today < profile.away_from
    if profile.away_until:
        return today > profile.away_until
    return True


def _candidates(team_id: int) -> list[tuple[User, AgentProfile | None]]:
    ids = TeamMembership.objects.filter(team_id=team_id).values("user_id")
    users = list(
        User.objects.filter(pk__in=ids, is_active=True).exclude(role="customer").order_by("pk")
    )
    profiles = {p.user_id: p for p in AgentProfile.objects.filter(user__in=users)}
    today = clock.now().date()
    return [(u, profiles.get(u.pk)) for u in users if agent_is_available(profiles.get(u.pk), today)]


def _loads(user_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(
            assignee_id__in=list(user_ids),
            status_category__in=LOAD_CATEGORIES,
            merged_into__isnull=True,
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["assignee_id"]: r["n"] for r in rows}


def _capacity(profile: AgentProfile | None) -> int:
    return profile.capacity if profile is not None else _default_capacity()


def _by_load(pool: list[tuple[User, AgentProfile | None]], loads: dict[int, int]) -> User | None:
    with_room = [(u, p) for u, p in pool if loads.get(u.pk, 0) < _capacity(p)]
    if not with_room:
        return None

    def key(item: tuple[User, AgentProfile | None]) -> tuple[float, int, float, int]:
        user, profile = item
        load = loads.get(user.pk, 0)
        last = profile.last_assigned_at.timestamp() if profile and profile.last_assigned_at else 0
        return (load / max(_capacity(profile), 1), load, last, user.pk)

    return min(with_room, key=key)[0]


def _ticket_skills(ticket: Ticket) -> set[str]:
    skills = {t.lower() for t in ticket.tags.values_list("name", flat=True)}
    if ticket.language:
        skills.add(ticket.language.lower())
        skills.add(ticket.language.split("-")[0].lower())
    skills.add(ticket.ticket_type.slug.lower())
    return skills


def agent_choose(*, routing: TeamRouting, ticket: Ticket) -> User | None:
    """The agent the team's strategy picks for ``ticket`` now (call under the row lock)."""
    pool = _candidates(routing.team_id)
    if not pool:
        return None
    loads = _loads(u.pk for u, _p in pool)
    if routing.mode == RoutingMode.ROUND_ROBIN:
        with_room = [u for u, p in pool if loads.get(u.pk, 0) < _capacity(p)]
        if not with_room:
            return None
        after = [u for u in with_room if routing.last_agent_id and u.pk > routing.last_agent_id]
        return (after or with_room)[0]
    if routing.mode == RoutingMode.SKILLS:
        wanted = _ticket_skills(ticket)
        scored = [(len(wanted & set(p.skills or [])), u, p) for u, p in pool if p is not None]
        best = max((s for s, _u, _p in scored), default=0)
        if best > 0:
            chosen = _by_load([(u, p) for s, u, p in scored if s == best], loads)
            if chosen is not None:
                return chosen
        return _by_load(pool, loads)
    return _by_load(pool, loads)


def ticket_route(*, ticket_id: int, actor: User) -> User | None:
    """Assign a waiting ticket by its team's strategy; None when nobody can take it."""
    with transaction.atomic():
        team_id = Ticket.objects.filter(pk=ticket_id).values_list("team_id", flat=True).first()
        if team_id is None:
            return None
        routing = TeamRouting.objects.select_for_update().filter(team_id=team_id).first()
        if routing is None or routing.mode not in ROUTED_MODES:
            return None
        # Re-read after the lock: another worker may have assigned it meanwhile.
        ticket = Ticket.objects.select_related("ticket_type").get(pk=ticket_id)
        if (
            ticket.team_id != team_id
            or ticket.assignee_id is not None
            or ticket.status_category not in OPEN_CATEGORIES
            or ticket.merged_into_id is not None
        ):
            return None
        agent = agent_choose(routing=routing, ticket=ticket)
        if agent is None:
            return None
        ticket_assign(ticket=ticket, agent=agent, actor=actor)
        now = clock.now()
        TeamRouting.objects.filter(pk=routing.pk).update(
            last_agent=agent, assigned_count=routing.assigned_count + 1
        )
        updated = AgentProfile.objects.filter(user=agent).update(last_assigned_at=now)
        if not updated:
            AgentProfile.objects.create(user=agent, last_assigned_at=now)
        return agent


def agent_unavailable_reroute(*, user_id: int, actor: User) -> int:
    """Hand an unavailable agent's waiting tickets back to the teams that ask for it."""
    profile = AgentProfile.objects.filter(user_id=user_id).first()
    if agent_is_available(profile):
        return 0
    teams = list(
        TeamRouting.objects.filter(
            reassign_unavailable=True,
            mode__in=list(ROUTED_MODES),
            team__in=TeamMembership.objects.filter(user_id=user_id).values("team_id"),
        ).values_list("team_id", flat=True)
    )
    if not teams:
        return 0
    waiting = Ticket.objects.filter(
        Q(team_id__in=teams),
        assignee_id=user_id,
        status_category__in=LOAD_CATEGORIES,
        merged_into__isnull=True,
    ).values_list("pk", flat=True)
    ids = list(waiting[:500])
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.get(pk=ticket_id)
            ticket_assign(ticket=ticket, agent=None, actor=actor)
        # The engine routes it after the commit too; whichever comes second finds it taken.
        ticket_route(ticket_id=ticket_id, actor=actor)
    return len(ids)


def absent_agents_reroute() -> int:
    """Hourly: agents whose out-of-office dates have begun hand their waiting tickets back
    to the teams that ask for it. Why here: dates set in advance change nothing when they
    are saved; the day they begin, nobody saves anything."""
    from frontdesk.automation.services import automation_user

    today = clock.now().date()
    away_today = (
        Q(away_from__lte=today, away_until__gte=today)
        | Q(away_from__lte=today, away_until__isnull=True)
        | Q(away_from__isnull=True, away_until__gte=today)
    )
    user_ids = list(
        AgentProfile.objects.filter(away_today, availability=Availability.ONLINE).values_list(
            "user_id", flat=True
        )
    )
    if not user_ids:
        return 0
    actor = automation_user()
    return sum(agent_unavailable_reroute(user_id=user_id, actor=actor) for user_id in user_ids)


def waiting_tickets_route(*, limit: int = 500) -> int:
    """Tickets still unassigned in routed teams (everyone was full or away): try again."""
    from frontdesk.automation.services import automation_user

    teams = list(
        TeamRouting.objects.filter(mode__in=list(ROUTED_MODES)).values_list("team_id", flat=True)
    )
    if not teams:
        return 0
    ids = list(
        Ticket.objects.filter(
            team_id__in=teams,
            assignee__isnull=True,
            status_category__in=list(OPEN_CATEGORIES),
            merged_into__isnull=True,
        )
        .order_by("-updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    actor = automation_user()
    return sum(1 for ticket_id in ids if ticket_route(ticket_id=ticket_id, actor=actor))
