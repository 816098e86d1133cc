"""The reporting pages as people use them: dashboards, builder, saved reports, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from frontdesk.reporting.exports import Table, cell_safe, table_csv, table_xlsx
from frontdesk.reporting.models import SavedReport
from frontdesk.reporting.services import reports_send_due, schedule_next

pytestmark = pytest.mark.django_db


def _chart(page, name: str) -> dict:
    html = page.content.decode()
    start = html.index(f'id="{name}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_sam_sees_the_whole_desk_on_the_dashboard(desk_week, after_week, people, client):
    client.force_login(people["sam"])
    page = client.get(reverse("reporting:dashboard"), {"start": "2026-03-02", "end": "2026-03-06"})
    assert page.status_code == 200
    volume = _chart(page, "data-volume")
    assert volume["labels"][:3] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert volume["datasets"][0]["data"][:3] == [4, 1, 0]  # created
    assert volume["datasets"][1]["data"][:3] == [1, 1, 1]  # solved
    assert sum(_chart(page, "data-first-response")["datasets"][0]["data"]) == 3
    assert sum(_chart(page, "data-backlog")["datasets"][0]["data"]) == 1
    assert "Carol" in page.content.decode()  # the agents table lists every team


def test_alice_sees_only_her_teams_figures(desk_week, after_week, people, client):
    client.force_login(people["alice"])
    page = client.get(reverse("reporting:dashboard"), {"start": "2026-03-02", "end": "2026-03-06"})
    volume = _chart(page, "data-volume")
    assert volume["datasets"][1]["data"][:3] == [1, 1, 0]  # Carol's L2 solve is not hers
    assert "Carol" not in page.content.decode()
    # Asking for another team's figures gives nothing rather than the other team's numbers.
    page = client.get(
        reverse("reporting:dashboard"),
        {"start": "2026-03-02", "end": "2026-03-06", "team": people["l2"].pk},
    )
    assert sum(_chart(page, "data-volume")["datasets"][0]["data"]) == 0


def test_a_filter_changes_the_dashboard(desk_week, after_week, people, client):
    client.force_login(people["sam"])
    page = client.get(
        reverse("reporting:dashboard"),
        {"start": "2026-03-02", "end": "2026-03-06", "channel": "email"},
    )
    assert _chart(page, "data-volume")["datasets"][0]["data"][:2] == [1, 1]


def test_the_dashboard_runs_a_fixed_number_of_queries(
    desk_week, after_week, people, client, django_assert_max_num_queries
):
    client.force_login(people["sam"])
    client.get(reverse("reporting:dashboard"))  # warm caches (content types, settings row)
    # Session, user, filter choices (3), sidebar views, notifications bell, CSAT settings,
    # recent comments; then aggregates that each answer several figures (per period and
    # agent, added up), the same number whatever the number of tickets or agents.
    with django_assert_max_num_queries(30):
        client.get(reverse("reporting:dashboard"), {"days": 90})
    with django_assert_max_num_queries(12):
        client.get(reverse("reporting:live"))


def test_live_counters_compare_today_with_last_week(people, make_ticket, client):
    make_ticket()
    make_ticket()
    client.force_login(people["sam"])
    page = client.get(reverse("reporting:live"))
    assert b'data-counter="created">2<' in page.content
    assert b'data-counter="open">2<' in page.content


def test_alice_sees_her_own_numbers(desk_week, after_week, people, client):
    client.force_login(people["alice"])
    page = client.get(reverse("reporting:agent"))
    assert page.status_code == 200
    assert "My queue" in page.content.decode()


def test_builder_groups_by_two_dimensions(desk_week, after_week, people, client):
    client.force_login(people["sam"])
    page = client.get(
        reverse("reporting:builder"),
        {
            "measure": "created",
            "group1": "day",
            "group2": "channel",
            "start": "2026-03-02",
            "end": "2026-03-06",
        },
    )
    assert page.status_code == 200
    chart = _chart(page, "data-report")
    by_label = {d["label"]: d["data"][:2] for d in chart["datasets"]}
    assert by_label == {"Portal": [3, 0], "Email": [1, 1]}


def test_builder_explains_an_impossible_grouping(people, client):
    client.force_login(people["sam"])
    page = client.get(reverse("reporting:builder"), {"measure": "nps", "group1": "team"})
    assert "cannot be grouped by Team" in page.content.decode()


def test_alice_saves_and_shares_a_report_carol_sees_her_own_figures(
    desk_week, after_week, people, client
):
    client.force_login(people["alice"])
    response = client.post(
        reverse("reporting:report_save"),
        {
            "measure": "solved",
            "group1": "team",
            "start": "2026-03-02",
            "end": "2026-03-06",
            "chart": "table",
            "name": "Solved per team",
            "shared": "on",
        },
    )
    report = SavedReport.objects.get()
    assert response["Location"] == reverse("reporting:report", args=[report.pk])
    assert report.owner == people["alice"] and report.shared
    client.force_login(people["carol"])
    page = client.get(reverse("reporting:report", args=[report.pk]))
    assert page.status_code == 200
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("reporting:report_export", args=[report.pk, "csv"])
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert rows == [["Team", "Tickets solved"], ["L2", "1"]]
    # Carol may read it but not change or delete it.
    assert client.post(reverse("reporting:report_delete", args=[report.pk])).status_code == 403


def test_an_unshared_report_is_private(people, client):
    report = SavedReport.objects.create(
        name="Mine",
        owner=people["alice"],
        spec={"measure": "created"},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    client.force_login(people["sam"])
    assert client.get(reverse("reporting:report", args=[report.pk])).status_code == 404


def test_export_is_safe_against_formula_injection(people, make_ticket, client):
    assert cell_safe('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    for bad in ("+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert cell_safe(bad).startswith("'")
    assert cell_safe(-5) == -5 and cell_safe("Acme") == "Acme"
    table = Table(title="T", headers=["Name", "n"], rows=[["=cmd|' /C calc'!A0", 3]])
    assert "'=cmd" in table_csv(table).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active
    name, number = sheet["A2"], sheet["B2"]
    assert name.value == "'=cmd|' /C calc'!A0" and name.data_type == "s"
    assert number.value == 3 and number.data_type == "n"
    assert sheet["A1"].value == "Name" and sheet["A1"].font.bold
    # Control characters a workbook cannot hold are dropped, not a broken file.
    odd = Table(title="T", headers=["x"], rows=[["bell\x07 and nul\x00"]])
    assert load_workbook(io.BytesIO(table_xlsx(odd))).active["A2"].value == "bell and nul"
    # End to end: an organization named like a formula comes out quoted.
    from frontdesk.customers.models import Organization

    org = Organization.objects.create(name="=1+2")
    people["dana"].organization = org
    people["dana"].save()
    make_ticket()
    client.force_login(people["sam"])
    response = client.get(
        reverse("reporting:export", args=["csv"]),
        {"measure": "created", "group1": "organization", "days": 7},
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert "'=1+2" in response.content.decode("utf-8-sig")
    xlsx = client.get(
        reverse("reporting:export", args=["xlsx"]),
        {"measure": "created", "group1": "organization", "days": 7},
    )
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx.content)).active for c in row]
    assert "'=1+2" in cells and "=1+2" not in cells


def test_agents_table_exports(desk_week, after_week, people, client):
    client.force_login(people["sam"])
    response = client.get(
        reverse("reporting:agents_export", args=["csv"]),
        {"start": "2026-03-02", "end": "2026-03-06"},
    )
    rows = {r[0]: r for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["Alice Agent"][1] == "2" and rows["Carol Outside"][1] == "1"


def test_a_weekly_report_is_emailed_with_its_csv(desk_week, after_week, people):
    import time_machine

    from frontdesk.reporting.reports import spec_parse
    from frontdesk.reporting.services import saved_report_save

    report = saved_report_save(
        report=None,
        owner=people["sam"],
        spec=spec_parse({"measure": "created", "group": ["team"], "days": 7}),
        name="Weekly created",
        shared=False,
        schedule="weekly",
        recipients="boss@example.com",
    )
    # Friday noon: next Monday 06:00 local.
    assert report.next_run_at == schedule_next("weekly", after=report.created_at)
    assert report.next_run_at == datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    assert reports_send_due() == 0
    with time_machine.travel(report.next_run_at, tick=False):
        assert reports_send_due() == 1
        assert reports_send_due() == 0  # claimed: sent once
    sent = mail.outbox[-1]
    assert sent.to == ["boss@example.com"]
    name, content, mimetype = sent.attachments[0]
    assert name.endswith(".csv") and mimetype == "text/csv"
    text = content if isinstance(content, str) else content.decode("utf-8-sig")
    assert "Team,Tickets created" in text


def test_admin_changes_survey_settings(people, client):
    client.force_login(people["ada"])
    response = client.post(
        reverse("reporting:survey_settings"),
        {
            "csat_enabled": "on",
            "csat_scale": "five",
            "reasons": "Slow\nUnclear\n",
            "csat_change_hours": "24",
            "nps_interval_days": "90",
            "nps_sample_percent": "50",
            "agent_capacity": "20",
        },
    )
    assert response.status_code == 302
    from frontdesk.reporting.surveys import survey_settings_get

    saved = survey_settings_get()
    assert (saved.csat_scale, saved.csat_reasons, saved.nps_sample_percent) == (
        "five",
        ["Slow", "Unclear"],
        50,
    )


def test_reports_link_in_the_workspace(people, client):
    client.force_login(people["alice"])
    page = client.get(reverse("reporting:builder"))
    assert f'href="{reverse("reporting:dashboard")}"' in page.content.decode()


def _number(html: str, key: str) -> str:
    start = html.index(f'data-number="{key}">') + len(f'data-number="{key}">')
    return html[start : html.index("<", start)]


def test_alice_reads_her_numbers_workload_and_latest_ratings(
    desk_week, after_week, people, client, make_ticket
):
    """Alice solved T1 (1 h to first reply, 3 h to solve, one touch) and T2 (4 h, 25.5 h,
    two replies) in the last 30 days; Dana rated T1 bad; Alice carries one open ticket of
    a capacity of 4. Carol's rating of T3 is not on Alice's page."""
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure, survey_settings_save

    survey_settings_save(agent_capacity=4)
    make_ticket(subject="Monitor flickers", assignee=people["alice"])
    csat_answer(survey=csat_survey_ensure(ticket=desk_week["t1"]), rating=0, comment="Slow VPN")
    csat_answer(survey=csat_survey_ensure(ticket=desk_week["t3"]), rating=1, comment="Carol!")
    client.force_login(people["alice"])
    html = client.get(reverse("reporting:agent")).content.decode()
    assert _number(html, "solved") == "2"
    assert _number(html, "first_response_median") == "2 h 30 min"  # (1 h + 4 h) / 2
    assert _number(html, "resolution_median") == "14 h 15 min"  # (3 h + 25.5 h) / 2
    assert _number(html, "one_touch_rate") == "50.0 %"
    assert _number(html, "csat") == "0.0 %"
    assert _number(html, "workload") == "1/4"
    assert _number(html, "queue") == "(1)"
    assert "Slow VPN" in html and f"#{desk_week['t1'].number}" in html
    assert "Carol!" not in html


def test_the_team_dashboard_shows_that_teams_feedback_in_the_range(
    desk_week, after_week, people, client
):
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure, survey_settings_save

    survey_settings_save(csat_scale="five")
    csat_answer(survey=csat_survey_ensure(ticket=desk_week["t1"]), rating=2, comment="Slow VPN")
    csat_answer(survey=csat_survey_ensure(ticket=desk_week["t3"]), rating=5, comment="Carol!")
    client.force_login(people["sam"])
    week = {"start": "2026-03-02", "end": "2026-03-06"}
    html = client.get(reverse("reporting:dashboard"), week).content.decode()
    assert "Slow VPN" in html and "Carol!" in html
    assert 'data-rating="5">5/5<' in html and 'data-rating="2">2/5<' in html
    l2 = client.get(reverse("reporting:dashboard"), {**week, "team": people["l2"].pk})
    assert "Carol!" in l2.content.decode() and "Slow VPN" not in l2.content.decode()
    earlier = client.get(
        reverse("reporting:dashboard"), {"start": "2026-02-01", "end": "2026-02-28"}
    )
    assert "Carol!" not in earlier.content.decode()


def _pdf_text(content: bytes) -> str:
    """The text drawn by a PDF's page streams (our writer: one Tj per cell)."""
    import re
    import zlib

    texts = []
    for stream in re.findall(rb"stream\n(.*?)\nendstream", content, re.DOTALL):
        page = zlib.decompress(stream).decode("cp1252")
        texts += [
            t.replace("\\(", "(").replace("\\)", ")") for t in re.findall(r"\((.*?)\) Tj", page)
        ]
    return "\n".join(texts)


