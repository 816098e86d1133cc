"""What a rule does: each action is a small dict, applied through the ticket services only.

    {"type": "set", "field": "status", "value": "solved"}        status/priority/type (slug),
                                                                  team (name), urgency, impact,
                                                                  language
    {"type": "assign", "agent": "alice@example.com"}             "" unassigns
    {"type": "route"}                                            the team's routing picks
    {"type": "add_tag", "tag": "vip"} / {"type": "remove_tag", "tag": "vip"}
    {"type": "note", "body": "Checked by {{agent.name}}"}        an internal note
    {"type": "email", "to": "requester", "subject": "...", "body": "..."}
                                                                  to: requester, assignee,
                                                                  team or an address
    {"type": "email_template", "to": "requester", "template": "Welcome"}
                                                                  a named EmailTemplate, in
                                                                  the recipient's language
    {"type": "notify", "to": "assignee", "text": "..."}          in-app (and email per the
                                                                  agent's preferences); to:
                                                                  assignee, team, supervisors,
                                                                  an agent's address
    {"type": "webhook", "subscription": 3}
    {"type": "macro", "macro": 7}
    {"type": "escalate", "reason": "..."}                        to the team's next tier

Texts take the macro placeholders ({{ticket.number}}, {{requester.first_name}}, ...).
Every action runs in its own savepoint: one that fails is recorded and the rest still run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Role, Team, TeamMembership, User
from frontdesk.tickets.models import Macro, MessageKind, Priority, Status, Ticket, TicketType
from frontdesk.tickets.placeholders import placeholders_render
from frontdesk.tickets.services import macro_apply, macro_context, message_add, ticket_update

log = logging.getLogger(__name__)

ACTION_TYPES: dict[str, Any] = {
    "set": _("Set a field"),
    "assign": _("Assign to an agent"),
    "route": _("Route by the team's strategy"),
    "add_tag": _("Add a tag"),
    "remove_tag": _("Remove a tag"),
    "note": _("Add an internal note"),
    "email": _("Send an email"),
    "email_template": _("Send an email from a template"),
    "notify": _("Notify agents"),
    "webhook": _("Call a webhook"),
    "macro": _("Apply a macro"),
    "escalate": _("Escalate to the next tier"),
}
SETTABLE = ("status", "priority", "type", "team", "urgency", "impact", "language")
# What ``macro_context`` fills in; email templates are checked against it when saved.
PLACEHOLDERS = (
    "{{ticket.number}}",
    "{{ticket.subject}}",
    "{{ticket.status}}",
    "{{ticket.priority}}",
    "{{requester.first_name}}",
    "{{requester.last_name}}",
    "{{requester.name}}",
    "{{requester.email}}",
    "{{agent.first_name}}",
    "{{agent.name}}",
    "{{agent.email}}",
    "{{organization.name}}",
)
_PLACEHOLDER_RE = re.compile(r"\{\{\s*[^{}]*?\s*\}\}")


def placeholders_unknown(text: str) -> list[str]:
    """Placeholders in ``text`` that a rule's email would leave unfilled (pure)."""
    found = {m.group(0).replace(" ", "") for m in _PLACEHOLDER_RE.finditer(text)}
    return sorted(found - set(PLACEHOLDERS))


@dataclass
class ActionContext:
    ticket: Ticket
    actor: User  # the automation user
    rule_name: str
    key: str  # unique per rule run: keeps mails, notifications and webhooks to one each
    # Statuses, priorities, types and teams by (field, value), shared by the tickets of one
    # pass: the hourly pass sets the same status on a thousand tickets.
    lookups: dict[tuple[str, str], Any] = dataclass_field(default_factory=dict)


def _text(template: str, ctx: ActionContext) -> str:
    return placeholders_render(
        str(template or ""), macro_context(ticket=ctx.ticket, agent=ctx.actor)
    )


def _set(action: Mapping[str, Any], ctx: ActionContext) -> str:
    name, value = action.get("field"), action.get("value")
    if name not in SETTABLE:
        raise ValidationError(_("This field cannot be set by a rule."))
    change: Any
    if name in ("status", "priority", "type", "team"):
        cache_key = (str(name), str(value))
        change = ctx.lookups.get(cache_key)
        if change is None:
            change = _lookup(str(name), value)
            if change is not None:
                ctx.lookups[cache_key] = change
        if name == "type":
            name = "ticket_type"
    else:
        change = value
    ticket_update(ticket=ctx.ticket, actor=ctx.actor, changes={name: change})
    return f"{name}={value}"


def _lookup(name: str, value: Any) -> Any:
    if name == "status":
        return Status.objects.get(slug=value, active=True)
    if name == "priority":
        return Priority.objects.get(slug=value)
    if name == "type":
        return TicketType.objects.get(slug=value)
    return Team.objects.get(name=value) if value else None


