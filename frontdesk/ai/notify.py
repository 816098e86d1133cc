"""Telling supervisors about a fast-growing cluster of similar tickets (email)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, User
from frontdesk.ai.models import ClusterAlert


def cluster_notify(alert: ClusterAlert) -> None:
    """Mail each active supervisor (in their language) after the alert is committed."""

    def send() -> None:
        site = getattr(settings, "SITE_URL", "").rstrip("/")
        link = site + reverse("ai:cluster", args=[alert.pk])
        for user in User.objects.filter(role=Role.SUPERVISOR, is_active=True).exclude(email=""):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = _("%(n)d similar tickets in a short time: %(summary)s") % {
                    "n": len(alert.ticket_ids),
                    "summary": alert.summary,
                }
                body = "\n".join(
                    [
                        _("Several customers wrote about what looks like the same problem."),
                        _("Likely shared cause: %(summary)s") % {"summary": alert.summary},
                        "",
                        _("See them and link all of them under one parent ticket:"),
                        link,
                    ]
                )
            EmailMessage(subject=subject, body=body, to=[user.email]).send()

    transaction.on_commit(send)
