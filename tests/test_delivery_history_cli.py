"""`subscribers history`, `subscribers set-status` and `dkim keygen`, as a user types them."""

from __future__ import annotations

import stat

import dkim
import pytest
from click.testing import CliRunner

from delivery.cli import cli

pytest_plugins = ["delivery_fixtures"]


@pytest.fixture
def run(newsletter):
    def invoke(*args: str):
        return CliRunner().invoke(
            cli, ["--settings", str(newsletter.settings_path), *args], env=newsletter.env
        )

    return invoke


def test_history_lists_each_event_with_its_evidence(run, newsletter, smtp_server):
    newsletter.build()
    run("subscribers", "add", "ada@example.org")
    smtp_server.rcpt_replies["ada@example.org"] = ["550 5.1.1 <ada@example.org>: user unknown"]
    run("send", "1", "--yes")
    result = run("subscribers", "history", "ADA@example.org")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ADA@example.org: bounced"
    assert "added [cli]" in lines[1]
    assert "failed [send]" in lines[2] and "issue: 1" in lines[2]
    assert "hard bounce [send]" in lines[3] and "status: 5.1.1" in lines[3]
    assert "reason: user unknown" in lines[3]


def test_set_status_by_hand_is_recorded(run):
    run("subscribers", "add", "bo@example.org")
    result = run("subscribers", "set-status", "bo@example.org", "complained", "--note", "phoned")
    assert result.output == "bo@example.org: complained\n"
    assert run("subscribers", "set-status", "bo@example.org", "complained").output == (
        "bo@example.org: already complained\n"
    )
    history = run("subscribers", "history", "bo@example.org").output
    assert "status set [cli] — from: active, to: complained, note: phoned" in history
    bad = run("subscribers", "set-status", "bo@example.org", "annoyed")
    assert bad.exit_code == 2 and "annoyed" in bad.output


def test_history_of_an_unknown_address_is_an_error(run):
    run("subscribers", "add", "ada@example.org")  # the store exists
    result = run("subscribers", "history", "nobody@example.org")
    assert result.exit_code == 2
    assert result.output == "Error: nobody@example.org is not on the list and has no history\n"


def test_keygen_writes_a_private_key_and_prints_a_record_that_verifies(run, tmp_path):
    key = tmp_path / "news.pem"
    result = run("dkim", "keygen", "--out", str(key), "--domain", "example.org",
                 "--selector", "news")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    record_line = result.output.splitlines()[-1]
    assert record_line.startswith('news._domainkey.example.org. IN TXT "v=DKIM1; k=rsa;')
    txt = "".join(part for part in record_line.split('"')[1::2])
    message = b"From: a@example.org\r\nSubject: x\r\n\r\nhello\r\n"
    signed = dkim.sign(message, b"news", b"example.org", key.read_bytes()) + message
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: txt.encode())
    again = run("dkim", "keygen", "--out", str(key), "--domain", "x.org", "--selector", "s")
    assert again.exit_code == 2 and "already exists" in again.output
