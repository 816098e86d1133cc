"""Every API route, read by every persona, on a ticket Dana opened for team L1.

The table is the contract: a customer never sees another organization's data (404, not
403), configuration is for staff (403), and anonymous callers are asked to authenticate.
"""

from __future__ import annotations

import pytest

from frontdesk.tickets.attachments import IncomingFile
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, Macro, SavedView
from frontdesk.tickets.services import message_receive

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "dana", "erik", "alice", "carol", "sam", "ada")

# route -> status for (anonymous, dana, erik, alice, carol, sam, ada)
MATRIX = {
    "/api/v1/schema/": (200, 200, 200, 200, 200, 200, 200),
    "/api/v1/docs/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/me/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/tickets/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/tickets/{number}/": (401, 200, 404, 200, 404, 200, 200),
    "/api/v1/tickets/{number}/messages/": (401, 200, 404, 200, 404, 200, 200),
    "/api/v1/tickets/{number}/links/": (401, 200, 404, 200, 404, 200, 200),
    "/api/v1/tickets/{number}/events/": (401, 403, 404, 200, 404, 200, 200),
    "/api/v1/tickets/{number}/merge/": (401, 405, 405, 405, 405, 405, 405),
    "/api/v1/tickets/{number}/solve/": (401, 405, 405, 405, 405, 405, 405),
    "/api/v1/tickets/{number}/reopen/": (401, 405, 405, 405, 405, 405, 405),
    "/api/v1/attachments/{attachment}/": (401, 200, 404, 200, 404, 200, 200),
    "/api/v1/users/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/users/{dana}/": (401, 200, 404, 200, 200, 200, 200),
    "/api/v1/organizations/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/organizations/{acme}/": (401, 200, 404, 200, 200, 200, 200),
    "/api/v1/teams/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/teams/{l1}/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/tags/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/custom-fields/": (401, 200, 200, 200, 200, 200, 200),
    "/api/v1/macros/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/macros/{macro}/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/macros/{macro}/render/?ticket={number}": (401, 403, 403, 200, 400, 200, 200),
    "/api/v1/macros/{macro}/apply/": (401, 403, 403, 405, 405, 405, 405),
    "/api/v1/views/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/views/{view}/": (401, 403, 403, 200, 200, 200, 200),
    "/api/v1/views/{view}/tickets/": (401, 403, 403, 200, 200, 200, 200),
}


@pytest.mark.parametrize("route", list(MATRIX))
def test_every_route_answers_each_persona_as_the_matrix_says(
    api_as, client, people, dana_ticket, route
):
    macro = Macro.objects.create(name="Thanks", body="Thanks {{requester.first_name}}")
    view = SavedView.objects.get(key="all-open", owner=None)
    attachment = message_receive(
        inbound=InboundMessage(
            channel=Channel.PORTAL,
            author=people["dana"],
            ticket=dana_ticket,
            body_text="photo",
            attachments=[IncomingFile(name="photo.txt", content=b"x")],
        )
    ).attachments.get()
    url = route.format(
        number=dana_ticket.number,
        dana=people["dana"].pk,
        acme=people["acme"].pk,
        l1=people["l1"].pk,
        macro=macro.pk,
        view=view.pk,
        attachment=attachment.pk,
    )
    got = []
    for persona in PERSONAS:
        if route == "/api/v1/docs/":
            # The docs page is for browsers: a session, not a token.
            client.logout()
            if persona != "anonymous":
                client.force_login(people[persona])
            got.append(client.get(url).status_code)
        else:
            got.append(api_as(None if persona == "anonymous" else persona).get(url).status_code)
    assert dict(zip(PERSONAS, got, strict=True)) == dict(zip(PERSONAS, MATRIX[route], strict=True))
