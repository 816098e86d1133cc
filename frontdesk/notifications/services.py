"""Every write of the notifications app for agents: notifications, preferences, mail jobs.

``notify`` is the one way to tell an agent something: it honours the agent's preference
for that kind (in-app, email, both or neither), stores the notification once per key,
pushes a live hint to the agent's open pages after the commit, and queues the email.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, User
from frontdesk.core import clock
from frontdesk.notifications.models import (
    DEFAULT_PREFERENCES,
    Kind,
    MailJob,
    MailState,
    Notification,
    Preference,
)
from frontdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

MAIL_ATTEMPTS = 5
MAIL_BACKOFF_SECONDS = 60


# --- preferences ------------------------------------------------------------------------------


def preferences_for(user: User) -> dict[str, tuple[bool, bool]]:
    """kind -> (in_app, email), the agent's choices over the defaults."""
    chosen = {p.kind: (p.in_app, p.email) for p in Preference.objects.filter(user=user)}
    return {kind: chosen.get(kind, DEFAULT_PREFERENCES[kind]) for kind in Kind.values}


@transaction.atomic
def preferences_save(*, user: User, choices: Mapping[str, tuple[bool, bool]]) -> None:
    for kind, (in_app, email) in choices.items():
        if kind not in Kind.values:
            continue
        Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )


# --- notifications ----------------------------------------------------------------------------


def ticket_url(ticket: Ticket | None) -> str:
    if ticket is None:
        return ""
    return reverse("desk:ticket", args=[ticket.number])


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    key: str,
    ticket: Ticket | None = None,
    body: str = "",
    url: str = "",
) -> Notification | None:
    """Tell one agent, once per ``key``, the ways they chose for ``kind``."""
    if not user.is_active or user.role == Role.CUSTOMER:
        return None
    in_app, email = preferences_for(user).get(kind, (True, False))
    url = url or ticket_url(ticket)
    notification = None
    if in_app:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user,
                    kind=kind,
                    ticket=ticket,
                    title=title[:300],
                    body=body,
                    url=url,
                    key=key[:200],
                    created_at=clock.now(),
                )
        except IntegrityError:
            return None  # told already (a retried job)
        user_id = user.pk
        transaction.on_commit(lambda: _push(user_id))
    if email and user.email:
        link = settings.SITE_URL.rstrip("/") + url if url else ""
        mail_queue(
            key=f"notify:{user.pk}:{key}"[:200],
            to=[user.email],
            subject=title,
            body="\n\n".join(p for p in (title, body, link) if p),
            ticket=ticket,
        )
    return notification


def _push(user_id: int) -> None:
    from frontdesk.desk.live import push_user

    unread_changed(user_id)
    push_user(user_id, {"event": "notification", "unread": unread_count_refresh(user_id)})


def notify_many(
    *, users: Iterable[User], kind: str, title: str, key: str, ticket: Ticket | None = None
) -> int:
    return sum(
        1
        for user in users
        if notify(user=user, kind=kind, title=title, key=key, ticket=ticket) is not None
    )


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


# --- the bell's cached count ------------------------------------------------------------------
# The bell is on every desk page; its count is cached per agent so a page costs no query for
# it. Each cached count carries the generation it was read at, and every change of a user's
# unread notifications (after its commit) moves the generation: a count read before the
# change can never be served after it, whatever the order of the race. With a shared cache
# (Redis) the generation is a per-user cache key. With the embedded per-process cache, the
# job consumer (which creates most notifications) and the web server are two processes, so
# the generation is a small file in the var directory that every process reads (a stat-sized
# read, no query); any change moves it for every user. The TTL bounds a change missed
# anyway (notifications deleted with their ticket).

UNREAD_TTL_SECONDS = 300


def _count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def _generation_key(user_id: int) -> str:
    return f"notifications:unread-gen:{user_id}"


def _process_local() -> bool:
    return isinstance(caches["default"], LocMemCache)


def _generation_file() -> Path:
    name = "notifications-unread.gen"
    if getattr(settings, "TESTING", False):
        # Parallel test workers share the var directory but not a database (nor a job
        # consumer): each keeps its own generation, or one's notifications would make the
        # other's cached counts stale in the middle of a query-count pin. A subprocess a
        # test starts (playing the job worker) inherits the worker's name and shares it.
        name = f"notifications-unread.{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.gen"
    return Path(settings.VAR_DIR) / name


def unread_count_cached(user_id: int) -> int:
    """The bell's count: from the cache while no change happened since it was read."""
    cache = caches["default"]
    if _process_local():
        try:
            generation: object = _generation_file().read_text()
        except OSError:
            generation = ""
        hit = cache.get(_count_key(user_id))
    else:
        got = cache.get_many([_count_key(user_id), _generation_key(user_id)])
        hit, generation = got.get(_count_key(user_id)), got.get(_generation_key(user_id), "")
    if isinstance(hit, tuple) and len(hit) == 2 and hit[1] == generation:
        return int(hit[0])
    count = unread_count(user_id)
    cache.set(_count_key(user_id), (count, generation), UNREAD_TTL_SECONDS)
    return count


def unread_count_refresh(user_id: int) -> int:
    """Count from the database and remember it (the bell's own refresh, the live push)."""
    caches["default"].delete(_count_key(user_id))
    return unread_count_cached(user_id)


def unread_changed(user_id: int) -> None:
    """A user's unread notifications changed (call after the commit): drop cached counts."""
    generation_move(user_id)
    caches["default"].delete(_count_key(user_id))


