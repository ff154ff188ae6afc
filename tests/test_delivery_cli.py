"""The click commands, driven with CliRunner as a user would type them."""

from __future__ import annotations

import mailbox
import os

import click
import pytest
from click.testing import CliRunner

from delivery import csvio
from delivery.cli import cli
from delivery.tokens import UNSUBSCRIBE, make_token

pytest_plugins = ["delivery_fixtures"]


@pytest.fixture
def run(newsletter):
    def invoke(*args: str, env: dict | None = None):
        runner = CliRunner()
        environment = {**newsletter.env, **(env or {})}
        return runner.invoke(
            cli, ["--settings", str(newsletter.settings_path), *args], env=environment
        )

    return invoke


def all_commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")


def test_every_command_has_help_with_an_example():
    for name, command in all_commands(cli):
        assert command.help and "Example" in command.help, name


def test_subscribers_add_list_count_remove(run, newsletter):
    store = newsletter.settings().store_path
    assert run("subscribers", "add", "ada@example.org", "--name", "Ada").output == (
        f"Created the subscriber store at {store}\nadded ada@example.org (active)\n"
    )
    run("subscribers", "add", "bob@example.org", "--status", "pending")
    assert run("subscribers", "list").output == (
        "ada@example.org\tAda\tactive\nbob@example.org\t\tpending\n"
    )
    assert run("subscribers", "count", "--status", "active").output == "1\n"
    assert run("subscribers", "remove", "bob@example.org").output == "removed bob@example.org\n"
    assert run("subscribers", "count").output == "1\n"


def test_errors_are_one_line_with_an_exit_code(run):
    result = run("subscribers", "add", "nonsense")
    assert result.exit_code == 2
    assert result.output.startswith("Error: 'nonsense' is not a valid address")
    assert "Traceback" not in result.output
    run("subscribers", "add", "ada@example.org")  # the store exists from here on
    result = run("subscribers", "remove", "nobody@example.org")
    assert (result.exit_code, result.output) == (
        2,
        "Error: nobody@example.org is not on the list\n",
    )
    result = run("send", "9", "--yes")
    assert result.exit_code == 1
    assert "edition 9 is not built" in result.output


def test_send_without_a_secret_says_what_to_do(run, newsletter):
    newsletter.build()
    run("subscribers", "add", "ada@example.org")
    result = run("send", "1", "--yes", env={"MASTHEAD_SECRET": ""})
    assert result.exit_code == 2
    assert "MASTHEAD_SECRET is not set" in result.output


def test_unsubscribe_by_token(run, newsletter):
    run("subscribers", "add", "ada@example.org")
    token = make_token(newsletter.secret, UNSUBSCRIBE, "ada@example.org")
    assert run("subscribers", "unsubscribe", "--token", token).output == (
        "ada@example.org: unsubscribed\n"
    )
    forged = make_token("another-secret-entirely!", UNSUBSCRIBE, "ada@example.org")
    result = run("subscribers", "unsubscribe", "--token", forged)
    assert result.exit_code == 1 and "forged or altered" in result.output


