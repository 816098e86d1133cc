"""Every complete mail of the shared corpus: one message, one dead letter, or ignored noise.

``corpus_expected.json`` beside this file holds what a person checked by hand for a
subset: whether a ticket is created, the sender, subject, start of the body and the
attachment names. Regenerate candidates with ``FRONTDESK_CORPUS_DUMP=path pytest -k corpus``
and review them before copying any into the file.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from frontdesk.mail.models import InboundMail, InboundState
from frontdesk.tickets.models import Message

pytestmark = pytest.mark.corpus

EXPECTED = Path(__file__).with_name("corpus_expected.json")
IGNORED_REASONS = {"bounce", "bounce_unmatched", "auto_reply", "report", "own_address"}


def _complete_mails(corpus: Path) -> list[str]:
    with (corpus / "email" / "INDEX.tsv").open(newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return sorted(r["path"] for r in rows if r["kind"] == "message")


def _outcome(inbound: InboundMail) -> dict:
    outcome: dict = {"state": inbound.state, "reason": inbound.reason}
    message = inbound.ticket_message
    if message is not None:
        outcome.update(
            ticket_created=message.ticket.messages.order_by("pk").first() == message,
            sender=message.author.email,
            subject=message.ticket.subject,
            body_start=" ".join(message.body_text.split())[:60],
            attachments=[a.filename for a in message.attachments.order_by("pk")],
        )
    return outcome


def test_every_corpus_mail_becomes_one_message_or_a_dead_letter(
    corpus_dir, people, mailbox, deliver, settings
):
    settings.MAIL_SENDER_RATE_PER_HOUR = 10_000
    paths = _complete_mails(corpus_dir)
    assert len(paths) > 200
    outcomes: dict[str, dict] = {}
    for path in paths:
        raw = (corpus_dir / "email" / path).read_bytes()
        inbound = deliver(raw)
        outcomes[path] = _outcome(inbound)
        # Exactly one outcome per mail; nothing left waiting.
        assert inbound.state != InboundState.NEW, path
        if inbound.state == InboundState.PARSED:
            assert Message.objects.filter(pk=inbound.ticket_message_id).count() == 1, path
        elif inbound.state == InboundState.DEAD:
            assert inbound.error, path
        else:
            assert inbound.reason in IGNORED_REASONS, (path, inbound.state, inbound.reason)
    # A mail that appears twice (the same file with other line endings) is stored once.
    ids = list(InboundMail.objects.values_list("message_id", flat=True))
    assert len(ids) == len(set(ids))
    assert (
        Message.objects.filter(channel="email").count()
        == InboundMail.objects.filter(state=InboundState.PARSED).count()
    )

    dump = os.environ.get("FRONTDESK_CORPUS_DUMP")
    if dump:
        Path(dump).write_text(json.dumps(outcomes, indent=1, ensure_ascii=False))
    expected = json.loads(EXPECTED.read_text())
    mismatches = {
        path: (want, outcomes.get(path))
        for path, want in expected.items()
        if {k: outcomes.get(path, {}).get(k) for k in want} != want
    }
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)
    dead = [p for p, o in outcomes.items() if o["state"] == InboundState.DEAD]
    assert len(dead) <= 5, dead
