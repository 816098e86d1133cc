"""Polling a real Dovecot server: mail is marked done on the server only after it is stored."""

from __future__ import annotations

import socket
import threading
from concurrent import futures
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from imap_tools import AND

from frontdesk.core import clock
from frontdesk.mail import pipeline
from frontdesk.mail.imap import mailbox_connect, mailbox_poll, mailbox_test
from frontdesk.mail.models import AfterImport, InboundMail, InboundState, Mailbox
from frontdesk.mail.tasks import mailboxes_poll, mailboxes_poll_start, mailboxes_polling
from frontdesk.mail.tests.conftest import imap_append, mail_build
from frontdesk.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _unseen(box: Mailbox, folder: str = "INBOX") -> int:
    with mailbox_connect(box) as client:
        client.folder.set(folder)
        return len(client.uids(AND(seen=False)))


def _count(box: Mailbox, folder: str = "INBOX") -> int:
    with mailbox_connect(box) as client:
        client.folder.set(folder)
        return len(client.uids("ALL"))


@pytest.fixture
def no_fault():
    yield
    pipeline.fault_hook = None


def test_polled_mail_becomes_tickets_and_is_marked_seen(people, imap_mailbox):
    imap_append(
        imap_mailbox,
        mail_build(subject="Printer is on fire"),
        mail_build(sender="erik@example.org", subject="Kan inte logga in"),
    )

    result = mailbox_poll(imap_mailbox)

    assert (result.fetched, result.new, result.error) == (2, 2, "")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Kan inte logga in",
        "Printer is on fire",
    ]
    assert _unseen(imap_mailbox) == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_poll_at is not None and imap_mailbox.last_error == ""


def test_redelivered_mail_never_duplicates(people, imap_mailbox):
    raw = mail_build()
    imap_append(imap_mailbox, raw)
    mailbox_poll(imap_mailbox)
    # The same mail lands again (a client re-uploads it, a second MX delivers it).
    imap_append(imap_mailbox, raw)
    result = mailbox_poll(imap_mailbox)

    assert result.fetched == 1 and result.new == 0
    assert Message.objects.count() == 1
    assert _unseen(imap_mailbox) == 0


def test_a_crash_before_the_store_leaves_the_mail_unseen_for_the_next_poll(
    people, imap_mailbox, no_fault
):
    imap_append(imap_mailbox, mail_build(subject="first"), mail_build(subject="second"))

    def crash_before_the_rows(point: str) -> None:
        # The batch's raw files are written, its rows not yet committed.
        if point == "stored_file":
            raise pipeline.FaultInjected(point)

    pipeline.fault_hook = crash_before_the_rows
    with pytest.raises(pipeline.FaultInjected):
        mailbox_poll(imap_mailbox)

    assert InboundMail.objects.count() == 0
    assert _unseen(imap_mailbox) == 2  # nothing was marked: the batch never finished
    pipeline.fault_hook = None
    mailbox_poll(imap_mailbox)

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["first", "second"]
    assert _unseen(imap_mailbox) == 0


def test_huge_mail_is_quarantined_from_its_headers_and_does_not_block_others(
    people, imap_mailbox, settings
):
    settings.MAIL_MAX_BYTES = 50_000
    imap_append(
        imap_mailbox,
        mail_build(subject="Huge", body="x" * 200_000),
        mail_build(subject="Small"),
    )

    result = mailbox_poll(imap_mailbox)

    assert result.quarantined == 1
    huge = InboundMail.objects.get(subject="Huge")
    assert huge.state == InboundState.QUARANTINED
    assert huge.size > 200_000
    assert len(pipeline.raw_read(huge)) < 5_000  # only the headers were downloaded
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Small"]
    assert any("too large" in m.subject for m in django_mail.outbox)
    assert _unseen(imap_mailbox) == 0


def test_move_after_import_moves_to_the_folder(people, imap_mailbox):
    with mailbox_connect(imap_mailbox) as client:
        client.folder.create("Imported")
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        after_import=AfterImport.MOVE, move_folder="Imported"
    )
    imap_mailbox.refresh_from_db()
    imap_append(imap_mailbox, mail_build())

    mailbox_poll(imap_mailbox)

    assert _count(imap_mailbox) == 0
    assert _count(imap_mailbox, "Imported") == 1
    assert Ticket.objects.count() == 1


def test_delete_after_import_empties_the_inbox(people, imap_mailbox):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(after_import=AfterImport.DELETE)
    imap_mailbox.refresh_from_db()
    imap_append(imap_mailbox, mail_build(), mail_build(subject="two"))

    mailbox_poll(imap_mailbox)

    assert _count(imap_mailbox) == 0
    assert Ticket.objects.count() == 2


def test_broken_mailbox_records_its_error_and_the_others_are_polled(people, dovecot, imap_mailbox):
    broken = Mailbox(
        address="sales@example.com",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_ssl=False,
        username=dovecot.account(),
    )
    broken.password = "wrong password"
    broken.save()
    imap_append(imap_mailbox, mail_build())

    polls = mailboxes_poll_start()
    futures.wait(polls.values(), timeout=120)

    assert sorted(polls) == sorted([broken.pk, imap_mailbox.pk])
    broken.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in broken.last_error or "failed" in broken.last_error.lower()
    assert Ticket.objects.count() == 1
    ok, text = mailbox_test(broken)
    assert not ok and text.startswith("Could not connect")
    assert mailbox_test(imap_mailbox)[0]


def test_a_mailbox_being_polled_is_not_polled_twice(people, imap_mailbox):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        polling_until=clock.now() + timedelta(minutes=5)
    )
    imap_append(imap_mailbox, mail_build())

    assert mailbox_poll(imap_mailbox).skipped
    assert Ticket.objects.count() == 0
    assert _unseen(imap_mailbox) == 1


@pytest.fixture
def silent_server():
    """A server that accepts IMAP connections and never says a word (a hung mail host)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    def hang_up() -> None:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()

    yield listener.getsockname()[1], hang_up
    if not stop.is_set():
        hang_up()


def test_a_hung_mail_server_delays_no_other_mailbox(people, imap_mailbox, silent_server):
    port, hang_up = silent_server
    hung = Mailbox(
        address="sales@example.com",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_ssl=False,
        username="sales",
    )
    hung.password = "secret"
    hung.save()
    imap_append(imap_mailbox, mail_build())

    assert mailboxes_poll.call_local() == 2
    running = mailboxes_polling()
    assert mailboxes_poll_start([hung.pk, imap_mailbox.pk]) == {}  # both still running

    running[imap_mailbox.pk].result(timeout=120)

    # Support's mail is in while the sales server still has not said hello.
    assert Ticket.objects.count() == 1
    assert not running[hung.pk].done()
    hang_up()
    running[hung.pk].result(timeout=60)
    hung.refresh_from_db()
    assert hung.last_error and hung.polling_until is None
