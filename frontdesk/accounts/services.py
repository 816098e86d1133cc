"""Every write about people, teams and tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction

from frontdesk.accounts.models import ApiToken, Role, Team, TeamMembership, Tier, User
from frontdesk.accounts.selectors import user_find_by_email
from frontdesk.core import clock
from frontdesk.customers.models import Organization, OrganizationDomain

TOKEN_PREFIX = "fd_"  # noqa: S105 - a label, not a secret


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with its plain key (shown once, stored hashed)."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], digest=token_digest(key))
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=clock.now())


@transaction.atomic
def user_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.CUSTOMER,
    organization: Organization | None = None,
    is_org_manager: bool = False,
    language: str = "",
    password: str | None = None,
) -> User:
    """Create a user; without a password the account can still sign in by email code."""
    return User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        role=role,
        organization=organization,
        is_org_manager=is_org_manager,
        language=language,
        is_staff=role == Role.ADMIN,
    )


def customer_get_or_create(*, email: str, name: str = "") -> User:
    """Find a contact by email or create a customer for it (organization by email domain)."""
    email = email.strip().lower()
    user = user_find_by_email(email)
    if user is not None:
        return user
    domain = email.rpartition("@")[2]
    with transaction.atomic():
        return customer_new(
            email=email, name=name, organization=organizations_by_domain([domain]).get(domain)
        )


def organizations_by_domain(domains: Iterable[str]) -> dict[str, Organization]:
    """The organization each of these email domains joins new contacts to (one query)."""
    wanted = {d.strip().lower() for d in domains if d and d.strip()}
    if not wanted:
        return {}
    rows = OrganizationDomain.objects.filter(domain__in=wanted).select_related("organization")
    return {row.domain: row.organization for row in rows}


def customer_new(*, email: str, name: str = "", organization: Organization | None) -> User:
    """A customer for an address that has no user yet, written in the caller's transaction.

    For callers that looked the address and its domain up already (a batch of mails does it
    for all its senders at once): no lookup and no savepoint of its own. Another process
    creating the same address at the same moment makes this raise IntegrityError, and the
    caller gives up its transaction.
    """
    user = customer_build(email=email, name=name, organization=organization)
    user.save(force_insert=True)
    return user


def customer_build(*, email: str, name: str = "", organization: Organization | None) -> User:
    """``customer_new``'s user, not saved yet (``customers_write`` stores several in one
    INSERT). No password: the account signs in by email code."""
    first, _, last = name.strip().partition(" ")
    user = User(
        email=email.strip().lower(),
        first_name=first,
        last_name=last,
        role=Role.CUSTOMER,
        organization=organization,
    )
    user.set_unusable_password()
    return user


def customers_write(users: list[User]) -> None:
    """Store customers from ``customer_build`` in one INSERT (with the ids they were given,
    if any)."""
    if users:
        User.objects.bulk_create(users)


@transaction.atomic
def user_update(*, user: User, **fields: object) -> User:
    allowed = {
        "first_name",
        "last_name",
        "role",
        "organization",
        "is_org_manager",
        "language",
        "timezone",
        "phone",
        "is_active",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown user fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(user, name, value)
    if "role" in fields:
        user.is_staff = user.role == Role.ADMIN
    user.save()
    return user


@transaction.atomic
def team_save(
    *,
    team: Team | None,
    name: str,
    tier: str = Tier.L1,
    escalates_to: Team | None = None,
    email: str = "",
) -> Team:
    team = team or Team()
    team.name, team.tier, team.escalates_to, team.email = name, tier, escalates_to, email
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_set_members(*, team: Team, members: list[User], leads: list[User] | None = None) -> None:
    lead_ids = {u.pk for u in leads or []}
    TeamMembership.objects.filter(team=team).exclude(user__in=members).delete()
    for user in members:
        TeamMembership.objects.update_or_create(
            team=team, user=user, defaults={"is_lead": user.pk in lead_ids}
        )