def test_import_and_export(run, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Email,Name\nada@example.org,Ada\nbad,Bad\n")
    result = run("subscribers", "import", str(source))
    assert "in.csv:3: bad address: 'bad' is not a valid address" in result.output
    assert "imported 1 (1 active), skipped 1 bad row(s)" in result.output
    result = run("subscribers", "export", str(tmp_path / "out.csv"))
    assert result.output == f"exported 1 subscriber(s) to {tmp_path / 'out.csv'}\n"
    assert (tmp_path / "out.csv").read_text().startswith("email,name,status,source")


def test_import_refuses_what_is_not_a_regular_file(run, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # nobody writes to it: opening it must not wait
    for path in ("/dev/zero", str(fifo)):
        result = run("subscribers", "import", path)
        assert result.exit_code != 0, path
        (error,) = [line for line in result.output.splitlines() if "Error" in line]
        assert error == f"Error: {path} is not a regular file: give a CSV file to import"


def test_import_refuses_a_file_over_the_size_cap(run, tmp_path, monkeypatch):
    monkeypatch.setattr(csvio, "MAX_IMPORT_BYTES", 64)
    source = tmp_path / "big.csv"
    source.write_text("email\n" + "".join(f"r{i}@example.org\n" for i in range(10)))
    result = run("subscribers", "import", str(source))
    assert result.exit_code != 0
    size = source.stat().st_size
    assert f"big.csv is {size} bytes, more than the 64 an import reads: split it" in result.output
    assert run("subscribers", "count").output == "0\n"


def test_send_dry_run_test_to_and_real(run, newsletter, smtp_server, tmp_path):
    newsletter.build()
    run("subscribers", "add", "ada@example.org")
    run("subscribers", "add", "bob@example.org")
    result = run("send", "1", "--dry-run", "--maildir", str(tmp_path / "preview"))
    assert "2 sent" in result.output, result.output
    assert len(mailbox.Maildir(str(tmp_path / "preview"), create=False)) == 2
    assert smtp_server.received == []
    result = run("send", "1", "--test-to", "editor@example.org")
    assert "issue 1 (test): 1 sent" in result.output
    result = run("send", "1", "--yes", "--connections", "2")
    assert "issue 1 (real): 2 sent, 0 failed, 0 skipped" in result.output
    assert sorted(r.rcpt for r in smtp_server.received) == [
        "ada@example.org",
        "bob@example.org",
        "editor@example.org",
    ]
    result = run("send", "1", "--yes")
    assert result.exit_code == 1 and "already sent" in result.output


def test_dry_run_needs_a_maildir(run):
    result = run("send", "1", "--dry-run")
    assert result.exit_code == 2 and "--dry-run and --maildir DIR go together" in result.output


def test_inbox_process(run, tmp_path):
    from email.message import EmailMessage

    run("subscribers", "add", "ada@example.org")
    message = EmailMessage()
    message["From"] = "ada@example.org"
    message["Subject"] = "Re: UNSUBSCRIBE"
    message.set_content("please")
    box = mailbox.mbox(str(tmp_path / "in.mbox"))
    box.add(message)
    box.close()
    result = run("inbox", "process", str(tmp_path / "in.mbox"))
    assert result.output == "ada@example.org: unsubscribed\n"


def test_inbox_subscribe_is_pending_with_a_confirmation_unless_active(
    run, newsletter, smtp_server, tmp_path
):
    from email.message import EmailMessage

    box = mailbox.mbox(str(tmp_path / "in.mbox"))
    for sender in ("ada@example.org", "bob@example.org"):
        message = EmailMessage()
        message["From"] = sender
        message["Subject"] = "SUBSCRIBE"
        message.set_content("")
        box.add(message)
    box.close()
    result = run("inbox", "process", str(tmp_path / "in.mbox"))
    assert result.output == (
        f"Created the subscriber store at {newsletter.settings().store_path}\n"
        "ada@example.org: added (pending); confirmation email sent\n"
        "bob@example.org: added (pending); confirmation email sent\n"
    )
    assert len(smtp_server.received) == 2
    result = run("inbox", "process", "--all", "--active", str(tmp_path / "in.mbox"))
    assert result.output == (
        "ada@example.org: pending → active\nbob@example.org: pending → active\n"
    )
    assert len(smtp_server.received) == 2


def test_send_retry_failed(run, newsletter, smtp_server):
    newsletter.build()
    run("subscribers", "add", "gone@example.org")
    smtp_server.replies["gone@example.org"] += ["550 5.7.1 refused by policy"]  # not a bounce
    result = run("send", "1", "--yes")
    assert "issue 1 (real): 0 sent, 1 failed" in result.output
    assert "`send 1 --retry-failed` tries them again" in result.output
    result = run("send", "1", "--yes")
    assert result.exit_code == 1 and "`send 1 --retry-failed`" in result.output
    result = run("send", "1", "--yes", "--retry-failed")
    assert "issue 1 (real): 1 sent, 0 failed" in result.output, result.output
    assert [r.rcpt for r in smtp_server.received] == ["gone@example.org"]


def test_send_locks_first_then_loads_the_edition_once(run, newsletter, smtp_server, monkeypatch):
    import delivery.send
    from delivery.store import Store

    newsletter.build()
    run("subscribers", "add", "ada@example.org")
    loads, skips = [], []

    def held() -> bool:
        with newsletter.store() as probe:
            return probe.take_lease("send-1", "probe", 60) is not None

    def load_edition(*args, **kwargs):
        loads.append(held())
        return real_load(*args, **kwargs)

    def skip_inactive(self, issue):
        skips.append(held())
        return real_skip(self, issue)

    real_load, real_skip = delivery.send.load_edition, Store.skip_inactive
    monkeypatch.setattr(delivery.send, "load_edition", load_edition)
    monkeypatch.setattr(Store, "skip_inactive", skip_inactive)
    result = run("send", "1", "--yes")
    assert "1 sent" in result.output, result.output
    assert loads == [True]  # once, under the lock
    assert skips and all(skips)  # every write happens under the lock