def _assign(action: Mapping[str, Any], ctx: ActionContext) -> str:
    email = str(action.get("agent") or "").strip().lower()
    agent = User.objects.get(email=email) if email else None
    ticket_update(ticket=ctx.ticket, actor=ctx.actor, changes={"assignee": agent})
    return email or "unassigned"


def _route(action: Mapping[str, Any], ctx: ActionContext) -> str:
    from frontdesk.automation.routing import ticket_route

    agent = ticket_route(ticket_id=ctx.ticket.pk, actor=ctx.actor)
    return agent.email if agent else "no agent available"


def _tag(action: Mapping[str, Any], ctx: ActionContext, *, add: bool) -> str:
    tag = str(action.get("tag") or "").strip()
    if not tag:
        raise ValidationError(_("Name the tag."))
    key = "add_tags" if add else "remove_tags"
    ticket_update(ticket=ctx.ticket, actor=ctx.actor, changes={key: [tag]})
    return tag


def _note(action: Mapping[str, Any], ctx: ActionContext) -> str:
    body = _text(action.get("body", ""), ctx)
    message = message_add(
        ticket=ctx.ticket, author=ctx.actor, body_text=body, kind=MessageKind.NOTE
    )
    return f"note {message.pk}"


def _recipients_email(to: str, ticket: Ticket) -> list[str]:
    if to == "requester":
        return [ticket.requester.email] if ticket.requester.email else []
    if to == "assignee":
        return [ticket.assignee.email] if ticket.assignee_id and ticket.assignee.email else []
    if to == "team":
        if ticket.team_id is None:
            return []
        if ticket.team.email:
            return [ticket.team.email]
        return list(
            User.objects.filter(teams=ticket.team_id, is_active=True).values_list(
                "email", flat=True
            )
        )
    return [to] if "@" in to else []


def _email(action: Mapping[str, Any], ctx: ActionContext) -> str:
    from frontdesk.notifications.services import mail_queue

    to = _recipients_email(str(action.get("to") or "requester").strip().lower(), ctx.ticket)
    if not to:
        return "nobody to write to"
    subject = (
        _text(action.get("subject", ""), ctx) or f"[#{ctx.ticket.number}] {ctx.ticket.subject}"
    )
    mail_queue(
        key=f"{ctx.key}:email:{','.join(sorted(to))}:{subject[:40]}",
        to=to,
        subject=subject,
        body=_text(action.get("body", ""), ctx),
        ticket=ctx.ticket,
    )
    return ", ".join(to)


def _language(to: str, ticket: Ticket) -> str:
    """The language to write in: the person's own, else the ticket's, else the default."""
    person = (
        ticket.requester
        if to == "requester"
        else ticket.assignee
        if to == "assignee" and ticket.assignee_id
        else None
    )
    codes = {code for code, _label in settings.LANGUAGES}
    for code in (getattr(person, "language", ""), ticket.language):
        if code and code[:2] in codes:
            return code[:2]
    return settings.LANGUAGE_CODE


def _email_template(action: Mapping[str, Any], ctx: ActionContext) -> str:
    from frontdesk.automation.models import EmailTemplate
    from frontdesk.notifications.services import mail_queue

    name = str(action.get("template") or "").strip()
    template = EmailTemplate.objects.filter(name=name).first()
    if template is None:
        raise ValidationError(_("No email template is named %(name)s.") % {"name": name})
    to_key = str(action.get("to") or "requester").strip().lower()
    to = _recipients_email(to_key, ctx.ticket)
    if not to:
        return "nobody to write to"
    language = _language(to_key, ctx.ticket)
    text = template.text_for(language)
    subject = _text(text["subject"], ctx) or f"[#{ctx.ticket.number}] {ctx.ticket.subject}"
    mail_queue(
        key=f"{ctx.key}:template:{template.pk}:{','.join(sorted(to))}",
        to=to,
        subject=subject,
        body=_text(text["body"], ctx),
        ticket=ctx.ticket,
    )
    return f"{template.name} ({language}) to {', '.join(to)}"


def _agents(to: str, ticket: Ticket) -> list[User]:
    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "team":
        if ticket.team_id is None:
            return []
        ids = TeamMembership.objects.filter(team_id=ticket.team_id).values("user_id")
        return list(User.objects.filter(pk__in=ids, is_active=True))
    if to == "supervisors":
        return list(User.objects.filter(role__in=[Role.SUPERVISOR, Role.ADMIN], is_active=True))
    return list(User.objects.filter(email=to, is_active=True).exclude(role=Role.CUSTOMER))


def _notify(action: Mapping[str, Any], ctx: ActionContext) -> str:
    from frontdesk.notifications.models import Kind
    from frontdesk.notifications.services import notify

    people = _agents(str(action.get("to") or "assignee").strip().lower(), ctx.ticket)
    text = _text(action.get("text", ""), ctx) or ctx.rule_name
    for user in people:
        notify(
            user=user,
            kind=Kind.RULE,
            ticket=ctx.ticket,
            title=f"#{ctx.ticket.number}: {text}"[:300],
            key=f"{ctx.key}:notify",
        )
    return ", ".join(u.email for u in people) or "nobody"


