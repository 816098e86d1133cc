"""The notifications app's routes in the permission matrix (tests/test_permission_matrix.py)."""

from __future__ import annotations

from frontdesk.core.testing.permissions import ADMIN_PAGE, AGENT_PAGE, LOGIN

ADMIN_POST = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": 403,
    "carol": 403,
    "sam": 403,
    "ada": None,
}
AGENT_POST = {**ADMIN_POST, "alice": None, "carol": None, "sam": None}
# Alice's own notification: other agents are not told it exists.
OWN_NOTIFICATION = {
    "anon": LOGIN,
    "dana": 403,
    "erik": 403,
    "alice": 302,
    "carol": 404,
    "sam": 404,
    "ada": 404,
}

ROUTES = {
    "notifications:list": ("GET", AGENT_PAGE),
    "notifications:bell": ("GET", AGENT_PAGE),
    "notifications:mark_read": ("POST", AGENT_POST),
    "notifications:open": ("GET", OWN_NOTIFICATION),
    "notifications:mark_unread": ("POST", OWN_NOTIFICATION),
    "notifications:preferences": ("GET", AGENT_PAGE),
    "notifications:templates": ("GET", ADMIN_PAGE),
    "notifications:template_edit": ("GET", ADMIN_PAGE),
    "notifications:webhooks": ("GET", ADMIN_PAGE),
    "notifications:webhook_new": ("GET", ADMIN_PAGE),
    "notifications:webhook_edit": ("GET", ADMIN_PAGE),
    "notifications:webhook_delete": ("POST", ADMIN_POST),
    "notifications:webhook_test": ("POST", ADMIN_POST),
    "notifications:allowed_host_add": ("POST", ADMIN_POST),
    "notifications:allowed_host_delete": ("POST", ADMIN_POST),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.core import clock
    from frontdesk.notifications.models import AllowedHost, Notification, WebhookSubscription

    people = scenario["people"]
    ticket = scenario["ticket"]
    notification = Notification.objects.create(
        user=people["alice"],
        kind="assigned",
        ticket=ticket,
        title="Matrix",
        url=f"/desk/tickets/{ticket.number}/",
        key=f"matrix:{ticket.pk}",
        created_at=clock.now(),
    )
    # A documentation address: the SSRF guard refuses it without any network access.
    hook = WebhookSubscription.objects.create(
        name="Matrix hook", url="http://192.0.2.1/hook", events=["ticket.created"]
    )
    allowed = AllowedHost.objects.create(host=f"matrix-{ticket.pk}.example")
    return {
        "notifications:open": {"pk": notification.pk},
        "notifications:mark_unread": {"pk": notification.pk},
        "notifications:template_edit": {"event": "solved", "language": "en"},
        "notifications:webhook_edit": {"pk": hook.pk},
        "notifications:webhook_delete": {"pk": hook.pk},
        "notifications:webhook_test": {"pk": hook.pk},
        "notifications:allowed_host_delete": {"pk": allowed.pk},
    }
