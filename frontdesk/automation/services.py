"""Every write of the automation app: rules, time rules, routing settings, agent profiles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, Team, User
from frontdesk.automation.conditions import condition_validate
from frontdesk.automation.facts import AUTOMATION_EMAIL, FIELDS
from frontdesk.automation.models import (
    AgentProfile,
    Availability,
    EmailTemplate,
    RoutingMode,
    SinceField,
    TeamRouting,
    TimeRule,
    Trigger,
    TriggerEvent,
)
from frontdesk.tickets.models import StatusCategory

_automation_user_id: int | None = None


def automation_user() -> User:
    """The agent rules act as: named "Automation" in history, cannot sign in or be assigned."""
    global _automation_user_id
    if _automation_user_id is not None:
        user = User.objects.filter(pk=_automation_user_id).first()
        if user is not None:
            return user
    user = User.objects.filter(email=AUTOMATION_EMAIL).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=AUTOMATION_EMAIL,
                    password=None,
                    first_name="Automation",
                    role=Role.AGENT,
                    is_active=False,
                )
        except IntegrityError:
            user = User.objects.get(email=AUTOMATION_EMAIL)
    _automation_user_id = user.pk
    return user


def _known_field(name: str) -> bool:
    return name in FIELDS or name.startswith("ticket.custom.")


def _conditions_clean(conditions: Any) -> Any:
    problems = condition_validate(conditions)
    fields = _fields_of(conditions)
    problems += [f"unknown field {f!r}" for f in sorted(fields) if not _known_field(f)]
    if problems:
        raise ValidationError({"conditions": problems})
    return conditions or {}


def _fields_of(conditions: Any) -> set[str]:
    from frontdesk.automation.conditions import condition_fields

    return {f for f in condition_fields(conditions) if f and f != "event.at"}


def _actions_clean(actions: Any) -> list[Any]:
    from frontdesk.automation.actions import actions_validate

    problems = actions_validate(actions)
    if problems:
        raise ValidationError({"actions": problems})
    return list(actions)


@transaction.atomic
def trigger_save(*, trigger: Trigger | None, fields: Mapping[str, Any]) -> Trigger:
    """Create or change a trigger after checking its conditions and actions."""
    trigger = trigger or Trigger()
    name = str(fields.get("name", trigger.name) or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the rule a name.")]})
    event = fields.get("event", trigger.event)
    if event not in TriggerEvent.values:
        raise ValidationError({"event": [_("Choose when the rule runs.")]})
    trigger.name = name[:120]
    trigger.description = str(fields.get("description", trigger.description) or "")[:300]
    trigger.event = event
    trigger.conditions = _conditions_clean(fields.get("conditions", trigger.conditions))
    trigger.actions = _actions_clean(fields.get("actions", trigger.actions))
    trigger.active = bool(fields.get("active", trigger.active))
    trigger.position = int(fields.get("position", trigger.position) or 0)
    trigger.save()
    _forget()
    return trigger


def trigger_delete(*, trigger: Trigger) -> None:
    trigger.delete()
    _forget()


def _forget() -> None:
    from frontdesk.automation.engine import rules_forget

    rules_forget()
    transaction.on_commit(rules_forget)


@transaction.atomic
def time_rule_save(*, rule: TimeRule | None, fields: Mapping[str, Any]) -> TimeRule:
    rule = rule or TimeRule()
    name = str(fields.get("name", rule.name) or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the rule a name.")]})
    category = str(fields.get("status_category", rule.status_category) or "")
    if category and category not in StatusCategory.values:
        raise ValidationError({"status_category": [_("Choose a status category.")]})
    since = fields.get("since", rule.since)
    if since not in SinceField.values:
        raise ValidationError({"since": [_("Choose what the hours count from.")]})
    hours = int(fields.get("hours", rule.hours) or 0)
    if hours < 1:
        raise ValidationError({"hours": [_("At least one hour.")]})
    rule.name = name[:120]
    rule.status_category = category
    rule.since = since
    rule.hours = hours
    rule.conditions = _conditions_clean(fields.get("conditions", rule.conditions))
    rule.actions = _actions_clean(fields.get("actions", rule.actions))
    rule.active = bool(fields.get("active", rule.active))
    rule.position = int(fields.get("position", rule.position) or 0)
    rule.save()
    return rule


def time_rule_delete(*, rule: TimeRule) -> None:
    rule.delete()


@transaction.atomic
def team_routing_save(*, team: Team, mode: str, reassign_unavailable: bool) -> TeamRouting:
    if mode not in RoutingMode.values:
        raise ValidationError({"mode": [_("Choose a routing strategy.")]})
    routing, _created = TeamRouting.objects.get_or_create(team=team)
    routing.mode = mode
    routing.reassign_unavailable = reassign_unavailable
    routing.save(update_fields=["mode", "reassign_unavailable"])
    return routing


def profile_for(user: User) -> AgentProfile:
    profile = AgentProfile.objects.filter(user=user).first()
    if profile is None:
        profile, _created = AgentProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def agent_profile_save(
    *,
    user: User,
    availability: str | None = None,
    away_from: date | None = None,
    away_until: date | None = None,
    capacity: int | None = None,
    skills: list[str] | None = None,
    dates_given: bool = False,
) -> AgentProfile:
    """Change an agent's availability (their own), or capacity and skills (an admin).

    Going off or out of office hands the agent's open tickets back to the routing of teams
    that ask for it (after the commit, through ``routing.agent_unavailable_reroute``).
    """
    if not user.is_agent:
        raise ValidationError(_("Only agents have a routing profile."))
    profile = AgentProfile.objects.select_for_update().filter(user=user).first() or profile_for(
        user
    )
    if availability is not None:
        if availability not in Availability.values:
            raise ValidationError({"availability": [_("Choose online, away or off.")]})
        profile.availability = availability
    if dates_given:
        if away_from and away_until and away_until < away_from:
            raise ValidationError({"away_until": [_("The last day comes after the first.")]})
        profile.away_from, profile.away_until = away_from, away_until
    if capacity is not None:
        if capacity < 0 or capacity > 1000:
            raise ValidationError({"capacity": [_("Between 0 and 1000 open tickets.")]})
        profile.capacity = capacity
    if skills is not None:
        profile.skills = sorted({s.strip().lower() for s in skills if s and s.strip()})[:50]
    profile.save()
    from frontdesk.automation.routing import agent_is_available

    if not agent_is_available(profile):
        user_id = user.pk
        transaction.on_commit(lambda: _reroute_later(user_id))
    return profile


def _reroute_later(user_id: int) -> None:
    from frontdesk.automation.tasks import agent_reroute_task

    agent_reroute_task(user_id)


# --- email templates ------------------------------------------------------------------------


@transaction.atomic
def email_template_save(
    *,
    template: EmailTemplate | None,
    name: str,
    description: str,
    texts: Mapping[str, Mapping[str, str]],
) -> EmailTemplate:
    """Create or change a named email template; a new name is carried into the rules using it.

    ``texts``: per language code, ``{"subject", "body"}``. The default language needs both;
    another language is kept when it has a body and dropped when both are empty.
    """
    from frontdesk.automation.actions import placeholders_unknown

    template = template or EmailTemplate()
    name = name.strip()[:120]
    if not name:
        raise ValidationError({"name": [_("Give the template a name.")]})
    if EmailTemplate.objects.filter(name=name).exclude(pk=template.pk).exists():
        raise ValidationError({"name": [_("Another template has this name.")]})
    problems: list[str] = []
    clean: dict[str, dict[str, str]] = {}
    for code, label in settings.LANGUAGES:
        text = texts.get(code) or {}
        subject = str(text.get("subject", "")).strip()[:250]
        body = str(text.get("body", "")).strip()
        if not subject and not body:
            if code == settings.LANGUAGE_CODE:
                problems.append(_("Write the %(language)s subject and text.") % {"language": label})
            continue
        if not subject or not body:
            message = _("Write both the %(language)s subject and text.")
            problems.append(message % {"language": label})
            continue
        unknown = placeholders_unknown(subject + "\n" + body)
        if unknown:
            problems.append(
                _("Unknown placeholders in the %(language)s text: %(names)s")
                % {"language": label, "names": ", ".join(unknown)}
            )
        clean[code] = {"subject": subject, "body": body}
    if problems:
        raise ValidationError({"texts": problems})
    old_name = template.name if template.pk else ""
    template.name = name
    template.description = description.strip()[:300]
    template.texts = clean
    template.save()
    if old_name and old_name != name:
        _template_rename_in_rules(old=old_name, new=name)
    return template


def _template_rename_in_rules(*, old: str, new: str) -> None:
    for model in (Trigger, TimeRule):
        for rule in model.objects.select_for_update().all():
            actions = rule.actions if isinstance(rule.actions, list) else []
            if not any(_uses_template(a, old) for a in actions):
                continue
            rule.actions = [
                {**a, "template": new} if _uses_template(a, old) else a for a in actions
            ]
            rule.save(update_fields=["actions", "updated_at"])
    _forget()


def _uses_template(action: Any, name: str) -> bool:
    return (
        isinstance(action, Mapping)
        and action.get("type") == "email_template"
        and action.get("template") == name
    )


def email_template_users(*, template: EmailTemplate) -> list[str]:
    """Names of the rules whose actions send ``template``."""
    return [
        rule.name
        for model in (Trigger, TimeRule)
        for rule in model.objects.only("name", "actions")
        if isinstance(rule.actions, list)
        and any(_uses_template(a, template.name) for a in rule.actions)
    ]


@transaction.atomic
def email_template_delete(*, template: EmailTemplate) -> None:
    """Delete a template no rule uses (a rule would fail to send it from then on)."""
    users = email_template_users(template=template)
    if users:
        raise ValidationError(
            _("Rules still send this template: %(rules)s") % {"rules": ", ".join(users)}
        )
    template.delete()
