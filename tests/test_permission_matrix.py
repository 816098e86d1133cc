"""Every route, every persona: who gets in, who is refused, who is not even told it exists.

The scenario: Dana (Acme) filed ticket T in team L1; Alice and Bob are L1 agents, Carol an
L2 agent (outsider to T), Erik a customer of Globex. A route that exists in the URL conf but
not in this matrix fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import frontdesk
from frontdesk.core.testing.permissions import (
    ADMIN_PAGE,
    AGENT_PAGE,
    AGENT_TICKET_PAGE,
    AGENT_TICKET_POST,
    API_ANY,
    API_STAFF,
    API_TICKET,
    LOGIN,
    PERSONAS,
    PORTAL_PAGE,
    PORTAL_TICKET,
    THIRD_PARTY,
)
from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.models import Macro, SavedView
from frontdesk.tickets.services import message_add

pytestmark = pytest.mark.django_db

# route name -> (method, kwargs builder key, expected status per persona; None = "allowed":
# any 2xx/3xx/400 that is not a login redirect or refusal)
MATRIX: dict[str, tuple[str, dict[str, int | None]]] = {
    "home": (
        "GET",
        {
            "anon": LOGIN,
            "dana": 302,
            "erik": 302,
            "alice": 302,
            "carol": 302,
            "sam": 302,
            "ada": 302,
        },
    ),
    "healthz": ("GET", dict.fromkeys(PERSONAS, 200)),
    "attachment": (
        "GET",
        {
            "anon": LOGIN,
            "dana": 200,
            "erik": 404,
            "alice": 200,
            "carol": 404,
            "sam": 200,
            "ada": 200,
        },
    ),
    "desk:home": ("GET", {**AGENT_PAGE, "alice": 302, "carol": 302, "sam": 302, "ada": 302}),
    "desk:view": ("GET", AGENT_PAGE),
    "desk:view_new": ("GET", AGENT_PAGE),
    "desk:view_counts": ("GET", AGENT_PAGE),
    "desk:view_edit": ("GET", {**AGENT_PAGE, "alice": 403, "carol": 403, "sam": 403}),
    "desk:search": ("GET", AGENT_PAGE),
    "desk:ticket_new": ("GET", AGENT_PAGE),
    "desk:bulk": (
        "POST",
        {
            "anon": LOGIN,
            "dana": 403,
            "erik": 403,
            "alice": 302,
            "carol": 302,
            "sam": 302,
            "ada": 302,
        },
    ),
    "desk:ticket": ("GET", AGENT_TICKET_PAGE),
    "desk:ticket_history": ("GET", AGENT_TICKET_PAGE),
    "desk:ticket_reply": ("POST", AGENT_TICKET_POST),
    "desk:ticket_properties": ("POST", AGENT_TICKET_POST),
    "desk:ticket_assign_me": ("POST", AGENT_TICKET_POST),
    "desk:ticket_solve": ("POST", AGENT_TICKET_POST),
    "desk:ticket_merge": ("POST", AGENT_TICKET_POST),
    "desk:ticket_link": ("POST", AGENT_TICKET_POST),
    "desk:message_split": ("POST", AGENT_TICKET_POST),
    "desk:macro_preview": ("GET", AGENT_TICKET_PAGE),
    "desk:presence": ("POST", {**AGENT_TICKET_POST, "alice": 200, "sam": 200, "ada": 200}),
    "desk:settings": ("GET", ADMIN_PAGE),
    "desk:settings_list": ("GET", ADMIN_PAGE),
    "desk:settings_new": ("GET", ADMIN_PAGE),
    "desk:settings_edit": ("GET", ADMIN_PAGE),
    "desk:priority_matrix": ("GET", ADMIN_PAGE),
    "api:api-root": ("GET", API_ANY),
    "api:schema": ("GET", dict.fromkeys(PERSONAS, 200)),
    "api:docs": ("GET", API_ANY),
    "api:me": ("GET", API_ANY),
    "api:ticket-list": ("GET", API_ANY),
    "api:ticket-detail": ("GET", API_TICKET),
    "api:ticket-messages": ("GET", API_TICKET),
    "api:ticket-links": ("GET", API_TICKET),
    "api:ticket-events": ("GET", {**API_TICKET, "dana": 403}),
    "api:ticket-merge": ("POST", {**API_TICKET, "dana": 403, "alice": 400, "sam": 400, "ada": 400}),
    "api:ticket-solve": ("POST", {**API_TICKET, "alice": 403, "sam": 403, "ada": 403}),
    "api:ticket-reopen": (
        "POST",
        {**API_TICKET, "dana": 400, "alice": 403, "sam": 403, "ada": 403},
    ),
    "api:attachment-download": ("GET", API_TICKET),
    "api:user-list": ("GET", API_ANY),
    "api:user-detail": ("GET", {**API_ANY, "erik": 404}),
    "api:organization-list": ("GET", API_ANY),
    "api:organization-detail": ("GET", {**API_ANY, "erik": 404}),
    "api:team-list": ("GET", API_STAFF),
    "api:team-detail": ("GET", API_STAFF),
    "api:tag-list": ("GET", API_STAFF),
    "api:custom-field-list": ("GET", API_ANY),
    "api:macro-list": ("GET", API_STAFF),
    "api:macro-detail": ("GET", API_STAFF),
    "api:macro-render": ("GET", {**API_STAFF, "alice": 400, "carol": 400, "sam": 400, "ada": 400}),
    "api:macro-apply": ("POST", {**API_STAFF, "alice": 400, "carol": 400, "sam": 400, "ada": 400}),
    "api:view-list": ("GET", API_STAFF),
    "api:view-detail": ("GET", API_STAFF),
    "api:view-tickets": ("GET", API_STAFF),
    "portal:home": ("GET", PORTAL_PAGE),
    "portal:requests": ("GET", PORTAL_PAGE),
    "portal:request_new": ("GET", PORTAL_PAGE),
    "portal:profile": ("GET", PORTAL_PAGE),
    "portal:request_detail": ("GET", PORTAL_TICKET),
    "portal:request_reply": ("POST", {**PORTAL_TICKET, "dana": 400}),
    "portal:request_solve": ("POST", {**PORTAL_TICKET, "dana": 302}),
    "portal:request_reopen": ("POST", {**PORTAL_TICKET, "dana": 302}),
}


def _app_route_modules() -> list:  # type: ignore[type-arg]
    """Each app's ``tests/permissions.py`` (see frontdesk/core/testing/permissions.py)."""
    found = []
    for info in pkgutil.iter_modules(frontdesk.__path__):
        try:
            found.append(importlib.import_module(f"frontdesk.{info.name}.tests.permissions"))
        except ModuleNotFoundError as exc:
            if exc.name not in (
                f"frontdesk.{info.name}.tests",
                f"frontdesk.{info.name}.tests.permissions",
            ):
                raise
    return found