def test_sam_schedules_a_monthly_pdf_and_the_job_worker_mails_it(
    desk_week, after_week, people, client
):
    """Sam saves "Created per team" to be mailed monthly as a PDF. The job worker's
    15-minute task sends it on the 1st at 06:00 Stockholm time (summer time by April)."""
    import time_machine

    from frontdesk.reporting.tasks import reporting_schedules_send

    client.force_login(people["sam"])
    response = client.post(
        reverse("reporting:report_save"),
        {
            "measure": "created",
            "group1": "team",
            "start": "2026-03-02",
            "end": "2026-03-06",
            "chart": "table",
            "name": "Created per team (Ärenden)",
            "schedule": "monthly",
            "attachment": "pdf",
            "recipients": "boss@example.com",
        },
    )
    assert response.status_code == 302
    report = SavedReport.objects.get(name="Created per team (Ärenden)")
    assert report.attachment == "pdf"
    assert report.next_run_at == datetime(2026, 4, 1, 4, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 4, 1, 3, 59, tzinfo=UTC), tick=False):
        reporting_schedules_send()
    assert not [m for m in mail.outbox if m.to == ["boss@example.com"]]
    with time_machine.travel(datetime(2026, 4, 1, 4, 5, tzinfo=UTC), tick=False):
        reporting_schedules_send()
        reporting_schedules_send()  # the next run is claimed: May
    sent = [m for m in mail.outbox if m.to == ["boss@example.com"]]
    assert len(sent) == 1
    name, content, mimetype = sent[0].attachments[0]
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(content)
    assert "Created per team (Ärenden)" in text and "2026-03-02 to 2026-03-06" in text
    lines = text.splitlines()
    assert lines[lines.index("L1") + 1] == "4" and lines[lines.index("L2") + 1] == "1"
    report.refresh_from_db()
    assert report.next_run_at == datetime(2026, 5, 1, 4, 0, tzinfo=UTC)


