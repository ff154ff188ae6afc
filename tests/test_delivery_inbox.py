"""Replies with UNSUBSCRIBE / SUBSCRIBE, from a Maildir and from an mbox."""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage

import pytest

from delivery.confirmations import Confirmations
from delivery.errors import InboxLocked, TransportError
from delivery.inbox import process_inbox
from delivery.tokens import CONFIRM, verify_token

pytest_plugins = ["delivery_fixtures"]
CONFIRM_LINK = re.compile(r"/confirm\?token=(\S+)")


def process(newsletter, path, store, reprocess=False, trust=False):
    """process_inbox as `inbox process` runs it: confirmation emails unless trusted."""
    confirmations = None if trust else Confirmations(newsletter.settings())
    try:
        return list(process_inbox(path, store, confirmations, reprocess))
    finally:
        if confirmations is not None:
            confirmations.close()


def reply(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "newsletter@test.example.org"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


REPLIES = [
    reply("Ada <ada@example.org>", "Re: Test Line #1: café", "unsubscribe\n\n> quoted text"),
    reply("bob@example.org", "UNSUBSCRIBE", ""),
    reply("new@example.org", "Re: hello", "Subscribe please!\n"),
    reply("cy@example.org", "Re: Test Line #1", "Thanks!\n\n> To stop: reply UNSUBSCRIBE"),
    reply("away@example.org", "Out of office", "unsubscribe", Auto_Submitted="auto-replied"),
]


def check(newsletter, smtp_server, actions):
    with newsletter.store() as store:
        assert store.get("ada@example.org").status == "unsubscribed"
        assert store.get("bob@example.org").status == "unsubscribed"
        assert store.get("new@example.org").status == "pending"  # From can be forged
        assert store.get("cy@example.org").status == "active"
        assert store.get("away@example.org").status == "active"
    results = {a.address: a.result for a in actions}
    assert results["ada@example.org"] == "unsubscribed"
    assert results["new@example.org"] == "added (pending); confirmation email sent"
    assert "left for a person" in results["cy@example.org"]
    assert results["away@example.org"] == "auto-reply ignored"
    assert [r.rcpt for r in smtp_server.received] == ["new@example.org"]
    message = smtp_server.received[0].message
    token = CONFIRM_LINK.search(message.get_content()).group(1)
    assert verify_token(newsletter.secret, token, CONFIRM).address == "new@example.org"


def test_the_latest_request_wins(newsletter, tmp_path):
    box = mailbox.mbox(str(tmp_path / "replies.mbox"), create=True)
    box.add(reply("ada@example.org", "UNSUBSCRIBE", "", Date="Tue, 24 Nov 2026 10:00:00 +0000"))
    box.add(reply("ada@example.org", "SUBSCRIBE", "", Date="Mon, 23 Nov 2026 10:00:00 +0000"))
    box.close()
    with newsletter.store() as store:
        process(newsletter, tmp_path / "replies.mbox", store)
        assert store.get("ada@example.org").status == "unsubscribed"


def test_process_a_maildir(newsletter, smtp_server, tmp_path):
    newsletter.add("ada@example.org", "bob@example.org", "cy@example.org", "away@example.org")
    box = mailbox.Maildir(str(tmp_path / "replies"), create=True)
    for message in REPLIES:
        box.add(message)
    with newsletter.store() as store:
        actions = process(newsletter, tmp_path / "replies", store)
        check(newsletter, smtp_server, actions)
        assert process(newsletter, tmp_path / "replies", store) == []  # processed ones are seen


def test_process_an_mbox(newsletter, smtp_server, tmp_path):
    newsletter.add("ada@example.org", "bob@example.org", "cy@example.org", "away@example.org")
    box = mailbox.mbox(str(tmp_path / "replies.mbox"), create=True)
    for message in REPLIES:
        box.add(message)
    box.close()
    with newsletter.store() as store:
        actions = process(newsletter, tmp_path / "replies.mbox", store)
        check(newsletter, smtp_server, actions)
        assert process(newsletter, tmp_path / "replies.mbox", store) == []
        assert len(process(newsletter, tmp_path / "replies.mbox", store, reprocess=True)) == 5


def test_a_trusted_inbox_makes_subscribers_active_without_email(newsletter, smtp_server, tmp_path):
    newsletter.add("old@example.org", status="unsubscribed")
    box = mailbox.Maildir(str(tmp_path / "replies"), create=True)
    box.add(reply("new@example.org", "SUBSCRIBE", ""))
    box.add(reply("old@example.org", "SUBSCRIBE", ""))
    with newsletter.store() as store:
        actions = process(newsletter, tmp_path / "replies", store, trust=True)
        assert sorted(str(a) for a in actions) == [
            "new@example.org: added (active)",
            "old@example.org: unsubscribed → active",
        ]
        assert store.get("new@example.org").status == "active"
    assert smtp_server.received == []


def test_one_confirmation_per_address_per_run(newsletter, smtp_server, tmp_path):
    box = mailbox.Maildir(str(tmp_path / "replies"), create=True)
    for _ in range(3):  # a forger repeating one victim's address
        box.add(reply("victim@example.org", "SUBSCRIBE", ""))
    with newsletter.store() as store:
        results = [a.result for a in process(newsletter, tmp_path / "replies", store)]
    assert results[0] == "added (pending); confirmation email sent"
    assert results[1:] == ["already pending; confirmation email already sent in this run"] * 2
    assert len(smtp_server.received) == 1


def test_a_confirmation_that_cannot_go_leaves_its_message_unprocessed(
    newsletter, smtp_server, tmp_path
):
    box = mailbox.Maildir(str(tmp_path / "replies"), create=True)
    box.add(reply("new@example.org", "SUBSCRIBE", ""))
    newsletter.smtp_port = 1  # nothing listens there
    with newsletter.store() as store, pytest.raises(TransportError, match="left unprocessed"):
        process(newsletter, tmp_path / "replies", store)
    newsletter.smtp_port = smtp_server.port
    with newsletter.store() as store:
        assert len(process(newsletter, tmp_path / "replies", store)) == 1
    assert [r.rcpt for r in smtp_server.received] == ["new@example.org"]


def test_an_mbox_locked_by_another_program_is_left_alone(newsletter, tmp_path):
    path = tmp_path / "replies.mbox"
    box = mailbox.mbox(str(path), create=True)
    box.add(reply("ada@example.org", "UNSUBSCRIBE", ""))
    box.close()
    before = path.read_bytes()
    lock = tmp_path / "replies.mbox.lock"
    lock.touch()  # a mail client or delivery agent holds the dot lock
    newsletter.add("ada@example.org")
    with newsletter.store() as store:
        with pytest.raises(InboxLocked, match=r"replies\.mbox is locked by another program"):
            process(newsletter, path, store)
        assert path.read_bytes() == before
        assert store.get("ada@example.org").status == "active"
        lock.unlink()
        assert len(process(newsletter, path, store)) == 1
    assert not lock.exists()  # released after the run
