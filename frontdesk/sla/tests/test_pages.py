"""What agents and admins see: countdown badges, the ticket panel, the escalate action, the
settings pages, "next due" sorting and the "Breaching soon" view."""

from __future__ import annotations

import re

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontdesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy, SlaTarget
from frontdesk.sla.tests.conftest import sto
from frontdesk.tickets.models import Message, MessageKind, Priority, SavedView
from frontdesk.tickets.queues import keyset_page, view_queryset

pytestmark = pytest.mark.django_db


def shared(key: str) -> SavedView:
    return SavedView.objects.get(owner__isnull=True, key=key)


def test_list_shows_countdowns_without_a_query_per_row(client, desk, office_policy, people):
    for i in range(2):
        desk.open(sto(2025, 3, 4, 16, 0), subject=f"few {i}")
    client.force_login(people["alice"])
    url = reverse("desk:view", args=[shared("all-open").pk])
    with desk.at(sto(2025, 3, 4, 16, 15)):
        client.get(url)  # calendars load once per process
        with CaptureQueriesContext(connection) as few:
            page = client.get(url).content.decode()
        # Opened at 16:00: the first response is due at 17:00, 45 minutes from now.
        assert page.count("First response 45m left") == 2
        assert 'title="Due 2025-03-04 17:00"' in page
    for i in range(6):
        desk.open(sto(2025, 3, 4, 16, 0), subject=f"many {i}")
    with desk.at(sto(2025, 3, 4, 16, 15)):
        # The new tickets notified Alice: her bell counts once again, then is cached, as
        # before the first measurement.
        client.get(url)
        with CaptureQueriesContext(connection) as many:
            page = client.get(url).content.decode()
    assert page.count("sla-badge") == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_badge_turns_red_when_overdue_even_before_the_scanner_runs(
    client, desk, office_policy, people
):
    desk.open(sto(2025, 3, 4, 9, 0))
    client.force_login(people["alice"])
    url = reverse("desk:view", args=[shared("all-open").pk])
    with desk.at(sto(2025, 3, 4, 10, 20)):
        page = client.get(url).content.decode()
    assert "First response overdue 20m" in page
    assert "sla-breached status-open" in page


def test_paused_ticket_shows_a_stopped_clock(client, desk, office_policy, people):
    from frontdesk.tickets.models import Status

    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.reply(ticket, sto(2025, 3, 4, 9, 5), status=Status.objects.get(slug="pending"))
    client.force_login(people["alice"])
    with desk.at(sto(2025, 3, 4, 10, 0)):
        page = client.get(reverse("desk:view", args=[shared("all-open").pk])).content.decode()
    assert "Resolution paused" in page or "Periodic update paused" in page


def test_ticket_page_explains_the_sla(client, desk, office_policy, people):
    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    desk.reply(ticket, sto(2025, 3, 4, 9, 20))
    desk.scan(sto(2025, 3, 4, 17, 0))
    client.force_login(people["alice"])
    with desk.at(sto(2025, 3, 4, 17, 0)):
        page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Policy: Standard" in page
    assert "First response" in page and "met" in page and "after 20m" in page
    assert "Resolution" in page and "8h 0m in business hours" in page
    assert "7h 0m elapsed" in page  # 9-12 and 13-17 on Tuesday
    assert "Breach" in page and "Periodic update" in page  # recorded at 13:20


def test_alice_escalates_from_the_ticket_page_with_a_reason(client, desk, people):
    ticket = desk.open(sto(2025, 3, 4, 9, 0), assignee=people["alice"])
    client.force_login(people["alice"])
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Escalate to L2" in page
    url = reverse("sla:escalate", args=[ticket.number])
    refused = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Say why the ticket needs the next tier." in refused
    ticket.refresh_from_db()
    assert ticket.team == people["l1"]
    response = client.post(url, {"reason": "Needs a DBA"})
    # L2 owns it now and nobody is assigned: Alice goes back to her queues.
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:home")
    ticket.refresh_from_db()
    assert ticket.team == people["l2"]
    note = Message.objects.get(ticket=ticket, kind=MessageKind.NOTE)
    assert "Needs a DBA" in note.body_text
    client.force_login(people["sam"])
    history = client.get(reverse("desk:ticket_history", args=[ticket.number])).content.decode()
    assert "L2" in history


