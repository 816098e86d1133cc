"""Base models shared by every app: counters and the transactional outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """A named monotonic counter (e.g. ticket numbers), bumped with a row-locking UPDATE."""

    name = models.CharField(max_length=50, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class OutboxEntry(models.Model):
    """A side effect that must happen after a commit (index, notify, push, webhook).

    Services write these rows inside their transaction; on commit each row becomes a job.
    The sweeper re-enqueues rows that no worker finished, so a killed worker loses nothing.
    """

    topic = models.CharField(_("topic"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
