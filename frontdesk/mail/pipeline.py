"""One pipeline for every way mail comes in (IMAP, SMTP/LMTP, provider webhooks, files).

1. ``ingest_raw`` stores the raw bytes and an ``InboundMail`` row in its own transaction
   and enqueues the parse job after the commit. Idempotent by (mailbox, Message-ID): the
   same mail delivered twice is stored once. Callers acknowledge the mail to its source
   (IMAP seen/move/delete, SMTP 250) only after this returns.
2. ``inbound_process`` (the job) parses, filters noise, threads and calls
   ``tickets.services.message_receive``. The ticket write and the mail's new state commit
   together, so a worker killed at any point leaves the mail ``new`` for the sweeper, and a
   rerun never makes a second message. Anything that fails lands in the dead-letter list
   with its error, never lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, connection, router, transaction
from django.db.models import Count, F
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from frontdesk.accounts.models import User
from frontdesk.accounts.services import (
    customer_build,
    customer_get_or_create,
    customer_new,
    customers_write,
    organizations_by_domain,
)
from frontdesk.core import clock
from frontdesk.core.files import content_file_store
from frontdesk.core.services import IdPool
from frontdesk.customers.models import Organization
from frontdesk.mail.models import (
    BouncingAddress,
    InboundMail,
    InboundSource,
    InboundState,
    Mailbox,
    OutboundKind,
    OutboundMail,
    OutboundState,
)
from frontdesk.mail.noise import Noise, dmarc_result, noise_of, sender_authenticated
from frontdesk.mail.parse import ParsedMail, inline_cids, mail_parse, message_id_for
from frontdesk.mail.threading import thread_resolve
from frontdesk.mail.tokens import address_base
from frontdesk.tickets.attachments import IncomingFile, attachment_check
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, Message, MessageKind, Ticket
from frontdesk.tickets.services import (
    message_receive,
    ticket_update,
    tickets_lock,
    writes_batched,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_CC_USERS = 10
HEADER_LIMIT = 64 * 1024


class NoSenderError(ValueError):
    """Raised before anything is written: the mail goes to the dead letters."""


class FaultInjected(BaseException):  # noqa: N818 - models a killed worker, not an error
    """Raised by the test hook: like SIGKILL, it is not an error the pipeline handles."""


# Tests set this to a callable(point) that may raise ``FaultInjected`` at named points.
fault_hook: Callable[[str], None] | None = None


def _fault(point: str) -> None:
    if fault_hook is not None:
        fault_hook(point)


# --- 1. store ---------------------------------------------------------------------------------


def raw_path(raw: bytes) -> str:
    digest = hashlib.sha256(raw).hexdigest()
    return f"mail/raw/{digest[:2]}/{digest[2:4]}/{digest}.eml"


def _raw_store(raw: bytes) -> str:
    """Content-addressed: a re-delivery or a killed run leaves no second copy."""
    return content_file_store(raw_path(raw), raw)


def raw_read(inbound: InboundMail) -> bytes:
    if not inbound.raw:
        return b""
    with default_storage.open(inbound.raw.name, "rb") as handle:
        return handle.read()


def ingest_raw(
    raw: bytes,
    *,
    mailbox: Mailbox | None,
    source: str = InboundSource.FILE,
    size: int | None = None,
) -> tuple[InboundMail, bool]:
    """Store one mail and enqueue its parse job; ``(mail, created)``.

    ``size`` is the full size when ``raw`` holds only the headers of a mail too large to
    download (IMAP): such a mail is quarantined and its sender told.
    """
    message_id = message_id_for(raw)
    existing = InboundMail.objects.filter(mailbox=mailbox, message_id=message_id).first()
    if existing is not None:
        return existing, False
    size = max(size or 0, len(raw))
    oversized = size > settings.MAIL_MAX_BYTES
    name = _raw_store(raw)
    _fault("stored_file")
    try:
        with transaction.atomic():
            inbound = InboundMail.objects.create(
                mailbox=mailbox,
                message_id=message_id,
                raw=name,
                size=size,
                received_at=clock.now(),
                source=source,
                state=InboundState.QUARANTINED if oversized else InboundState.NEW,
                reason="too_large" if oversized else "",
            )
            if oversized:
                _quarantine(inbound, raw)
            else:
                transaction.on_commit(lambda: _enqueue_process(inbound.pk))
    except IntegrityError:
        # The same mail arrived through another worker or listener at the same moment.
        return InboundMail.objects.get(mailbox=mailbox, message_id=message_id), False
    _fault("stored_row")
    return inbound, True


def ingest_batch(
    raws: list[bytes], *, mailbox: Mailbox, source: str = InboundSource.IMAP
) -> list[tuple[InboundMail, bool]]:
    """Store a fetched batch of mails in one transaction and enqueue *one* parse job for
    the new ones; ``(mail, created)`` per raw, in order. The same rules as ``ingest_raw``
    (raw stored and committed before any parsing, idempotent by Message-ID), with a
    handful of round trips for the whole batch instead of a few per mail. Oversized mail
    is not handled here (IMAP quarantines it from its headers through ``ingest_raw``)."""
    message_ids = [message_id_for(raw) for raw in raws]
    existing = {
        row.message_id: row
        for row in InboundMail.objects.filter(
            mailbox=mailbox, message_id__in=set(message_ids)
        ).order_by()
    }
    now = clock.now()
    fresh: dict[str, InboundMail] = {}
    for raw, message_id in zip(raws, message_ids, strict=True):
        if message_id in existing or message_id in fresh:
            continue
        fresh[message_id] = InboundMail(
            mailbox=mailbox,
            message_id=message_id,
            raw=_raw_store(raw),
            size=len(raw),
            received_at=now,
            source=source,
            state=InboundState.NEW,
        )
    _fault("stored_file")
    if fresh:
        try:
            with transaction.atomic():
                created = InboundMail.objects.bulk_create(list(fresh.values()))
                ids = [row.pk for row in created]
                transaction.on_commit(lambda: _enqueue_process_batch(ids))
        except IntegrityError:
            # Another worker stored some of them at the same moment: one by one then.
            return [ingest_raw(raw, mailbox=mailbox, source=source) for raw in raws]
    _fault("stored_row")
    out: list[tuple[InboundMail, bool]] = []
    seen: set[str] = set()
    for message_id in message_ids:
        if message_id in fresh and message_id not in seen:
            out.append((fresh[message_id], True))
        else:
            out.append((existing.get(message_id) or fresh[message_id], False))
        seen.add(message_id)
    return out


def _enqueue_process_batch(inbound_ids: list[int]) -> None:
    from frontdesk.mail.tasks import inbound_process_batch_task

    inbound_process_batch_task(inbound_ids)


def _enqueue_process(inbound_id: int) -> None:
    from frontdesk.mail.tasks import inbound_process_task

    inbound_process_task(inbound_id)


def _quarantine(inbound: InboundMail, raw: bytes) -> None:
    """Tell the sender their mail was too large (never a robot, never ourselves)."""
    from frontdesk.mail.outbound import notice_queue_too_large

    parsed = mail_parse(raw[:HEADER_LIMIT])
    inbound.sender = parsed.from_email[:254]
    inbound.subject = parsed.subject[:250]
    inbound.save(update_fields=["sender", "subject"])
    if (
        noise_of(parsed) in (Noise.NONE, Noise.AUTOMATED)
        and _is_address(parsed.from_email)
        and not _is_own_address(parsed.from_email)
        and not _told_recently(inbound.sender)
    ):
        notice_queue_too_large(inbound=inbound, parsed=parsed)


def _told_recently(sender: str) -> bool:
    """One "too large" notice an hour per address: a flood of big mails with a forged From
    must not turn us into a mail cannon aimed at that address."""
    return OutboundMail.objects.filter(
        kind=OutboundKind.QUARANTINE_NOTICE,
        inbound__sender=sender,
        created_at__gte=clock.now() - timedelta(hours=1),
    ).exists()


# --- 2. process -------------------------------------------------------------------------------


def inbound_process(inbound_id: int, *, force: bool = False) -> InboundMail | None:
    """Parse and deliver one stored mail. Safe to run twice; ``force`` re-runs a dead or
    held mail (an admin pressed "re-run") and skips the flood guard."""
    states = [InboundState.NEW]
    if force:
        states += [InboundState.DEAD, InboundState.HELD]
    claimed = InboundMail.objects.filter(pk=inbound_id, state__in=states)
    if not force:
        claimed = claimed.filter(attempts__lt=MAX_ATTEMPTS)
    if not claimed.update(attempts=F("attempts") + 1):
        _give_up_if_exhausted(inbound_id)
        return None
    try:
        with transaction.atomic():
            inbound = (
                InboundMail.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__team")
                .filter(pk=inbound_id, state__in=states)
                .first()
            )
            if inbound is None:
                return None
            _fault("claimed")
            parsed = mail_parse(raw_read(inbound), message_id=inbound.message_id)
            _fault("parsed")
            _deliver(inbound, parsed, force=force)
            inbound.processed_at = clock.now()
            inbound.error = ""
            inbound.save()
            _fault("delivered")
            return inbound
    except Exception as exc:
        log.exception("mail %s could not be imported", inbound_id)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        InboundMail.objects.filter(pk=inbound_id).update(
            state=InboundState.DEAD,
            error=f"{detail}\n\n{traceback.format_exc()[-4000:]}",
            processed_at=clock.now(),
            **_headline(inbound_id),
        )
        return InboundMail.objects.filter(pk=inbound_id).first()


@dataclass
class _Batch:
    """Lookups made once for a batch of mails instead of once per mail."""

    users: dict[str, User] = field(default_factory=dict)
    # Message-ID -> ticket id, for mails we stored or sent (grows as the batch delivers).
    known: dict[str, int] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    own_ids: set[str] = field(default_factory=set)
    recent: dict[str, int] = field(default_factory=dict)  # parsed mails per sender, last hour
    # Addresses looked up when the batch began (lowercased): one not in ``users`` had no
    # user then, and becomes a customer without another lookup. Domains -> organization.
    looked_up: set[str] = field(default_factory=set)
    organizations: dict[str, Organization] = field(default_factory=dict)
    # On PostgreSQL new senders get ids now and are written together when the batch ends.
    user_ids: IdPool | None = None
    new_users: list[User] = field(default_factory=list)

    @classmethod
    def load(cls, parsed: list[ParsedMail]) -> _Batch:
        batch = cls()
        emails = {p.from_email for p in parsed if p.from_email}
        emails |= {a for p in parsed for a, _n in p.cc[:MAX_CC_USERS]}
        emails = {e.strip().lower() for e in emails} - {""}
        if emails:
            # In any letter case, as user_find_by_email (from the UPPER(email) index); the
            # oldest account wins where two differ only in case.
            for user in (
                User.objects.annotate(email_upper=Upper("email"))
                .filter(email_upper__in={e.upper() for e in emails})
                .order_by("-pk")
            ):
                batch.users[user.email.lower()] = user
            batch.looked_up = emails
            missing = emails - batch.users.keys()
            batch.organizations = organizations_by_domain(e.rpartition("@")[2] for e in missing)
        if connection.vendor == "postgresql":
            batch.user_ids = IdPool(User)
        thread_ids = {i for p in parsed for i in p.thread_ids}
        own = {p.message_id for p in parsed}
        if thread_ids:
            for model in (InboundMail, OutboundMail):
                rows = model.objects.filter(
                    message_id__in=thread_ids, ticket_message__isnull=False
                ).values_list("message_id", "ticket_message__ticket_id")
                for message_id, ticket_id in rows:
                    batch.known.setdefault(message_id, ticket_id)
            # Locked now, in one query: each reply's ticket write then reads it no more.
            batch.tickets = tickets_lock(batch.known.values())
        batch.own_ids = set(
            OutboundMail.objects.filter(message_id__in=own).values_list("message_id", flat=True)
        )
        senders = {p.from_email[:254] for p in parsed if p.from_email}
        since = clock.now() - timedelta(hours=1)
        for row in (
            InboundMail.objects.filter(
                sender__in=senders, received_at__gte=since, state=InboundState.PARSED
            )
            .values("sender")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            batch.recent[row["sender"]] = row["n"]
        return batch


def inbound_process_batch(inbound_ids: list[int]) -> int:
    """Parse and deliver a batch of freshly stored mails in one transaction.

    Only mails never tried before are taken (``attempts == 0``); the claim is committed
    first, so a worker killed mid-batch leaves them ``new`` with one attempt counted, and
    the sweeper then retries each on its own (``inbound_process``): one poisonous mail
    never takes its batch mates down with it. Any error rolls the batch back and the mails
    go one by one, each into its own transaction (a failing one to the dead letters).
    Returns how many mails this call finished.
    """
    claimed = InboundMail.objects.filter(
        pk__in=inbound_ids, state=InboundState.NEW, attempts=0
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return 0
    try:
        with transaction.atomic():
            rows = list(
                InboundMail.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__team")
                .filter(pk__in=inbound_ids, state=InboundState.NEW, attempts=1)
                .order_by("pk")
            )
            _fault("claimed")
            parsed = [mail_parse(raw_read(row), message_id=row.message_id) for row in rows]
            _fault("parsed")
            now = clock.now()
            # The tickets' events and outbox rows of the whole batch: one INSERT each.
            with writes_batched():
                batch = _Batch.load(parsed)
                for row, mail in zip(rows, parsed, strict=True):
                    row.processed_at = now
                    row.error = ""
                    try:
                        _deliver(row, mail, force=False, batch=batch)
                    except NoSenderError as exc:  # raised before any write for this mail
                        _set(row, InboundState.DEAD)
                        row.error = str(exc)
                    if row.ticket_message is not None:
                        batch.known[row.message_id] = row.ticket_message.ticket_id
                customers_write(batch.new_users)
            _outcomes_save(rows, now)
            _fault("delivered")
            return len(rows)
    except Exception:
        log.warning("batch of %s mails failed; importing them one by one", len(inbound_ids))
        done = 0
        for inbound_id in inbound_ids:
            done += int(inbound_process(inbound_id) is not None)
        return done


_OUTCOME_FIELDS = ("state", "reason", "sender", "subject", "ticket_message", "error")


def _outcomes_save(rows: list[InboundMail], now: datetime) -> None:
    """What became of each mail of a batch, in one ``UPDATE ... FROM (VALUES ...)``.

    Django's ``bulk_update`` writes a ``CASE WHEN id = ...`` per field and row, and building
    it took a fifth of a batch's CPU time (profiled with bench/mail_bench.py --profile).
    Both databases name the columns of a VALUES list column1, column2, ...
    """
    if not rows:
        return
    meta = InboundMail._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name).column for name in _OUTCOME_FIELDS]
    assignments = ", ".join(
        f"{quote(column)} = v.column{i}" for i, column in enumerate(columns, start=2)
    )
    # The ids need their type: a VALUES column of NULLs would otherwise be text on PostgreSQL.
    row_sql = "(CAST(%s AS bigint), %s, %s, %s, %s, CAST(%s AS bigint), %s)"
    params: list[object] = [meta.get_field("processed_at").get_db_prep_value(now, connection)]
    for row in rows:
        params += [row.pk, row.state, row.reason, row.sender, row.subject]
        params += [row.ticket_message_id, row.error]
    # Only quoted column names and placeholders are formatted in; every value is a parameter.
    processed_at = quote(meta.get_field("processed_at").column)
    values = ", ".join([row_sql] * len(rows))
    sql = f"UPDATE {table} SET {assignments}, {processed_at} = %s FROM (VALUES {values}) AS v "  # noqa: S608
    sql += f"WHERE {table}.{quote(meta.pk.column)} = v.column1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _headline(inbound_id: int) -> dict[str, str]:
    """Sender and subject for the dead-letter list, read as simply as possible."""
    from email import policy
    from email.parser import BytesHeaderParser

    from frontdesk.mail.parse import header_text

    try:
        inbound = InboundMail.objects.get(pk=inbound_id)
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(
            raw_read(inbound)[:HEADER_LIMIT]
        )
        return {
            "sender": header_text(headers.get("From", ""))[:254],
            "subject": header_text(headers.get("Subject", ""))[:250],
        }
    except Exception:  # noqa: BLE001 - the list shows what it can
        return {}


def _give_up_if_exhausted(inbound_id: int) -> None:
    """A mail that killed its worker MAX_ATTEMPTS times goes to the dead letters."""
    InboundMail.objects.filter(
        pk=inbound_id, state=InboundState.NEW, attempts__gte=MAX_ATTEMPTS
    ).update(
        state=InboundState.DEAD,
        error=_("Import was interrupted %(n)s times; giving up.") % {"n": MAX_ATTEMPTS},
    )


_ADDRESS_RE = re.compile(r"[^\s<>\"@]{1,64}@[^\s<>\"@]{1,255}\.[^\s<>\"@.]{1,63}")


def _is_address(value: str) -> bool:
    """A deliverable-looking address; international ones (RFC 6532) included."""
    try:
        validate_email(value)
    except ValidationError:
        return len(value) <= 254 and bool(_ADDRESS_RE.fullmatch(value or ""))
    return True


_own_cache: tuple[float, frozenset[str]] = (0.0, frozenset())


def own_addresses() -> frozenset[str]:
    """Our mailbox addresses (cached for a few seconds: read for every mail)."""
    global _own_cache
    now = time.monotonic()
    if now - _own_cache[0] > 10:
        addresses = Mailbox.objects.values_list("address", flat=True)
        _own_cache = (now, frozenset(a.lower() for a in addresses))
    return _own_cache[1]


def own_addresses_forget(**_kwargs: object) -> None:
    """Mailboxes changed: read the addresses again (connected to Mailbox saves/deletes)."""
    global _own_cache
    _own_cache = (0.0, frozenset())


def _is_own_address(address: str) -> bool:
    return address_base(address) in own_addresses()


def _is_own_message_id(message_id: str) -> bool:
    """Our Message-IDs carry a mailbox's domain; only those can be our own mail."""
    domain = message_id.rpartition("@")[2].lower()
    own_domains = {a.rpartition("@")[2] for a in own_addresses()} | {"frontdesk.invalid"}
    if domain not in own_domains and not domain.endswith(".invalid"):
        from django.conf import settings as conf

        default = conf.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ").lower()
        if domain != default:
            return False
    return OutboundMail.objects.filter(message_id=message_id).exists()


