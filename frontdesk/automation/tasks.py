"""Jobs of the automation app: the hourly time-rule pass and rerouting."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
@lock_task("automation-time-rules")
def time_rules_task() -> dict[str, int]:
    """Hourly: time rules, then tickets still waiting for an agent in routed teams."""
    from frontdesk.automation.routing import absent_agents_reroute, waiting_tickets_route
    from frontdesk.automation.timerules import time_rules_run

    result = time_rules_run()
    # Out-of-office periods that began since the last hour first, so their tickets are
    # among the waiting ones routed next.
    absent_agents_reroute()
    routed = waiting_tickets_route()
    log.info(
        "time rules: %s candidates, %s fired; %s routed", result.candidates, result.fired, routed
    )
    return {"candidates": result.candidates, "fired": result.fired, "routed": routed}


@db_task(retries=3, retry_delay=30)
def agent_reroute_task(user_id: int) -> int:
    from frontdesk.automation.routing import agent_unavailable_reroute
    from frontdesk.automation.services import automation_user

    return agent_unavailable_reroute(user_id=user_id, actor=automation_user())
