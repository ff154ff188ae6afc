"""Sending against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from delivery.errors import ErrorBudgetExceeded, SendRefused, TransportError
from delivery.send import ErrorBudget, RetryPolicy, send_edition, send_test
from delivery.tokens import UNSUBSCRIBE, verify_token

if TYPE_CHECKING:
    from delivery_fixtures import Newsletter, ScriptedHandler

pytest_plugins = ["delivery_fixtures"]
TOKEN_IN_URL = re.compile(r"unsubscribe\?token=([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
READERS = [f"reader{i}@example.org" for i in range(12)]


def send(newsletter: Newsletter, number: int = 1, **options):
    with newsletter.store() as store:
        return send_edition(newsletter.settings(), number, store, retry=FAST, **options)


def test_each_recipient_gets_one_copy_with_their_own_link(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS)
    summary = send(newsletter, connections=3)
    assert (summary.sent, summary.failed) == (len(READERS), 0)
    copies = smtp_server.by_recipient()
    assert sorted(copies) == sorted(READERS)
    for address, received in copies.items():
        assert len(received) == 1
        message = received[0].message
        assert message["To"] == address
        assert message["Message-ID"].endswith("@test.example.org>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        tokens = set(TOKEN_IN_URL.findall(text + html + message["List-Unsubscribe"]))
        assert len(tokens) == 1
        assert verify_token(newsletter.secret, tokens.pop(), UNSUBSCRIBE).address == address
        others = [a for a in READERS if a != address]
        raw = received[0].content.decode()
        assert not any(other in raw for other in others)


def test_message_is_well_formed(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("ada@example.org")
    send(newsletter)
    received = smtp_server.received[0]
    assert all(len(line) <= 998 for line in received.content.split(b"\r\n"))
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Subject"] == "Test Line #1: café and crumbs"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    assert message["Date"]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "café édition" in text and "\n.\nFrom the editors" in text
    assert "%%" not in received.content.decode()


def test_4xx_replies_are_retried_and_succeed(newsletter, smtp_server: ScriptedHandler):
    newsletter.build()
    newsletter.add("busy@example.org", "calm@example.org")
    smtp_server.replies["busy@example.org"] += ["421 4.3.0 try later", "451 4.3.0 busy"]
    summary = send(newsletter)
    assert (summary.sent, summary.failed) == (2, 0)
    assert smtp_server.attempts["busy@example.org"] == 3
    with newsletter.store() as store:
        row = next(d for d in store.deliveries(1) if d.address == "busy@example.org")
    assert (row.status, row.attempts) == ("sent", 3)


def test_rcpt_4xx_is_retried(newsletter, smtp_server: ScriptedHandler):
    newsletter.build()
    newsletter.add("greylisted@example.org")
    smtp_server.rcpt_replies["greylisted@example.org"] += ["450 4.2.0 greylisted"]
    assert send(newsletter).sent == 1


def test_5xx_marks_the_delivery_failed_with_the_reply(newsletter, smtp_server: ScriptedHandler):
    newsletter.build()
    newsletter.add("gone@example.org", "here@example.org")
    smtp_server.replies["gone@example.org"] += ["550 5.1.1 mailbox unavailable"]
    summary = send(newsletter)
    assert (summary.sent, summary.failed) == (1, 1)
    assert smtp_server.attempts["gone@example.org"] == 1
    with newsletter.store() as store:
        row = next(d for d in store.deliveries(1) if d.address == "gone@example.org")
    assert row.status == "failed"
    assert row.last_reply == "550 5.1.1 mailbox unavailable"


def test_connection_dropped_during_data_is_retried(newsletter, smtp_server: ScriptedHandler):
    newsletter.build()
    newsletter.add(*READERS[:4])
    smtp_server.replies[READERS[1]] += ["drop"]
    summary = send(newsletter, connections=1)
    assert (summary.sent, summary.failed) == (4, 0)
    assert {a: len(r) for a, r in smtp_server.by_recipient().items()} == dict.fromkeys(
        READERS[:4], 1
    )


def test_unsubscribed_and_bounced_get_nothing(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("active@example.org")
    newsletter.add("left@example.org", status="unsubscribed")
    newsletter.add("bounced@example.org", status="bounced")
    newsletter.add("pending@example.org", status="pending")
    send(newsletter)
    assert [r.rcpt for r in smtp_server.received] == ["active@example.org"]


def test_an_unsubscribe_during_the_send_stops_the_copy_already_queued(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS[:3])

    def unsubscribe_the_next_one(recipient: str) -> None:
        if recipient == READERS[0]:  # the rows of READERS[1:] are already fetched and queued
            with newsletter.store() as store:
                store.set_status(READERS[1], "unsubscribed")

    smtp_server.on_data = unsubscribe_the_next_one
    summary = send(newsletter, connections=1)
    assert (summary.sent, summary.skipped) == (2, 1)
    assert [r.rcpt for r in smtp_server.received] == [READERS[0], READERS[2]]
    with newsletter.store() as store:
        row = next(d for d in store.deliveries(1) if d.address == READERS[1])
    assert (row.status, row.attempts, row.last_reply) == (
        "skipped",
        0,
        "subscriber no longer active",
    )


def test_issue_already_sent_is_refused(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("ada@example.org")
    send(newsletter)
    with pytest.raises(SendRefused, match="already sent"):
        send(newsletter)
    assert len(smtp_server.received) == 1


def test_resume_sends_only_queued_rows_and_skips_new_unsubscribes(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS[:6])
    with newsletter.store() as store:
        store.snapshot(1)  # as if a run was killed right after the snapshot...
        first = store.deliveries(1)[0]
        store.record_delivery(first.id, "sent", "250 ok")  # ...having sent one
        store.set_status(READERS[5], "unsubscribed")
    summary = send(newsletter)
    assert (summary.sent, summary.skipped, summary.already_sent) == (4, 1, 1)
    assert sorted(r.rcpt for r in smtp_server.received) == sorted(READERS[1:5])


def test_error_budget_pauses_the_run_and_leaves_rows_queued(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS)
    for address in READERS:
        smtp_server.replies[address] += ["554 5.7.1 rejected as spam"]
    with pytest.raises(ErrorBudgetExceeded, match="paused: 3 of 3 deliveries failed"):
        send(newsletter, connections=1, budget=ErrorBudget(limit=3))
    with newsletter.store() as store:
        counts = store.delivery_counts(1)
        assert (counts["failed"], counts["queued"]) == (3, len(READERS) - 3)
        assert store.sends(1)[-1].outcome == "paused"


def test_failed_deliveries_are_retried_with_retry_failed(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS[:3])
    smtp_server.replies[READERS[1]] += ["554 5.7.1 refused by policy"]  # the address stays
    assert send(newsletter).failed == 1
    with pytest.raises(SendRefused, match=r"1 failed.*`send 1 --retry-failed`"):
        send(newsletter)
    summary = send(newsletter, retry_failed=True)
    assert (summary.sent, summary.failed, summary.already_sent) == (1, 0, 2)
    assert {a: len(r) for a, r in smtp_server.by_recipient().items()} == dict.fromkeys(
        READERS[:3], 1
    )
    with newsletter.store() as store:
        assert store.delivery_counts(1) == {"queued": 0, "sent": 3, "failed": 0, "skipped": 0}
    with pytest.raises(SendRefused, match="already sent"):
        send(newsletter, retry_failed=True)


def test_sender_refused_at_mail_from_stops_the_run_and_keeps_rows_queued(
    newsletter, smtp_server: ScriptedHandler
):
    newsletter.build()
    newsletter.add(*READERS[:3])
    smtp_server.mail_replies += ["553 5.7.1 sender not allowed"]
    with pytest.raises(TransportError, match=r"refused the sender.*553 5\.7\.1 sender not allowed"):
        send(newsletter, connections=1)
    with newsletter.store() as store:
        assert store.delivery_counts(1)["queued"] == 3
        assert store.sends(1)[-1].outcome == "stopped"
    assert send(newsletter).sent == 3  # fixed: the next run resumes them


def test_unreachable_server_stops_the_run(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("ada@example.org")
    newsletter.smtp_port = 1  # nothing listens there
    with pytest.raises(TransportError, match=r"cannot connect to 127\.0\.0\.1:1"):
        send(newsletter)
    with newsletter.store() as store:
        assert store.delivery_counts(1)["queued"] == 1


def test_a_second_send_of_the_same_issue_is_refused_while_one_runs(newsletter, smtp_server):
    from delivery.send import send_lock

    newsletter.build()
    newsletter.add("ada@example.org")
    refused = pytest.raises(SendRefused, match="another `send 1` is running")
    with newsletter.store() as store, send_lock(store, 1), refused:
        send(newsletter)
    assert send(newsletter).sent == 1  # the lock is free again


def test_rate_limit_spaces_messages(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS[:6])
    summary = send(newsletter, connections=3, rate=20)
    assert summary.sent == 6
    assert summary.elapsed >= 5 / 20 * 0.9


def test_test_to_sends_one_copy_and_leaves_the_log_alone(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("ada@example.org")
    with newsletter.store() as store:
        summary = send_test(newsletter.settings(), 1, "editor@example.org", store=store)
        assert summary.sent == 1
        assert store.deliveries(1) == []
        assert store.sends(1)[0].kind == "test"
    assert [r.rcpt for r in smtp_server.received] == ["editor@example.org"]
    send(newsletter)  # the real send still goes to everyone
    assert [r.rcpt for r in smtp_server.received][1:] == ["ada@example.org"]