def _webhook(action: Mapping[str, Any], ctx: ActionContext) -> str:
    from frontdesk.notifications.webhooks import payload_ticket, webhook_event

    queued = webhook_event(
        event="rule.webhook",
        payload={**payload_ticket(ctx.ticket), "rule": ctx.rule_name},
        key=f"{ctx.key}:webhook",
        subscription_id=int(action.get("subscription") or 0),
    )
    return f"{queued} queued"


def _macro(action: Mapping[str, Any], ctx: ActionContext) -> str:
    macro = Macro.objects.get(pk=int(action.get("macro") or 0), active=True)
    macro_apply(macro=macro, ticket=ctx.ticket, actor=ctx.actor)
    return macro.name


def _escalate(action: Mapping[str, Any], ctx: ActionContext) -> str:
    try:
        from frontdesk.sla.escalation import ticket_escalate
    except ImportError:  # pragma: no cover - the sla app is part of the product
        return "escalation is not available"
    reason = _text(action.get("reason", ""), ctx) or str(
        _("Escalated by the rule %(rule)s") % {"rule": ctx.rule_name}
    )
    ticket_escalate(ticket=ctx.ticket, actor=ctx.actor, reason=reason)
    return reason


HANDLERS: dict[str, Callable[[Mapping[str, Any], ActionContext], str]] = {
    "set": _set,
    "assign": _assign,
    "route": _route,
    "add_tag": lambda a, c: _tag(a, c, add=True),
    "remove_tag": lambda a, c: _tag(a, c, add=False),
    "note": _note,
    "email": _email,
    "email_template": _email_template,
    "notify": _notify,
    "webhook": _webhook,
    "macro": _macro,
    "escalate": _escalate,
}


# Actions whose only writes are one call of a service that runs in its own transaction (a
# savepoint inside the pass): a failure rolls back just that call, so no savepoint of our
# own is needed around them (two statements saved per action).
SELF_ATOMIC = frozenset({"set", "assign", "add_tag", "remove_tag", "note"})


def actions_run(actions: list[Any], ctx: ActionContext) -> list[dict[str, Any]]:
    """Run ``actions`` in order; each result is ``{"type", "ok", "detail"}``."""
    results = []
    actions = actions if isinstance(actions, list) else []
    for position, action in enumerate(actions):
        kind = action.get("type") if isinstance(action, Mapping) else None
        handler = HANDLERS.get(str(kind))
        if handler is None:
            results.append({"type": str(kind), "ok": False, "detail": "unknown action"})
            continue
        try:
            if kind in SELF_ATOMIC:
                detail = handler(action, ctx)
            else:
                with transaction.atomic():
                    detail = handler(action, ctx)
            if position + 1 < len(actions):
                ctx.ticket.refresh_from_db()  # the next action sees this one's change
        except (
            ValidationError,
            ObjectDoesNotExist,
            PermissionDenied,
            ValueError,
            TypeError,
        ) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            results.append({"type": kind, "ok": False, "detail": text[:300]})
            continue
        except Exception as exc:  # noqa: BLE001 - one broken action must not stop the others
            log.exception("automation action %s failed on ticket %s", kind, ctx.ticket.pk)
            results.append({"type": kind, "ok": False, "detail": repr(exc)[:300]})
            continue
        results.append({"type": kind, "ok": True, "detail": str(detail)[:300]})
    return results


def actions_validate(actions: Any) -> list[str]:
    """Problems that keep a list of actions from being saved."""
    if not isinstance(actions, list):
        return ["actions: expected a list"]
    problems = []
    for i, action in enumerate(actions):
        where = f"actions[{i}]"
        if not isinstance(action, Mapping) or action.get("type") not in HANDLERS:
            problems.append(f"{where}: unknown action")
            continue
        kind = action["type"]
        if kind == "set" and action.get("field") not in SETTABLE:
            problems.append(f"{where}: choose one of {', '.join(SETTABLE)}")
        if kind in ("add_tag", "remove_tag") and not str(action.get("tag") or "").strip():
            problems.append(f"{where}: name the tag")
        if kind == "note" and not str(action.get("body") or "").strip():
            problems.append(f"{where}: write the note")
        if kind == "email" and not str(action.get("body") or "").strip():
            problems.append(f"{where}: write the email")
        if kind == "email_template":
            problems += _template_problems(where, action)
        ref = action.get("macro") if kind == "macro" else action.get("subscription")
        if kind in ("webhook", "macro") and not str(ref or "").isdigit():
            problems.append(f"{where}: choose which one")
    return problems


def _template_problems(where: str, action: Mapping[str, Any]) -> list[str]:
    from frontdesk.automation.models import EmailTemplate

    name = str(action.get("template") or "").strip()
    if not name:
        return [f"{where}: name the email template"]
    if not EmailTemplate.objects.filter(name=name).exists():
        return [f"{where}: no email template is named {name!r}"]
    return []
