"""factory_boy factories and the personas every test story uses."""

from __future__ import annotations

import factory

from frontdesk.accounts.models import Role, Team, TeamMembership, User
from frontdesk.customers.models import Organization


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Org {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.net")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CUSTOMER
    password = factory.django.Password("secret-pass-123")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


PASSWORD = "secret-pass-123"  # noqa: S105 - test fixture


def personas_create() -> dict[str, object]:
    """Dana (Acme) and Erik (Globex) are customers; Alice and Bob work in L1, Carol in L2."""
    from django.apps import apps

    from frontdesk.tickets.defaults import defaults_install

    defaults_install(apps)
    acme = OrganizationFactory(name="Acme")
    globex = OrganizationFactory(name="Globex")
    l1 = TeamFactory(name="L1", tier="L1")
    l2 = TeamFactory(name="L2", tier="L2")
    l1.escalates_to = l2
    l1.save()
    people = {
        "dana": UserFactory(
            email="dana@example.com",
            first_name="Dana",
            last_name="Scully",
            organization=acme,
            is_org_manager=True,
        ),
        "dan": UserFactory(
            email="dan@acme.example", first_name="Dan", last_name="Acme", organization=acme
        ),
        "erik": UserFactory(
            email="erik@example.org",
            first_name="Erik",
            last_name="Lind",
            organization=globex,
            language="sv",
        ),
        "alice": UserFactory(
            email="alice@example.com", first_name="Alice", last_name="Agent", role=Role.AGENT
        ),
        "bob": UserFactory(
            email="bob@example.com", first_name="Bob", last_name="Agent", role=Role.AGENT
        ),
        "carol": UserFactory(
            email="carol@example.com", first_name="Carol", last_name="Outside", role=Role.AGENT
        ),
        "sam": UserFactory(
            email="supervisor@example.com",
            first_name="Sam",
            last_name="Supervisor",
            role=Role.SUPERVISOR,
        ),
        "ada": UserFactory(
            email="admin@example.com",
            first_name="Ada",
            last_name="Admin",
            role=Role.ADMIN,
            is_staff=True,
        ),
    }
    TeamMembership.objects.create(team=l1, user=people["alice"])
    TeamMembership.objects.create(team=l1, user=people["bob"], is_lead=True)
    TeamMembership.objects.create(team=l2, user=people["carol"])
    people.update({"acme": acme, "globex": globex, "l1": l1, "l2": l2})
    return people