def test_a_daily_report_goes_out_every_morning(after_week):
    # Friday 6 March noon: Saturday 06:00 (UTC+1), and from then Sunday 06:00.
    first = schedule_next("daily", after=datetime(2026, 3, 6, 11, 0, tzinfo=UTC))
    assert first == datetime(2026, 3, 7, 5, 0, tzinfo=UTC)
    assert schedule_next("daily", after=first) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_a_long_table_pdf_runs_over_pages_and_quotes_its_text():
    from frontdesk.reporting.pdf import table_pdf

    table = Table(
        title="Tags (a) \\ b",
        headers=["Tag", "Tickets"],
        rows=[[f"tag-{i}", i] for i in range(120)],
    )
    content = table_pdf(table)
    assert content.count(b"/Type /Page ") == 3  # about 50 rows a page
    text = _pdf_text(content)
    assert text.count("Tags (a) \\\\ b") == 3  # the title on every page, backslash escaped
    assert "tag-119" in text and "3 / 3" in text


def test_picking_only_a_from_date_shows_from_then_to_today(desk_week, after_week, people, client):
    """The filter form sends as soon as one date is picked: From Wednesday means Wednesday
    to today (Friday); To Tuesday alone means the seven days up to Tuesday."""
    client.force_login(people["sam"])
    page = client.get(reverse("reporting:dashboard"), {"start": "2026-03-04", "days": "30"})
    assert _chart(page, "data-volume")["labels"] == ["2026-03-04", "2026-03-05", "2026-03-06"]
    page = client.get(reverse("reporting:dashboard"), {"end": "2026-03-03", "days": "7"})
    volume = _chart(page, "data-volume")
    assert volume["labels"][0] == "2026-02-25" and volume["labels"][-1] == "2026-03-03"
    assert volume["datasets"][0]["data"][-2:] == [4, 1]