def _set(inbound: InboundMail, state: str, reason: str = "") -> None:
    inbound.state = state
    inbound.reason = reason


def _deliver(
    inbound: InboundMail, parsed: ParsedMail, *, force: bool, batch: _Batch | None = None
) -> None:
    inbound.sender = parsed.from_email[:254]
    inbound.subject = parsed.subject[:250]
    own_mail = (
        parsed.message_id in batch.own_ids
        if batch is not None
        else _is_own_message_id(parsed.message_id)
    )
    if own_mail:
        return _set(inbound, InboundState.IGNORED, "own_mail")
    noise = noise_of(parsed)
    if noise == Noise.BOUNCE:
        # A report about mail we never sent (or naming someone it was not sent to) counts
        # for nothing; it is kept, ignored, under its own reason.
        counted = bounce_record(parsed)
        return _set(inbound, InboundState.IGNORED, "bounce" if counted else "bounce_unmatched")
    if noise == Noise.REPORT:
        return _set(inbound, InboundState.IGNORED, "report")
    if noise == Noise.AUTO_REPLY:
        return _set(inbound, InboundState.IGNORED, "auto_reply")
    if not _is_address(parsed.from_email):
        raise NoSenderError("The mail has no valid sender address (From).")
    if _is_own_address(parsed.from_email):
        return _set(inbound, InboundState.IGNORED, "own_address")
    if not force and _flooding(parsed.from_email, inbound, batch):
        return _set(inbound, InboundState.HELD, "flood")
    _fault("before_receive")
    author = _sender_user(parsed.from_email, parsed.from_name, batch)
    recipients = parsed.to + [a for a, _n in parsed.cc] + parsed.delivered_to
    authenticated = sender_authenticated(parsed)
    thread = thread_resolve(
        parsed=parsed,
        sender=author,
        recipients=recipients,
        authenticated=authenticated,
        known=batch.known if batch is not None else None,
        tickets=batch.tickets if batch is not None else None,
    )
    files, refused = _files_checked(parsed)
    metadata = _metadata(inbound, parsed, noise=noise, how=thread.how, refused=refused)
    if thread.refused is not None:
        metadata["mail"]["refused_ticket"] = thread.refused.number
    body_text = parsed.body_text or (
        _("(This mail had no text.)") if not parsed.body_html else parsed.body_text
    )
    # Anyone can write an agent's address in From: mail never speaks for an agent to a
    # customer. On a ticket or as a new one, it is kept as a held internal note (the agent
    # can repost it), and a new ticket from it takes no CCs: nobody outside is ever mailed.
    held = author.is_agent
    if held:
        metadata["held"] = True
    if thread.ticket is not None:
        inbound_message = InboundMessage(
            channel=Channel.EMAIL,
            author=author,
            ticket=thread.ticket,
            kind=MessageKind.NOTE if held else MessageKind.PUBLIC,
            subject=parsed.subject,
            body_text=body_text,
            body_html=parsed.body_html,
            attachments=files,
            external_id=parsed.message_id,
            metadata=metadata,
        )
    else:
        inbound_message = InboundMessage(
            channel=Channel.EMAIL,
            author=author,
            subject=parsed.subject or _("(no subject)"),
            body_text=body_text,
            body_html=parsed.body_html,
            attachments=files,
            kind=MessageKind.NOTE if held else MessageKind.PUBLIC,
            team=inbound.mailbox.team if inbound.mailbox else None,
            cc=[] if held else _cc_users(parsed, author, batch),
            external_id=parsed.message_id,
            metadata=metadata,
        )
    # Both callers give up the whole transaction when this raises: no savepoint needed.
    message = message_receive(inbound=inbound_message, savepoint=False)
    if thread.ticket is not None and parsed.cc and not held:
        _ccs_keep(thread.ticket, parsed, author, batch)
    if authenticated:
        # Mail our MTA verified came from this address: it works again. (Unverified mail
        # proves nothing: a forged From must not turn acknowledgements back on.)
        bounce_clear(parsed.from_email)
    inbound.ticket_message = message
    return _set(inbound, InboundState.PARSED, thread.how or "new_ticket")


