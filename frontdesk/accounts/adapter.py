"""allauth hooks: where people land after signing in, and who may sign up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        if getattr(user, "is_agent", False):
            return reverse("desk:home")
        return reverse("portal:home")

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return getattr(settings, "FRONTDESK_OPEN_SIGNUP", True)