def generation_move(user_id: int) -> None:
    """Make every process's cached count for ``user_id`` stale (see above)."""
    cache = caches["default"]
    token = uuid.uuid4().hex
    if _process_local():
        path = _generation_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{token}")
            temporary.write_text(token)
            temporary.replace(path)  # readers see the old token or the new, never half
        except OSError:
            log.exception("could not move the notification generation")
    else:
        cache.set(_generation_key(user_id), token, None)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark some (or, with ``ids=None``, all) of the user's notifications read."""
    query = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        query = query.filter(pk__in=list(ids))
    count = query.update(read_at=clock.now())
    if count:
        # Now for this request's own next read, and after the commit for everyone's.
        unread_changed(user.pk)
        transaction.on_commit(lambda: _push(user.pk))
    return count


def notification_mark_unread(*, user: User, notification_id: int) -> int:
    count = Notification.objects.filter(user=user, pk=notification_id).update(read_at=None)
    if count:
        unread_changed(user.pk)
        transaction.on_commit(lambda: _push(user.pk))
    return count


# --- mentions ---------------------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w][\w.-]*)", re.UNICODE)


def mentions_find(text: str) -> list[User]:
    """Agents named in ``text`` as ``@alice`` (address local part or first name, when that
    names exactly one agent) or ``@alice@example.com``."""
    handles = {m.group(1).rstrip(".").lower() for m in _MENTION.finditer(text or "")}
    if not handles:
        return []
    agents = list(
        User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
    )
    found: dict[int, User] = {}
    for handle in handles:
        if "@" in handle:
            matches = [a for a in agents if a.email.lower() == handle]
        else:
            matches = [a for a in agents if a.email.lower().partition("@")[0] == handle]
            if not matches:
                matches = [a for a in agents if (a.first_name or "").lower() == handle]
        if len(matches) == 1:
            found[matches[0].pk] = matches[0]
    return sorted(found.values(), key=lambda u: u.pk)


# --- mail jobs --------------------------------------------------------------------------------


def mail_queue(
    *,
    key: str,
    to: list[str],
    subject: str,
    body: str,
    ticket: Ticket | None = None,
    headers: Mapping[str, str] | None = None,
) -> MailJob | None:
    """Queue a mail the desk sends by itself; the same ``key`` is never queued twice."""
    to = [a for a in to if a and "@" in a]
    if not to:
        return None
    try:
        with transaction.atomic():
            job = MailJob.objects.create(
                key=key[:200],
                ticket=ticket,
                to=to,
                subject=" ".join(str(subject).split())[:250],
                body=body,
                headers=dict(headers or {}),
                created_at=clock.now(),
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue_mail(job.pk))
    return job


def _enqueue_mail(job_id: int, delay: int = 0) -> None:
    from frontdesk.notifications.tasks import mail_send_task

    if delay:
        mail_send_task.schedule((job_id,), delay=delay)
    else:
        mail_send_task(job_id)


def mail_send(job_id: int) -> MailJob | None:
    """Send one queued mail (claimed: two workers never send it twice)."""
    now = clock.now()
    claimed = MailJob.objects.filter(pk=job_id, state=MailState.QUEUED).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = MailJob.objects.get(pk=job_id)
    headers = {
        # RFC 3834: robots do not answer this mail, and vacation responders stay quiet.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        **(job.headers or {}),
    }
    if job.ticket_id:
        headers.setdefault("X-Frontdesk-Ticket", str(job.ticket.number))
    try:
        EmailMessage(subject=job.subject, body=job.body, to=list(job.to), headers=headers).send()
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("mail job %s failed: %s", job_id, reason)
        if job.attempts >= MAIL_ATTEMPTS:
            MailJob.objects.filter(pk=job_id).update(state=MailState.FAILED, last_error=reason)
        else:
            MailJob.objects.filter(pk=job_id).update(last_error=reason)
            delay = MAIL_BACKOFF_SECONDS * 2 ** (job.attempts - 1)
            transaction.on_commit(lambda: _enqueue_mail(job_id, delay=delay))
        return MailJob.objects.get(pk=job_id)
    MailJob.objects.filter(pk=job_id).update(state=MailState.SENT, sent_at=now, last_error="")
    return MailJob.objects.get(pk=job_id)


def mail_due_ids(limit: int = 200) -> list[int]:
    """Queued mail older than a few minutes (a lost job): the sweeper sends it."""
    cutoff = clock.now() - timedelta(minutes=10)
    return list(
        MailJob.objects.filter(state=MailState.QUEUED, created_at__lt=cutoff, attempts__lt=5)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def describe(kind: str, ticket: Ticket) -> str:
    """A one-line title for a notification about ``ticket``."""
    titles = {
        Kind.ASSIGNED: _("#%(n)s assigned to you: %(s)s"),
        Kind.CUSTOMER_REPLY: _("#%(n)s: the customer replied: %(s)s"),
        Kind.NEW_TICKET: _("#%(n)s new in your team: %(s)s"),
        Kind.SLA_WARNING: _("#%(n)s is about to breach its SLA: %(s)s"),
        Kind.SLA_BREACH: _("#%(n)s breached its SLA: %(s)s"),
        Kind.ESCALATION: _("#%(n)s was escalated: %(s)s"),
        Kind.MENTION: _("#%(n)s: you were mentioned: %(s)s"),
    }
    template = titles.get(kind, "#%(n)s: %(s)s")
    return str(template) % {"n": ticket.number, "s": ticket.subject}