def _flooding(sender: str, inbound: InboundMail, batch: _Batch | None = None) -> bool:
    if batch is not None:
        recent = batch.recent.get(sender[:254], 0)
        batch.recent[sender[:254]] = recent + 1  # counted as if parsed; held mail is rare
        return recent >= settings.MAIL_SENDER_RATE_PER_HOUR
    since = clock.now() - timedelta(hours=1)
    recent = (
        InboundMail.objects.filter(
            sender=sender[:254], received_at__gte=since, state=InboundState.PARSED
        )
        .exclude(pk=inbound.pk)
        .count()
    )
    return recent >= settings.MAIL_SENDER_RATE_PER_HOUR


def _sender_user(email: str, name: str, batch: _Batch | None = None) -> User:
    """The user with exactly this address (lowercased), or a new customer for it."""
    email = email.strip().lower()
    if batch is not None:
        user = batch.users.get(email)
        if user is None:
            if email in batch.looked_up:
                # Known to be new: no lookup, no savepoint (the batch gives up as a whole on
                # an error, and its mails are then imported one by one through the path
                # below, which handles another worker's create of the same address).
                domain = email.rpartition("@")[2]
                organization = batch.organizations.get(domain)
                if batch.user_ids is None:
                    user = customer_new(email=email, name=name, organization=organization)
                else:
                    user = customer_build(email=email, name=name, organization=organization)
                    user.pk = batch.user_ids.next()
                    # Its INSERT is pending in this transaction: rows may point to it.
                    user._state.db = router.db_for_write(User)
                    batch.new_users.append(user)
            else:
                user = _sender_user(email, name)
            batch.users[email] = user
        return user
    try:
        with transaction.atomic():
            return customer_get_or_create(email=email, name=name)
    except IntegrityError:
        # Another worker created the same customer a moment ago.
        return User.objects.get(email=email)


