"""Demo rules: close solved tickets after four days, remind and then solve pending ones,
tag refund requests for billing, and round-robin routing on L1 (skipped if present)."""

from __future__ import annotations

from typing import Any

from frontdesk.automation.models import RoutingMode, TimeRule, Trigger
from frontdesk.automation.services import team_routing_save, time_rule_save, trigger_save

TIME_RULES: list[dict[str, Any]] = [
    {
        "name": "Close solved tickets after 4 days",
        "status_category": "solved",
        "since": "solved_at",
        "hours": 4 * 24,
        "actions": [{"type": "set", "field": "status", "value": "closed"}],
        "position": 10,
    },
    {
        "name": "Remind customers after 5 days pending",
        "status_category": "pending",
        "since": "last_agent_reply_at",
        "hours": 5 * 24,
        "actions": [
            {
                "type": "email",
                "to": "requester",
                "subject": "Still need help with #{{ticket.number}}?",
                "body": (
                    "Hello {{requester.first_name}},\n\nWe are waiting for your answer on "
                    "“{{ticket.subject}}”. Reply to our last mail and we will pick it up again; "
                    "without an answer we will mark the request solved in five days."
                ),
            }
        ],
        "position": 20,
    },
    {
        "name": "Solve after 10 days pending",
        "status_category": "pending",
        "since": "last_agent_reply_at",
        "hours": 10 * 24,
        "actions": [
            {"type": "note", "body": "No answer for 10 days: solved by the time rule."},
            {"type": "set", "field": "status", "value": "solved"},
        ],
        "position": 30,
    },
]

TRIGGERS: list[dict[str, Any]] = [
    {
        "name": "Refund requests go to billing",
        "event": "created",
        "conditions": {
            "any": [
                {"field": "message.body", "op": "matches", "value": "refund|money back|chargeback"},
                {"field": "ticket.subject", "op": "matches", "value": "refund|återbetalning"},
            ]
        },
        "actions": [
            {"type": "add_tag", "tag": "billing"},
            {"type": "note", "body": "Refund request: check the invoice before answering."},
        ],
        "position": 10,
    },
    {
        "name": "Tell the assignee when a breach happens",
        "event": "sla_breach",
        "conditions": {},
        "actions": [{"type": "notify", "to": "assignee", "text": "SLA breached"}],
        "position": 20,
    },
]


def after_tickets(context: dict[str, Any]) -> None:
    """After the scripted history, so the demo tickets keep the assignees they were given."""
    if not TimeRule.objects.exists():
        for fields in TIME_RULES:
            time_rule_save(rule=None, fields={**fields, "active": True})
    if not Trigger.objects.exists():
        for fields in TRIGGERS:
            trigger_save(trigger=None, fields={**fields, "active": True})
    teams = context.get("teams") or {}
    if "L1" in teams:
        team_routing_save(team=teams["L1"], mode=RoutingMode.ROUND_ROBIN, reassign_unavailable=True)
