"""Deliverability at send time, against a real aiosmtpd server: refusals classified, VERP
return paths, stable Message-IDs across a SIGKILL and resume, DKIM signatures that verify."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import dkim
import pytest

from delivery import verp
from delivery.send import RetryPolicy, send_edition
from delivery.settings import load_settings
from delivery.signing import keygen

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
EXTRA_SETTINGS = """
NEWSLETTER["bounce_address"] = "bounces@test.example.org"
NEWSLETTER["dkim"] = {"domain": "test.example.org", "selector": "news"}
"""


@pytest.fixture
def signed(newsletter, tmp_path):
    """The newsletter with a bounce address and a DKIM key; returns (env, DNS record)."""
    with open(newsletter.settings_path, "a", encoding="utf-8") as handle:
        handle.write(EXTRA_SETTINGS)
    record = keygen(tmp_path / "keys" / "news.pem", "test.example.org", "news")
    env = {**newsletter.env, "MASTHEAD_DKIM_KEY": str(tmp_path / "keys" / "news.pem")}
    return env, record


def send(newsletter, env=None, **options):
    settings = load_settings(newsletter.settings_path, environ=env or newsletter.env)
    with newsletter.store() as store:
        return send_edition(settings, 1, store, retry=FAST, **options)


def test_user_unknown_bounces_at_once_and_a_policy_block_does_not(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("gone@example.org", "blocked@example.org", "fine@example.org")
    smtp_server.rcpt_replies["gone@example.org"] = ["550 5.1.1 <gone@example.org>: user unknown"]
    smtp_server.replies["blocked@example.org"] = ["550 5.7.1 Message rejected as spam"]
    summary = send(newsletter)
    assert (summary.sent, summary.failed) == (1, 2)
    with newsletter.store() as store:
        assert store.get("gone@example.org").status == "bounced"
        assert store.get("blocked@example.org").status == "active"
        assert store.get("fine@example.org").status == "active"
        gone = store.events("gone@example.org")
        assert [e.kind for e in gone] == ["added", "failed", "hard bounce"]
        assert gone[-1].evidence["status"] == "5.1.1" and gone[-1].evidence["issue"] == 1
        assert gone[-1].source == "send"
        assert [e.kind for e in store.events("blocked@example.org")] == ["added", "failed"]
        rows = {d.address: d.status for d in store.deliveries(1)}
        assert rows == {"gone@example.org": "failed", "blocked@example.org": "failed",
                        "fine@example.org": "sent"}  # fmt: skip


def test_a_temporary_refusal_given_up_on_never_suppresses(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("full@example.org")
    smtp_server.replies["full@example.org"] = ["452 4.2.2 mailbox full"] * 3
    send(newsletter)
    with newsletter.store() as store:
        assert store.deliveries(1)[0].status == "failed"
        assert store.get("full@example.org").status == "active"


def test_envelope_sender_is_a_verp_address_naming_the_delivery(newsletter, smtp_server, signed):
    env, _ = signed
    newsletter.build()
    newsletter.add("ada@example.org", "bo@example.org")
    send(newsletter, env)
    with newsletter.store() as store:
        ids = {s.address: s.id for s in store.subscribers()}
    for item in smtp_server.received:
        token = verp.token_of_address(item.sender, "bounces@test.example.org")
        assert item.sender.startswith("bounces+") and item.sender.endswith("@test.example.org")
        assert verp.read(token, [newsletter.secret]) == verp.DeliveryToken(1, ids[item.rcpt])
        message_token = verp.token_of_message_id(item.message["Message-ID"])
        assert message_token == token
    # Forged: another subscriber's id with the same mac, or a mac made with another key.
    issue, subscriber, mac = token.split("-")
    assert verp.read(f"{issue}-{int(subscriber) + 1}-{mac}", [newsletter.secret]) is None
    forged = verp.make("another secret entirely", 1, ids["ada@example.org"])
    assert verp.read(forged, [newsletter.secret]) is None
    assert verp.read("1-2", [newsletter.secret]) is None


def test_signed_copies_verify_against_the_published_key(newsletter, smtp_server, signed):
    env, record = signed
    newsletter.build()
    newsletter.add("ada@example.org")
    send(newsletter, env)
    (item,) = smtp_server.received
    assert item.content.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert _verifies(item.content, record)
    signed_headers = dkim_headers(item.content)
    for name in ("from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                 "list-unsubscribe-post"):  # fmt: skip
        assert name in signed_headers
    tampered = item.content.replace(b"Subject: ", b"Subject: Re: ", 1)
    assert not _verifies(tampered, record)


def test_a_copy_resent_after_sigkill_repeats_the_first_message_id(newsletter, smtp_server, signed):
    """The kill lands while the server holds a message it then accepts: that row is still
    queued, so the resumed run sends a second copy, which must carry the same Message-ID
    (receivers drop the duplicate) and still verify."""
    env, record = signed
    readers = [f"reader{i:02}@example.org" for i in range(20)]
    newsletter.build()
    newsletter.add(*readers)
    process = _send_process(newsletter, env)

    def kill_during_data(rcpt: str) -> None:
        if rcpt == "reader05@example.org" and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    smtp_server.on_data = kill_during_data
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    smtp_server.on_data = None
    resumed = _send_process(newsletter, env)
    _out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    copies = smtp_server.by_recipient()
    assert sorted(copies) == readers
    duplicates = {address: items for address, items in copies.items() if len(items) > 1}
    assert "reader05@example.org" in duplicates
    for items in duplicates.values():
        assert len({item.message["Message-ID"] for item in items}) == 1
        assert all(_verifies(item.content, record) for item in items)


def _send_process(newsletter, env) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    command += ["send", "1", "--yes", "--connections", "1"]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _verifies(message: bytes, record) -> bool:
    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == f"{record.name}.".encode()
        return record.text.encode()

    return dkim.verify(message, dnsfunc=dns)


def dkim_headers(message: bytes) -> list[str]:
    signature = message.split(b"\r\n\r\n", 1)[0].decode()
    field = signature.split("h=", 1)[1].split(";", 1)[0]
    return [name.strip().lower() for name in field.replace("\r\n", "").split(":")]