def _cc_users(parsed: ParsedMail, author: User, batch: _Batch | None = None) -> list[User]:
    own = own_addresses()
    users = []
    for address, name in parsed.cc[:MAX_CC_USERS]:
        if address == author.email or address_base(address) in own or not _is_address(address):
            continue
        users.append(_sender_user(address, name, batch))
    return users


def _ccs_keep(ticket: Ticket, parsed: ParsedMail, author: User, batch: _Batch | None) -> None:
    """A customer who copies a colleague on a reply keeps the colleague on the thread: our
    next replies go to them too. Only people are added (no agents, none of our addresses,
    at most MAX_CC_USERS on the ticket); nobody is removed by leaving them off a reply."""
    wanted = [
        u
        for u in _cc_users(parsed, author, batch)
        if u.pk != ticket.requester_id and not u.is_agent
    ]
    if not wanted:
        return
    if batch is not None and batch.new_users:
        # The ticket's CCs are read through the users table: the batch's new senders must
        # be in it first (one of them may be on this ticket already).
        customers_write(batch.new_users)
        batch.new_users = []
    current = list(ticket.cc.all())
    known = {u.pk for u in current}
    added = [u for u in wanted if u.pk not in known][: max(MAX_CC_USERS - len(current), 0)]
    if added:
        ticket_update(ticket=ticket, actor=None, changes={"cc": [*current, *added]})