def test_ada_sets_up_hours_holidays_a_policy_and_a_rule(client, people, make_ticket):
    client.force_login(people["ada"])
    assert client.get(reverse("sla:settings")).status_code == 200
    response = client.post(
        reverse("sla:calendar_new"),
        {
            "name": "Stockholm office",
            "time_zone": "Europe/Stockholm",
            "country": "SE",
            "holiday_categories": "public",
            **{d: "08:00-12:00, 13:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    )
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Stockholm office")
    assert calendar.weekly["mon"] == "08:00-12:00, 13:00-17:00"
    bad = client.post(
        reverse("sla:calendar_new"),
        {"name": "Broken", "time_zone": "Mars/Olympus", "mon": "9-5"},
    )
    assert bad.status_code == 400
    assert "Unknown time zone" in bad.content.decode()

    client.post(
        reverse("sla:holiday_add", args=[calendar.pk]),
        {"date": "2025-12-24", "name": "Christmas Eve", "yearly": "on"},
    )
    ics = icalendar.Calendar()
    event = icalendar.Event()
    event.add("summary", "Company retreat")
    event.add("dtstart", __import__("datetime").date(2025, 9, 1))
    event.add("dtend", __import__("datetime").date(2025, 9, 3))
    ics.add_component(event)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("sla:calendar_ical", args=[calendar.pk]),
        {"file": SimpleUploadedFile("retreat.ics", ics.to_ical(), "text/calendar")},
    )
    assert sorted((str(h.date), h.yearly) for h in calendar.holiday_rows.all()) == [
        ("2025-09-01", False),
        ("2025-09-02", False),
        ("2025-12-24", True),
    ]

    normal = Priority.objects.get(slug="normal")
    form = {
        "name": "Standard",
        "position": "1",
        "active": "on",
        "calendar": str(calendar.pk),
        "pause_categories": ["pending", "on_hold"],
        "warning_percent": "80",
        "channel": ["portal"],
        f"t_{normal.pk}_first_response": "60",
        f"b_{normal.pk}_first_response": "on",
        f"t_{normal.pk}_resolution": "480",
        f"b_{normal.pk}_resolution": "on",
    }
    response = client.post(reverse("sla:policy_new"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Standard")
    assert policy.conditions == [{"field": "channel", "values": ["portal"]}]
    assert set(SlaTarget.objects.filter(policy=policy).values_list("kind", "minutes")) == {
        ("first_response", 60),
        ("resolution", 480),
    }
    edit = client.get(reverse("sla:policy_edit", args=[policy.pk])).content.decode()
    assert 'value="480"' in edit

    response = client.post(
        reverse("sla:rule_new"),
        {
            "name": "Tell the lead",
            "position": "0",
            "active": "on",
            "trigger": "breach",
            "target": "first_response",
            "notify_team_lead": "on",
        },
    )
    assert response.status_code == 302
    assert EscalationRule.objects.get().notify_team_lead
    page = client.get(reverse("sla:settings")).content.decode()
    assert "Tell the lead" in page and "Standard" in page and "Stockholm office" in page


def test_settings_index_links_to_sla(client, people):
    client.force_login(people["ada"])
    page = client.get(reverse("desk:settings")).content.decode()
    assert reverse("sla:settings") in page


def test_breaching_soon_lists_overdue_and_nearly_due_tickets_first(
    client, desk, office_policy, people
):
    late = desk.open(sto(2025, 3, 4, 8, 0), subject="late")  # due 09:00
    soon = desk.open(sto(2025, 3, 4, 9, 30), subject="soon")  # due 10:30
    later = desk.open(sto(2025, 3, 4, 10, 0), subject="later", urgency="low", impact="low")
    unanswered_low = later  # low: 4h first response, due 14:00 (outside two hours)
    client.force_login(people["sam"])
    view = shared("breaching-soon")
    with desk.at(sto(2025, 3, 4, 10, 0)):
        page = client.get(reverse("desk:view", args=[view.pk])).content.decode()
        counts = client.get(reverse("desk:view_counts")).content.decode()
    numbers = [int(n) for n in re.findall(r'name="tickets" value="(\d+)"', page)]
    assert numbers == [late.number, soon.number]
    assert unanswered_low.number not in numbers
    assert re.search(r"Breaching soon.*?\(?2\)?", counts, re.S)


def test_next_due_sort_walks_every_ticket_once_with_tickets_without_sla_last(
    desk, office_policy, people
):
    from frontdesk.sla.services import policy_save

    tickets = [desk.open(sto(2025, 3, 4, 9, i)) for i in range(5)]
    # Two tickets of a team no policy covers: no due time, they sort last.
    policy_save(
        policy=office_policy,
        name="Standard",
        calendar=office_policy.calendar,
        conditions=[{"field": "team", "values": [people["l1"].pk]}],
    )
    no_sla = [desk.open(sto(2025, 3, 4, 9, 30), team="l2") for _ in range(2)]
    tickets.append(desk.open(sto(2025, 3, 4, 8, 0)))
    expected = [tickets[-1].pk] + [t.pk for t in tickets[:5]] + sorted(t.pk for t in no_sla)
    queryset = view_queryset(shared("all-open"), user=people["sam"])
    seen, cursor = [], None
    while True:
        page = keyset_page(queryset, sort="sla_due_at", cursor=cursor, before=False, size=3)
        seen += [t.pk for t in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    # And back again from the end.
    back, cursor = [], page.prev_cursor
    while cursor:
        previous = keyset_page(queryset, sort="sla_due_at", cursor=cursor, before=True, size=3)
        back = [t.pk for t in previous.rows] + back
        cursor = previous.prev_cursor
    assert back + [t.pk for t in page.rows] == expected


def test_badge_turns_amber_at_the_warning_threshold_before_the_scanner_runs(desk, office_policy):
    from frontdesk.sla.selectors import badge_for

    ticket = desk.open(sto(2025, 3, 4, 9, 0))
    before = badge_for(ticket, now=sto(2025, 3, 4, 9, 44))
    after = badge_for(ticket, now=sto(2025, 3, 4, 9, 46))
    assert (before.state, before.text) == ("ok", "First response 16m left")
    assert (after.state, after.colour, after.text) == (
        "warning",
        "status-pending",
        "First response 14m left",
    )


def _ics(*events: bytes) -> bytes:
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"".join(events) + b"END:VCALENDAR\r\n"


def test_ical_import_takes_whole_days_only_and_names_an_unreadable_event(client, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people["ada"])
    client.post(
        reverse("sla:calendar_new"),
        {"name": "Gothenburg office", "time_zone": "Europe/Stockholm", "mon": "08:00-17:00"},
    )
    calendar = BusinessCalendar.objects.get(name="Gothenburg office")
    url = reverse("sla:calendar_ical", args=[calendar.pk])
    upload = _ics(
        b"BEGIN:VEVENT\r\nSUMMARY:Midsummer\r\nDTSTART;VALUE=DATE:20250620\r\n"
        b"DTEND;VALUE=DATE:20250621\r\nEND:VEVENT\r\n",
        # A two-hour meeting is not a holiday; a cancelled day off is no day off.
        b"BEGIN:VEVENT\r\nSUMMARY:Staff meeting\r\nDTSTART:20250623T130000Z\r\n"
        b"DTEND:20250623T150000Z\r\nEND:VEVENT\r\n",
        b"BEGIN:VEVENT\r\nSUMMARY:Closed\r\nSTATUS:CANCELLED\r\nDTSTART;VALUE=DATE:20250624\r\n"
        b"END:VEVENT\r\n",
    )
    response = client.post(
        url, {"file": SimpleUploadedFile("days.ics", upload, "text/calendar")}, follow=True
    )
    assert "1 holidays imported" in response.content.decode()
    assert [str(h.date) for h in calendar.holiday_rows.all()] == ["2025-06-20"]
    broken = _ics(b"BEGIN:VEVENT\r\nSUMMARY:Founders day\r\nDTSTART:garbage\r\nEND:VEVENT\r\n")
    response = client.post(
        url, {"file": SimpleUploadedFile("broken.ics", broken, "text/calendar")}, follow=True
    )
    assert response.status_code == 200
    assert "The event “Founders day” has a date that cannot be read." in response.content.decode()
    assert calendar.holiday_rows.count() == 1
