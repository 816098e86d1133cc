"""Every write about organizations."""

from __future__ import annotations

from django.db import transaction

from frontdesk.customers.models import Organization, OrganizationDomain


@transaction.atomic
def organization_save(
    *,
    organization: Organization | None,
    name: str,
    domains: list[str] | None = None,
    notes: str = "",
) -> Organization:
    organization = organization or Organization()
    organization.name, organization.notes = name.strip(), notes
    organization.full_clean()
    organization.save()
    if domains is not None:
        wanted = {d.strip().lower() for d in domains if d.strip()}
        organization.domains.exclude(domain__in=wanted).delete()
        for domain in wanted:
            OrganizationDomain.objects.update_or_create(
                domain=domain, defaults={"organization": organization}
            )
    return organization
