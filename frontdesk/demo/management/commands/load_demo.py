"""Load the demo desk: teams, staff, customers, macros and ~200 tickets with history.

Everything is written through the services, with timestamps spread over the last weeks,
so the demo has the same facts (events, first responses, reopen counts) as real use.
Running it again on a desk that already has tickets does nothing.
"""

from __future__ import annotations

import importlib
import json
import zlib
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from frontdesk.accounts.models import Team, TeamMembership, User
from frontdesk.accounts.services import team_save, user_create
from frontdesk.core import clock
from frontdesk.customers.services import organization_save
from frontdesk.demo.people import MACROS, PASSWORD, STAFF
from frontdesk.search.services import search_reindex
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, Macro, MessageKind, Status, Ticket, TicketType
from frontdesk.tickets.services import message_add, message_receive, ticket_update

# Apps that add their own demo content define ``before_tickets(context)`` and/or
# ``after_tickets(context)`` in ``frontdesk/<app>/demo.py``; context holds teams, staff,
# people (customers by email), now and stdout.
DEMO_APPS = (
    "sla",
    "mail",
    "knowledge",
    "community",
    "reporting",
    "automation",
    "notifications",
    "ai",
)
DATA = Path(__file__).resolve().parent.parent.parent / "data"
STATUS_SLUG = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "on_hold": "on-hold",
    "solved": "solved",
    "closed": "closed",
}
TYPE_SLUG = {
    "incident": "incident",
    "service_request": "service-request",
    "question": "question",
    "problem": "problem",
}


class Command(BaseCommand):
    help = "Load demo people and tickets (skipped when the desk already has tickets)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--force", action="store_true", help="Load even if tickets exist.")

    def handle(self, *args: object, **options: object) -> None:
        if Ticket.objects.exists() and not options["force"]:
            self.stdout.write("Demo data already loaded (the desk has tickets).")
            return
        customers = json.loads((DATA / "customers.json").read_text(encoding="utf-8"))
        tickets = json.loads((DATA / "tickets.json").read_text(encoding="utf-8"))
        with transaction.atomic():
            teams = self._teams()
            staff = self._staff(teams)
            people = self._customers(customers)
            self._macros(teams)
        now = clock.now()
        context = {
            "teams": teams,
            "staff": staff,
            "people": people,
            "now": now,
            "stdout": self.stdout,
        }
        hooks = [m for m in map(_demo_module, DEMO_APPS) if m is not None]
        for module in hooks:
            if hasattr(module, "before_tickets"):
                with transaction.atomic():
                    module.before_tickets(context)
        for item in sorted(tickets, key=lambda t: -t["age_days"]):
            with transaction.atomic():
                self._ticket(item, now=now, teams=teams, staff=staff, people=people)
        # The job worker would index each ticket too; doing it here makes search work at once.
        search_reindex()
        for module in hooks:
            if hasattr(module, "after_tickets"):
                with transaction.atomic():
                    module.after_tickets(context)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(staff)} staff, {len(people)} customers, {len(tickets)} tickets."
            )
        )

    def _teams(self) -> dict[str, Team]:
        l2 = Team.objects.filter(name="L2").first() or team_save(team=None, name="L2", tier="L2")
        l1 = Team.objects.filter(name="L1").first() or team_save(
            team=None, name="L1", tier="L1", escalates_to=l2
        )
        return {"L1": l1, "L2": l2}

    def _staff(self, teams: dict[str, Team]) -> dict[str, User]:
        staff = {}
        for email, first, last, role, team_names in STAFF:
            user = User.objects.filter(email=email).first() or user_create(
                email=email,
                first_name=first,
                last_name=last,
                role=role,
                password=PASSWORD,
                language="en",
            )
            for name in team_names:
                TeamMembership.objects.get_or_create(
                    team=teams[name], user=user, defaults={"is_lead": role == "supervisor"}
                )
            staff[email] = user
        return staff

    def _customers(self, data: dict) -> dict[str, User]:
        orgs = {
            org["name"]: organization_save(
                organization=None, name=org["name"], domains=org.get("domains", [])
            )
            for org in data["organizations"]
        }
        people = {}
        for person in data["customers"]:
            people[person["email"]] = User.objects.filter(
                email=person["email"]
            ).first() or user_create(
                email=person["email"],
                first_name=person["first_name"],
                last_name=person.get("last_name", ""),
                organization=orgs.get(person.get("organization") or ""),
                is_org_manager=bool(person.get("org_manager")),
                language=person.get("language", "en"),
                password=PASSWORD,
            )
        return people

    def _macros(self, teams: dict[str, Team]) -> None:
        for spec in MACROS:
            actions = dict(spec["actions"])
            if "team" in actions:
                actions["team"] = teams[actions["team"]].pk
            if actions.get("assignee") is None:
                actions.pop("assignee", None)
            Macro.objects.get_or_create(
                name=spec["name"],
                defaults={
                    "body": spec["body"],
                    "actions": actions,
                    "kind": spec.get("kind", MessageKind.PUBLIC),
                },
            )

    def _ticket(self, item: dict, *, now, teams, staff, people) -> None:  # type: ignore[no-untyped-def]
        created = now - timedelta(
            days=item["age_days"], minutes=zlib.crc32(item["subject"].encode()) % 600
        )
        requester = people[item["requester"]]
        assignee = staff.get(item.get("assignee") or "")
        messages = item["messages"]
        first = messages[0]
        message = message_receive(
            inbound=InboundMessage(
                channel=Channel(item["channel"]),
                author=requester,
                subject=item["subject"],
                body_text=first["body"],
                ticket_type=TicketType.objects.get(slug=TYPE_SLUG[item["type"]]),
                urgency=item["urgency"],
                impact=item["impact"],
                tags=item.get("tags", []),
                cc=[people[e] for e in item.get("cc", []) if e in people],
                team=teams[item["team"]],
                language=item.get("language", "en"),
                received_at=created,
            )
        )
        ticket = message.ticket
        agent = assignee or staff["alice@example.com"]
        if assignee is not None:
            ticket_update(
                ticket=ticket,
                actor=assignee,
                changes={"assignee": assignee},
                at=created + timedelta(minutes=1),
            )
        last = created
        for entry in messages[1:]:
            at = min(created + timedelta(minutes=entry["after_minutes"]), now)
            last = max(last, at)
            if entry["from"] == "requester":
                message_add(
                    ticket=ticket,
                    author=requester,
                    body_text=entry["body"],
                    channel=item["channel"],
                    at=at,
                )
            else:
                kind = MessageKind.NOTE if entry["from"] == "note" else MessageKind.PUBLIC
                message_add(ticket=ticket, author=agent, body_text=entry["body"], kind=kind, at=at)
        ticket.refresh_from_db()
        status = Status.objects.get(slug=STATUS_SLUG[item["status"]])
        if ticket.status_id != status.pk:
            ticket_update(
                ticket=ticket,
                actor=agent,
                changes={"status": status},
                at=last + timedelta(minutes=5),
            )


def _demo_module(app: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"frontdesk.{app}.demo")
    except ModuleNotFoundError as exc:
        if exc.name != f"frontdesk.{app}.demo":
            raise
        return None