def _files_checked(parsed: ParsedMail) -> tuple[list[IncomingFile], list[dict[str, str]]]:
    """Attachments the desk accepts; the refused ones are named, the mail is kept."""
    accepted: list[IncomingFile] = []
    refused: list[dict[str, str]] = []
    for item in parsed.attachments:
        candidate = IncomingFile(
            name=item.name,
            content=item.content,
            content_type=item.content_type,
            inline=item.inline,
        )
        try:
            attachment_check([*accepted, candidate])
        except ValidationError as exc:
            refused.append({"name": item.name[:200], "reason": "; ".join(exc.messages)[:300]})
            continue
        accepted.append(candidate)
    return accepted, refused


def _metadata(
    inbound: InboundMail,
    parsed: ParsedMail,
    *,
    noise: Noise,
    how: str,
    refused: list[dict[str, str]],
) -> dict:
    kept = [f for f in parsed.attachments if f.name not in {r["name"] for r in refused}]
    cids = inline_cids(ParsedMail(attachments=kept, body_html=parsed.body_html))
    mail = {
        "inbound_id": inbound.pk,
        "message_id": parsed.message_id,
        "from": parsed.from_email,
        "to": parsed.to[:20],
        "cc": [a for a, _n in parsed.cc][:20],
        "thread": how,
        "noise": noise.value,
        "dmarc": dmarc_result(parsed),
        "signed": parsed.signed,
    }
    metadata: dict = {"mail": mail}
    if parsed.reply_html:
        metadata["reply_html"] = parsed.reply_html
    if cids:
        metadata["mail"]["cids"] = cids
    if refused:
        metadata["mail"]["refused_files"] = refused
    if parsed.calendar_summary:
        metadata["mail"]["calendar"] = parsed.calendar_summary
    return metadata


