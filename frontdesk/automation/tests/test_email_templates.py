"""Named email templates: Ada writes one in English and Swedish; a rule sends it to each
customer in their own language; renaming it keeps the rules working."""

from __future__ import annotations

import pytest
from django.core import mail

from frontdesk.automation.models import AutomationRun, EmailTemplate, Trigger
from frontdesk.automation.services import email_template_save, trigger_save

pytestmark = pytest.mark.django_db

WELCOME = {
    "en": {
        "subject": "We got #{{ticket.number}}",
        "body": "Hello {{requester.first_name}}, we are on it.",
    },
    "sv": {
        "subject": "Vi har fått #{{ticket.number}}",
        "body": "Hej {{requester.first_name}}, vi tittar på det.",
    },
}


def welcome(name: str = "Welcome") -> EmailTemplate:
    return email_template_save(template=None, name=name, description="", texts=WELCOME)


def rule_sending(template: str, to: str = "requester") -> Trigger:
    return trigger_save(
        trigger=None,
        fields={
            "name": "Welcome every new request",
            "event": "created",
            "conditions": {},
            "actions": [{"type": "email_template", "to": to, "template": template}],
            "active": True,
            "position": 0,
        },
    )


def form(**extra: str) -> dict[str, str]:
    data = {
        "name": "Welcome",
        "description": "First answer",
        "subject_en": WELCOME["en"]["subject"],
        "body_en": WELCOME["en"]["body"],
        "subject_sv": WELCOME["sv"]["subject"],
        "body_sv": WELCOME["sv"]["body"],
    }
    data.update(extra)
    return data


def test_ada_writes_a_template_in_english_and_swedish(people, client):
    client.force_login(people["ada"])
    assert "No email templates yet" in client.get("/automation/email-templates/").content.decode()
    created = client.post("/automation/email-templates/new/", form())
    assert created.status_code == 302
    template = EmailTemplate.objects.get()
    assert template.texts == WELCOME
    listing = client.get("/automation/email-templates/").content.decode()
    assert "Welcome" in listing and "English, Swedish" in listing
    page = client.get(created["Location"]).content.decode()
    assert "Hej {{requester.first_name}}" in page
    # Swedish is optional; English is not; an unknown placeholder is caught before a mail.
    client.post(created["Location"], form(subject_sv="", body_sv=""))
    template.refresh_from_db()
    assert set(template.texts) == {"en"}
    refused = client.post(created["Location"], form(subject_en="", body_en=""))
    assert refused.status_code == 400
    assert "Write the English subject and text." in refused.content.decode()
    typo = client.post(created["Location"], form(body_sv="Hej {{requester.firstname}}"))
    assert typo.status_code == 400
    assert "{{requester.firstname}}" in typo.content.decode()
    template.refresh_from_db()
    assert set(template.texts) == {"en"}  # nothing of the refused saves was kept


def test_a_second_template_may_not_take_a_name_in_use(people, client):
    welcome()
    client.force_login(people["ada"])
    response = client.post("/automation/email-templates/new/", form())
    assert response.status_code == 400
    assert "Another template has this name." in response.content.decode()
    assert EmailTemplate.objects.count() == 1


def test_a_rule_sends_the_template_in_each_requesters_language(people, make_ticket):
    welcome()
    rule_sending("Welcome")
    erik = people["erik"]
    erik.language = "sv"
    erik.save(update_fields=["language"])
    mail.outbox.clear()
    dana_ticket = make_ticket(requester=people["dana"], subject="Printer")
    erik_ticket = make_ticket(requester=erik, subject="Skrivare")
    to_dana = [m for m in mail.outbox if m.to == ["dana@example.com"]]
    to_erik = [m for m in mail.outbox if m.to == ["erik@example.org"]]
    assert [m.subject for m in to_dana] == [f"We got #{dana_ticket.number}"]
    assert to_dana[0].body.startswith("Hello Dana, we are on it.")
    assert [m.subject for m in to_erik] == [f"Vi har fått #{erik_ticket.number}"]
    assert to_erik[0].body.startswith("Hej Erik, vi tittar på det.")
    run = AutomationRun.objects.filter(ticket=erik_ticket).order_by("pk").first()
    action = run.results[0]["actions"][0]
    assert action["ok"] is True
    assert action["detail"] == "Welcome (sv) to erik@example.org"


