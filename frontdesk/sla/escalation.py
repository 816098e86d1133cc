"""Escalation: rules that react to SLA warnings and breaches, and agents handing a ticket to
the next tier. Every ticket change goes through the ticket services, so it is in the
ticket's history like any other change.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, Team, TeamMembership, User
from frontdesk.core import clock
from frontdesk.core.services import outbox_add
from frontdesk.sla.models import (
    Escalation,
    EscalationRule,
    EscalationRun,
    SlaEvent,
    TargetKind,
    Trigger,
)
from frontdesk.sla.services import sla_recompute
from frontdesk.tickets.models import MessageKind, Priority, Ticket
from frontdesk.tickets.services import message_add, ticket_update

log = logging.getLogger(__name__)

TOPIC_NOTIFY = "sla.notify"


def sla_event_react(*, ticket_id: int, target: str, cycle: int, kind: str) -> None:
    """After a warning or breach was recorded: refresh the ticket's SLA, run the rules."""
    event = SlaEvent.objects.filter(
        ticket_id=ticket_id, target=target, cycle=cycle, kind=kind
    ).first()
    if event is None:
        return
    sla_recompute(ticket_id=ticket_id)
    rules = EscalationRule.objects.filter(active=True, trigger=event.kind).filter(
        Q(policy__isnull=True) | Q(policy_id=event.policy_id),
        Q(target="") | Q(target=event.target),
    )
    for rule in rules.select_related("reassign_team"):
        escalation_rule_apply(rule=rule, event=event)


def escalation_rule_apply(*, rule: EscalationRule, event: SlaEvent) -> EscalationRun | None:
    """Apply one rule for one event, once: a second call (a retried job) does nothing."""
    try:
        with transaction.atomic():
            run = EscalationRun.objects.create(event=event, rule=rule, created_at=clock.now())
            ticket = Ticket.objects.select_related("priority").get(pk=event.ticket_id)
            changes: dict[str, object] = {}
            if rule.reassign_team is not None and ticket.team_id != rule.reassign_team_id:
                changes["team"] = rule.reassign_team
            if rule.raise_priority:
                higher = (
                    Priority.objects.filter(rank__gt=ticket.priority.rank).order_by("rank").first()
                )
                if higher is not None:
                    changes["priority"] = higher
            if rule.add_tag:
                changes["add_tags"] = [rule.add_tag]
            if changes and ticket.is_open:
                ticket_update(ticket=ticket, actor=None, changes=changes)
                ticket.refresh_from_db()
            recipients = escalation_recipients(rule=rule, ticket=ticket)
            if recipients:
                outbox_add(
                    topic=TOPIC_NOTIFY,
                    payload={
                        "ticket_id": ticket.pk,
                        "run_id": run.pk,
                        "user_ids": [u.pk for u in recipients],
                    },
                )
    except IntegrityError:
        return None  # this rule already ran for this event
    return run


def escalation_recipients(*, rule: EscalationRule, ticket: Ticket) -> list[User]:
    """The people a rule tells: the assignee, the team's leads, the supervisors."""
    wanted: dict[int, User] = {}
    if rule.notify_assignee and ticket.assignee_id:
        assignee = User.objects.filter(pk=ticket.assignee_id, is_active=True).first()
        if assignee is not None:
            wanted[assignee.pk] = assignee
    if rule.notify_team_lead and ticket.team_id:
        for lead in User.objects.filter(
            pk__in=TeamMembership.objects.filter(team_id=ticket.team_id, is_lead=True).values(
                "user_id"
            ),
            is_active=True,
        ):
            wanted[lead.pk] = lead
    if rule.notify_supervisors:
        for supervisor in User.objects.filter(role=Role.SUPERVISOR, is_active=True):
            wanted[supervisor.pk] = supervisor
    return sorted(wanted.values(), key=lambda u: u.pk)


def escalation_email_send(*, run_id: int) -> int:
    """Email the people of one escalation run; each person once even if the job reruns."""
    run = (
        EscalationRun.objects.select_related("event", "event__ticket", "rule")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        return 0
    ticket = run.event.ticket
    recipients = escalation_recipients(rule=run.rule, ticket=ticket)
    done = set(run.notified or [])
    sent = 0
    link = settings.SITE_URL.rstrip("/") + reverse("desk:ticket", args=[ticket.number])
    for user in recipients:
        if user.pk in done or not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            target = TargetKind(run.event.target).label
            if run.event.kind == Trigger.BREACH:
                subject = _("[#%(number)s] SLA breached: %(target)s") % {
                    "number": ticket.number,
                    "target": target,
                }
                opening = _("The %(target)s target of this ticket was breached.")
            else:
                subject = _("[#%(number)s] SLA breaching soon: %(target)s") % {
                    "number": ticket.number,
                    "target": target,
                }
                opening = _("The %(target)s target of this ticket is about to be breached.")
            body = "\n\n".join(
                [
                    opening % {"target": target},
                    f"#{ticket.number} {ticket.subject}",
                    _("Rule: %(rule)s") % {"rule": run.rule.name},
                    link,
                ]
            )
        EmailMessage(subject=subject, body=body, to=[user.email]).send()
        done.add(user.pk)
        EscalationRun.objects.filter(pk=run.pk).update(notified=sorted(done))
        sent += 1
    return sent


# --- agents escalating to the next tier ---------------------------------------------------------


def next_tier_team(team: Team | None) -> Team | None:
    """Where a ticket of ``team`` goes next: its escalation target (None: top of the path)."""
    if team is None or team.escalates_to_id is None:
        return None
    return Team.objects.filter(pk=team.escalates_to_id).first()


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Escalation:
    """Hand a ticket to the next tier's team with a required reason.

    The team change and the hand-over note (an internal note with the reason) are both in
    the ticket's history; the assignee is cleared so the next tier picks it up.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only agents escalate tickets."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the ticket needs the next tier.")]})
    target = next_tier_team(ticket.team)
    if target is None:
        raise ValidationError({"team": [_("This ticket's team has no next tier to escalate to.")]})
    from_team = ticket.team
    ticket_update(ticket=ticket, actor=actor, changes={"team": target, "assignee": None})
    message_add(
        ticket=ticket,
        author=actor,
        kind=MessageKind.NOTE,
        body_text=_("Escalated from %(from)s to %(to)s: %(reason)s")
        % {"from": from_team.name if from_team else "-", "to": target.name, "reason": reason},
    )
    return Escalation.objects.create(
        ticket=ticket,
        from_team=from_team,
        to_team=target,
        actor=actor,
        reason=reason,
        created_at=clock.now(),
    )