# --- bounces ----------------------------------------------------------------------------------


def bounce_record(parsed: ParsedMail) -> int:
    """A permanent failure of *our* mail marks the address bouncing and that mail failed.

    Anyone can send a delivery report naming any address, so a report counts only when it
    carries the Message-ID of a mail we sent (``OutboundMail``) and the failed recipient
    was one of that mail's recipients. Returns how many addresses were marked.
    """
    bounce = parsed.bounce
    if bounce is None or not bounce.permanent or not bounce.original_message_ids:
        return 0
    ours = list(
        OutboundMail.objects.filter(message_id__in=bounce.original_message_ids[:10]).only(
            "pk", "to", "cc"
        )
    )
    failed = {a.strip().lower() for a in bounce.recipients[:20]}
    now = clock.now()
    reason = (bounce.diagnostic or parsed.subject)[:1000]
    marked = 0
    for outbound in ours:
        recipients = {a.strip().lower() for a in [*outbound.to, *outbound.cc]}
        hit = sorted(failed & recipients)
        if not hit:
            continue
        OutboundMail.objects.filter(pk=outbound.pk).update(
            state=OutboundState.FAILED,
            last_error=_("Bounced: %(reason)s") % {"reason": reason[:500]},
        )
        for address in hit:
            updated = BouncingAddress.objects.filter(email=address).update(
                bounced_at=now, bounce_count=F("bounce_count") + 1, reason=reason
            )
            if not updated:
                BouncingAddress.objects.get_or_create(
                    email=address, defaults={"bounced_at": now, "reason": reason}
                )
            marked += 1
    return marked


def bounce_clear(address: str) -> None:
    """The address wrote to us and got through: it no longer bounces."""
    BouncingAddress.objects.filter(email=address.strip().lower()).delete()


def message_inbound(message: Message) -> InboundMail | None:
    return InboundMail.objects.filter(ticket_message=message).first()
