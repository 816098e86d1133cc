"""Mailboxes, every mail that came in (raw first) and every mail that went out.

A mail is stored raw in ``InboundMail`` before anything else looks at it; parsing, threading
and the ticket write happen in a job afterwards, so a crash or a parser bug never loses one.
``(mailbox, message_id)`` is unique: the same mail delivered twice is stored once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.mail.crypto import secret_decrypt, secret_encrypt


class AfterImport(models.TextChoices):
    SEEN = "seen", _("Mark as read")
    MOVE = "move", _("Move to a folder")
    DELETE = "delete", _("Delete")


class Mailbox(models.Model):
    """A support address: where its mail is fetched from and how replies from it look."""

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        help_text=_("New tickets from this address go to this team."),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("use TLS (IMAPS)"), default=True)
    imap_starttls = models.BooleanField(_("use STARTTLS"), default=False)
    username = models.CharField(_("user name"), max_length=200, blank=True)
    # Fernet token (see crypto.py); never shown back in a form.
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    after_import = models.CharField(
        _("after import"), max_length=10, choices=AfterImport.choices, default=AfterImport.SEEN
    )
    move_folder = models.CharField(
        _("move to folder"), max_length=200, blank=True, help_text=_("Used with “Move”.")
    )
    active = models.BooleanField(_("active"), default=True)
    from_name = models.CharField(
        _("sender name"), max_length=100, blank=True, help_text=_("Shown as the sender of replies.")
    )
    signature = models.TextField(_("signature"), blank=True)
    acknowledge = models.BooleanField(
        _("acknowledge new tickets"),
        default=True,
        help_text=_("Reply to the sender of a new ticket that their request arrived."),
    )
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Claim so that two workers never poll the same mailbox at once (see imap.py).
    polling_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    @property
    def password(self) -> str:
        return secret_decrypt(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = secret_encrypt(value) if value else ""

    @property
    def polls_imap(self) -> bool:
        return bool(self.imap_host and self.username)


class InboundState(models.TextChoices):
    NEW = "new", _("waiting")
    PARSED = "parsed", _("imported")
    DEAD = "dead", _("failed")
    QUARANTINED = "quarantined", _("quarantined")
    IGNORED = "ignored", _("ignored")
    HELD = "held", _("held")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP")
    WEBHOOK = "webhook", _("Provider webhook")
    FILE = "file", _("File import")


class InboundMail(models.Model):
    """One received mail, raw bytes first; ``state`` says what became of it."""

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    message_id = models.CharField(max_length=255)
    raw = models.FileField(upload_to="mail/raw/", max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    received_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    state = models.CharField(max_length=12, choices=InboundState.choices, default=InboundState.NEW)
    reason = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    ticket_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("received mail")
        verbose_name_plural = _("received mail")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="inbound_mail_unique_per_mailbox"
            ),
            # Mail without a mailbox (a file import without --mailbox) is unique too.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(mailbox__isnull=True),
                name="inbound_mail_unique_unrouted",
            ),
        ]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_mail_msgid_idx"),
            models.Index(fields=["state", "-received_at"], name="inbound_mail_state_idx"),
            models.Index(fields=["sender", "received_at"], name="inbound_mail_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.state})"


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("reply")
    ACKNOWLEDGEMENT = "ack", _("acknowledgement")
    QUARANTINE_NOTICE = "quarantine", _("too large notice")


class OutboundMail(models.Model):
    """A mail we send: an agent reply, an acknowledgement or a notice to a sender."""

    ticket_message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_mail",
    )
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound"
    )
    inbound = models.ForeignKey(
        InboundMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=OutboundKind.choices)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    message_id = models.CharField(max_length=255, unique=True)
    state = models.CharField(
        max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mail")
        constraints = [
            # One reply mail per ticket message and kind: re-running the handler is a no-op.
            models.UniqueConstraint(
                fields=["ticket_message", "kind"],
                condition=Q(ticket_message__isnull=False),
                name="outbound_mail_once_per_message",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_mail_due_idx",
                condition=Q(state="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.state})"


class BouncingAddress(models.Model):
    """An address whose mail bounced: we stop acknowledging it until it writes again."""

    email = models.EmailField(unique=True)
    bounced_at = models.DateTimeField()
    bounce_count = models.PositiveIntegerField(default=1)
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.email
