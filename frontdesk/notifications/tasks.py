"""Jobs of the notifications app: sending mail jobs and webhook deliveries, and a sweeper
for both (a lost job is picked up again)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def mail_send_task(job_id: int) -> None:
    from frontdesk.notifications.services import mail_send

    mail_send(job_id)


@db_task()
def webhook_deliver_task(delivery_id: int) -> None:
    from frontdesk.notifications.webhooks import webhook_deliver

    webhook_deliver(delivery_id)


@db_periodic_task(crontab(minute="*/5"))
def notifications_sweep() -> int:
    from frontdesk.notifications.services import mail_due_ids, mail_send
    from frontdesk.notifications.webhooks import deliveries_due, webhook_deliver

    count = 0
    for job_id in mail_due_ids():
        mail_send(job_id)
        count += 1
    for delivery_id in deliveries_due():
        webhook_deliver(delivery_id)
        count += 1
    return count