def test_an_impossible_date_is_named_not_a_crash(people, client):
    client.force_login(people["sam"])
    for bad in ({"end": "0001-01-02"}, {"start": "9999-12-31"}, {"start": "2026-02-30"}):
        response = client.get(
            reverse("reporting:export", args=["csv"]), {"measure": "created", **bad}
        )
        assert response.status_code == 400, bad
        assert b"date" in response.content
        assert client.get(reverse("reporting:dashboard"), bad).status_code == 200


def test_the_desk_dashboard_shows_nps_but_not_for_one_team(desk_week, after_week, people, client):
    """Dana (Acme) answers 10, Erik (Globex) 3: (1 promoter - 1 detractor) / 2 = 0; Acme
    alone +100. NPS is not a team's figure, so a team's dashboard leaves it out."""
    from frontdesk.reporting.models import NpsSurvey
    from frontdesk.reporting.surveys import nps_answer

    for contact, score in ((people["dana"], 10), (people["erik"], 3)):
        survey = NpsSurvey.objects.create(
            contact=contact,
            organization_id=contact.organization_id,
            period=1,
            created_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
        )
        nps_answer(survey=survey, score=score)
    client.force_login(people["sam"])
    week = {"start": "2026-03-02", "end": "2026-03-06"}
    html = client.get(reverse("reporting:dashboard"), week).content.decode()
    assert 'Net Promoter Score</span><span class="kpi-value">+0<' in html
    acme = client.get(reverse("reporting:dashboard"), {**week, "organization": people["acme"].pk})
    assert 'Net Promoter Score</span><span class="kpi-value">+100<' in acme.content.decode()
    l1 = client.get(reverse("reporting:dashboard"), {**week, "team": people["l1"].pk})
    assert "Net Promoter Score" not in l1.content.decode()


