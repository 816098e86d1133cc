"""The automation app's routes in the permission matrix (tests/test_permission_matrix.py)."""

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

ROUTES = {
    "automation:settings": ("GET", ADMIN_PAGE),
    "automation:trigger_new": ("GET", ADMIN_PAGE),
    "automation:trigger_edit": ("GET", ADMIN_PAGE),
    "automation:trigger_delete": ("POST", ADMIN_POST),
    "automation:time_rule_new": ("GET", ADMIN_PAGE),
    "automation:time_rule_edit": ("GET", ADMIN_PAGE),
    "automation:time_rule_delete": ("POST", ADMIN_POST),
    "automation:team_routing": ("POST", ADMIN_POST),
    "automation:email_templates": ("GET", ADMIN_PAGE),
    "automation:email_template_new": ("GET", ADMIN_PAGE),
    "automation:email_template_edit": ("GET", ADMIN_PAGE),
    "automation:email_template_delete": ("POST", ADMIN_POST),
    "automation:agent_profile": ("GET", ADMIN_PAGE),
    # Every agent sets their own availability.
    "automation:me": ("GET", AGENT_PAGE),
}


def route_kwargs(scenario):  # type: ignore[no-untyped-def]
    from frontdesk.automation.models import EmailTemplate, TimeRule, Trigger

    trigger = Trigger.objects.create(name="Matrix trigger", event="created")
    rule = TimeRule.objects.create(name="Matrix time rule", hours=96)
    # Some routes build a fresh scenario per persona: template names are unique.
    template, _created = EmailTemplate.objects.get_or_create(
        name="Matrix template", defaults={"texts": {"en": {"subject": "Hi", "body": "Hello"}}}
    )
    people = scenario["people"]
    return {
        "automation:trigger_edit": {"pk": trigger.pk},
        "automation:trigger_delete": {"pk": trigger.pk},
        "automation:time_rule_edit": {"pk": rule.pk},
        "automation:time_rule_delete": {"pk": rule.pk},
        "automation:team_routing": {"pk": people["l1"].pk},
        "automation:agent_profile": {"pk": people["alice"].pk},
        "automation:email_template_edit": {"pk": template.pk},
        "automation:email_template_delete": {"pk": template.pk},
    }