APP_MODULES = _app_route_modules()
for _module in APP_MODULES:
    _overlap = set(_module.ROUTES) & set(MATRIX)
    assert not _overlap, f"{_module.__name__} repeats routes {_overlap}"
    MATRIX.update(_module.ROUTES)


def _route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if entry.namespace in THIRD_PARTY or route.startswith(THIRD_PARTY):
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, ns, route)
            elif isinstance(entry, URLPattern):
                if route.startswith(THIRD_PARTY):
                    continue
                assert entry.name, f"unnamed route {route!r}: name it and add it to the matrix"
                names.add(namespace + entry.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_route_is_in_the_matrix():
    missing = sorted(_route_names() - set(MATRIX))
    assert not missing, f"routes missing from the permission matrix: {missing}"


# Routes whose success changes what the next persona would find (the message moves away).
FRESH_SCENARIO_PER_PERSONA = {
    "desk:message_split",
    "desk:ticket_merge",
    "api:ticket-solve",
    "portal:request_solve",
}
for _module in APP_MODULES:
    FRESH_SCENARIO_PER_PERSONA |= set(getattr(_module, "FRESH", ()))


@pytest.fixture
def scenario(people, make_ticket):
    return _scenario(people, make_ticket)


def _scenario(people, make_ticket):  # type: ignore[no-untyped-def]
    ticket = make_ticket(requester=people["dana"], subject="Matrix ticket", team="l1")
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 64
    message = message_add(
        ticket=ticket,
        author=people["dana"],
        body_text="screenshot",
        attachments=[IncomingFile(name="shot.png", content=png)],
    )
    attachment = message.attachments.get()
    shared_view = SavedView.objects.filter(owner__isnull=True).first()
    macro = Macro.objects.create(name="Thanks", body="Thanks {{requester.first_name}}")
    kwargs = {
        "attachment": {"attachment_id": attachment.pk, "filename": attachment.filename},
        "desk:view": {"view_id": shared_view.pk},
        "desk:view_edit": {"view_id": shared_view.pk},
        "desk:settings_list": {"kind": "teams"},
        "desk:settings_new": {"kind": "statuses"},
        "desk:settings_edit": {"kind": "teams", "pk": people["l1"].pk},
        "desk:message_split": {"number": ticket.number, "message_id": message.pk},
        "api:attachment-download": {"attachment_id": attachment.pk},
        "api:user-detail": {"pk": people["dana"].pk},
        "api:organization-detail": {"pk": people["acme"].pk},
        "api:team-detail": {"pk": people["l1"].pk},
        "api:macro-detail": {"pk": macro.pk},
        "api:macro-render": {"pk": macro.pk},
        "api:macro-apply": {"pk": macro.pk},
        "api:view-detail": {"pk": shared_view.pk},
        "api:view-tickets": {"pk": shared_view.pk},
    }
    scenario = {"ticket": ticket, "kwargs": kwargs, "people": people}
    for module in APP_MODULES:
        if hasattr(module, "route_kwargs"):
            kwargs.update(module.route_kwargs(scenario))
    return scenario


def _url(name: str, scenario) -> str:  # type: ignore[no-untyped-def]
    kwargs = scenario["kwargs"].get(name)
    if kwargs is None:
        try:
            return reverse(name)
        except Exception:  # noqa: BLE001 - try the ticket-number form next
            kwargs = {"number": scenario["ticket"].number}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_persona_as_the_matrix_says(name, scenario, client, people, make_ticket):
    method, expected = MATRIX[name]
    for persona in PERSONAS:
        if name in FRESH_SCENARIO_PER_PERSONA:
            scenario = _scenario(people, make_ticket)
        url = _url(name, scenario)
        client.logout()
        if persona != "anon":
            client.force_login(scenario["people"][persona])
        response = client.get(url) if method == "GET" else client.post(url, {})
        want = expected[persona]
        got = response.status_code
        if want is None:
            refused = got in (401, 403, 404, 405) or (
                got == 302 and "/accounts/login/" in response.get("Location", "")
            )
            assert not refused and got < 500, f"{name} {persona}: got {got}, expected allowed"
        else:
            assert got == want, f"{name} as {persona}: got {got}, expected {want}"
            if want == LOGIN and persona == "anon":
                assert "/accounts/login/" in response["Location"]
