"""Customer organizations and the email domains that map contacts to them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A customer company. Its managers may see all of its tickets in the portal."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """New contacts whose address has this domain join the organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("organization domain")
        verbose_name_plural = _("organization domains")

    def __str__(self) -> str:
        return self.domain
