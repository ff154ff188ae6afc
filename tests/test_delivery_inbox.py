"""Replies with UNSUBSCRIBE / SUBSCRIBE, from a Maildir and from an mbox."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

from delivery.inbox import process_inbox

pytest_plugins = ["delivery_fixtures"]


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


def check(bare_newsletter, actions):
    with bare_newsletter.store() as store:
        assert store.get("ada@example.org").status == "unsubscribed"
        assert store.get("bob@example.org").status == "unsubscribed"
        assert store.get("new@example.org").status == "active"
        assert store.get("cy@example.org").status == "active"
        assert store.get("away@example.org").status == "active"
    results = {a.address: a.result for a in actions}
    assert results["ada@example.org"] == "unsubscribed"
    assert results["new@example.org"] == "added (active)"
    assert "left for a person" in results["cy@example.org"]
    assert "automatic reply" in results["away@example.org"]


def test_the_latest_request_wins(bare_newsletter, tmp_path):
    box = mailbox.mbox(str(tmp_path / "replies.mbox"), create=True)
    box.add(reply("ada@example.org", "UNSUBSCRIBE", "", Date="Tue, 24 Nov 2026 10:00:00 +0000"))
    box.add(reply("ada@example.org", "SUBSCRIBE", "", Date="Mon, 23 Nov 2026 10:00:00 +0000"))
    box.close()
    with bare_newsletter.store() as store:
        process_inbox(tmp_path / "replies.mbox", store)
        assert store.get("ada@example.org").status == "unsubscribed"


def test_process_a_maildir(bare_newsletter, tmp_path):
    bare_newsletter.add("ada@example.org", "bob@example.org", "cy@example.org", "away@example.org")
    box = mailbox.Maildir(str(tmp_path / "replies"), create=True)
    for message in REPLIES:
        box.add(message)
    with bare_newsletter.store() as store:
        actions = process_inbox(tmp_path / "replies", store)
        check(bare_newsletter, actions)
        assert process_inbox(tmp_path / "replies", store) == []  # processed ones are seen


def test_process_an_mbox(bare_newsletter, tmp_path):
    bare_newsletter.add("ada@example.org", "bob@example.org", "cy@example.org", "away@example.org")
    box = mailbox.mbox(str(tmp_path / "replies.mbox"), create=True)
    for message in REPLIES:
        box.add(message)
    box.close()
    with bare_newsletter.store() as store:
        actions = process_inbox(tmp_path / "replies.mbox", store)
        check(bare_newsletter, actions)
        assert process_inbox(tmp_path / "replies.mbox", store) == []
        assert len(process_inbox(tmp_path / "replies.mbox", store, reprocess=True)) == 5
