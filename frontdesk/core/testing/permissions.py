"""Expected answers per persona, shared by the permission matrix and each app's routes.

An app adds its routes to the matrix in ``frontdesk/<app>/tests/permissions.py``:

    ROUTES = {"mail:mailbox_list": ("GET", ADMIN_PAGE), ...}
    FRESH = {"mail:..."}             # optional: routes whose success changes the scenario
    def route_kwargs(scenario):      # optional: URL kwargs per route name
        return {"mail:mailbox_edit": {"pk": ...}}

``scenario`` holds ``ticket`` (Dana's ticket in team L1), ``people`` (the personas and
teams) and ``kwargs``. A route in the URL conf but in no matrix fails the matrix test.
"""

from __future__ import annotations

PERSONAS = ("anon", "dana", "erik", "alice", "carol", "sam", "ada")
# Namespaces and prefixes owned by well-kept third-party apps with their own access rules.
THIRD_PARTY = ("admin", "django-admin/", "accounts/", "i18n/")

LOGIN = 302
AGENT_PAGE = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": 200,
    "carol": 200,
    "sam": 200,
    "ada": 200,
}
AGENT_TICKET_PAGE = {**AGENT_PAGE, "carol": 404}
AGENT_TICKET_POST = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": None,
    "carol": 404,
    "sam": None,
    "ada": None,
}
ADMIN_PAGE = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": 403,
    "carol": 403,
    "sam": 403,
    "ada": 200,
}

PORTAL_PAGE = {
    "anon": LOGIN,
    **dict.fromkeys(("dana", "erik", "alice", "carol", "sam", "ada"), 200),
}
# Staff opening a portal ticket page they may see are sent to the workspace (302).
PORTAL_TICKET = {
    "anon": LOGIN,
    "dana": 200,
    "erik": 404,
    "alice": 302,
    "carol": 404,
    "sam": 302,
    "ada": 302,
}

# The API answers 401 (not a login redirect) to callers without credentials.
API_ANY = {"anon": 401, **dict.fromkeys(PERSONAS[1:], 200)}
API_TICKET = {
    "anon": 401,
    "dana": 200,
    "erik": 404,
    "alice": 200,
    "carol": 404,
    "sam": 200,
    "ada": 200,
}
API_STAFF = {
    "anon": 401,
    "dana": 403,
    "erik": 403,
    "alice": 200,
    "carol": 200,
    "sam": 200,
    "ada": 200,
}
API_STAFF_POST = {**API_STAFF, "alice": None, "carol": None, "sam": None, "ada": None}