def test_the_agent_dashboard_runs_a_fixed_number_of_queries(
    desk_week, after_week, people, client, make_ticket, django_assert_max_num_queries
):
    from frontdesk.reporting.surveys import csat_answer, csat_survey_ensure

    for n in range(3):
        make_ticket(subject=f"Open {n}", assignee=people["alice"])
    for key in ("t1", "t2"):
        csat_answer(survey=csat_survey_ensure(ticket=desk_week[key]), rating=1)
    client.force_login(people["alice"])
    client.get(reverse("reporting:agent"))  # warm caches (content types, settings row)
    # Session, user, sidebar, bell; one query per number (6); queue, its total, SLA risks,
    # latest ratings: the same whatever the number of tickets or ratings.
    with django_assert_max_num_queries(20):
        page = client.get(reverse("reporting:agent"))
    assert _number(page.content.decode(), "queue") == "(3)"


def test_a_builder_table_downloads_as_pdf(desk_week, after_week, people, client):
    client.force_login(people["sam"])
    response = client.get(
        reverse("reporting:export", args=["pdf"]),
        {"measure": "created", "group1": "channel", "start": "2026-03-02", "end": "2026-03-06"},
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="created.pdf"'
    lines = _pdf_text(response.content).splitlines()
    assert lines[lines.index("Portal") + 1] == "3" and lines[lines.index("Email") + 1] == "2"
    assert (
        client.get(reverse("reporting:export", args=["doc"]), {"measure": "created"}).status_code
        == 404
    )