def test_a_language_without_its_own_text_gets_the_english_one(people, make_ticket):
    email_template_save(template=None, name="Welcome", description="", texts={"en": WELCOME["en"]})
    rule_sending("Welcome")
    erik = people["erik"]
    erik.language = "sv"
    erik.save(update_fields=["language"])
    mail.outbox.clear()
    ticket = make_ticket(requester=erik)
    assert [m.subject for m in mail.outbox if m.to == ["erik@example.org"]] == [
        f"We got #{ticket.number}"
    ]


def test_renaming_a_template_keeps_the_rules_that_send_it_working(people, make_ticket):
    template = welcome()
    rule = rule_sending("Welcome")
    email_template_save(
        template=template, name="First answer", description="", texts=template.texts
    )
    rule.refresh_from_db()
    assert rule.actions[0]["template"] == "First answer"
    mail.outbox.clear()
    ticket = make_ticket()
    assert [m.subject for m in mail.outbox] == [f"We got #{ticket.number}"]


def test_a_template_a_rule_uses_cannot_be_deleted_until_the_rule_lets_go(people, client):
    template = welcome()
    rule = rule_sending("Welcome")
    client.force_login(people["ada"])
    page = client.get(f"/automation/email-templates/{template.pk}/").content.decode()
    assert "Welcome every new request" in page  # "Used by"
    refused = client.post(f"/automation/email-templates/{template.pk}/delete/", follow=True)
    assert "Rules still send this template: Welcome every new request" in refused.content.decode()
    assert EmailTemplate.objects.filter(pk=template.pk).exists()
    rule.delete()
    client.post(f"/automation/email-templates/{template.pk}/delete/")
    assert not EmailTemplate.objects.exists()


def test_the_rule_editor_picks_a_template_by_name_and_refuses_an_unknown_one(people, client):
    welcome()
    client.force_login(people["ada"])
    data = {
        "name": "Welcome",
        "description": "",
        "event": "created",
        "position": "0",
        "active": "on",
        "match": "all",
        "cond_field": [""],
        "cond_op": ["eq"],
        "cond_value": [""],
        "act_type": ["email_template", "email"],
        "act_target": ["requester", "team"],
        "act_subject": ["", "New: {{ticket.subject}}"],
        "act_text": ["Welcome", "A new ticket arrived."],
    }
    assert client.post("/automation/triggers/new/", data).status_code == 302
    assert Trigger.objects.get().actions == [
        {"type": "email_template", "to": "requester", "template": "Welcome"},
        # The inline email keeps working beside it.
        {
            "type": "email",
            "to": "team",
            "subject": "New: {{ticket.subject}}",
            "body": "A new ticket arrived.",
        },
    ]
    unknown = client.post("/automation/triggers/new/", {**data, "act_text": ["Welcom", "x"]})
    assert unknown.status_code == 400
    assert "no email template is named" in unknown.content.decode()
    assert Trigger.objects.count() == 1


def test_a_rule_whose_template_went_missing_records_why_it_sent_nothing(people, make_ticket):
    template = welcome()
    rule_sending("Welcome")
    EmailTemplate.objects.filter(pk=template.pk).delete()  # e.g. removed in the database
    mail.outbox.clear()
    ticket = make_ticket()
    assert not [m for m in mail.outbox if m.to == ["dana@example.com"]]
    action = AutomationRun.objects.filter(ticket=ticket).first().results[0]["actions"][0]
    assert action == {
        "type": "email_template",
        "ok": False,
        "detail": "No email template is named Welcome.",
    }
