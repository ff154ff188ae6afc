"""Command-line fixes of the editor's week: `new series`, `--debug` anywhere, `serve`'s port
and "Serving" line, the older-issue question, the draft hint of `send --test-to`."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from delivery.cli import cli as delivery_cli
from delivery.send import send_edition

pytest_plugins = ["delivery_fixtures"]


def test_new_series_scaffolds_a_file_whose_parts_new_article_uses(editor):
    result = editor.run("new", "series", "queues", "--title", "QUEUES", "--part", "Arrival",
                        "--part", "Waiting")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "content/series/queues.md\n"
    made = editor.run("new", "article", "--issue", "2", "--series", "queues")
    assert made.stdout.splitlines()[0] == "content/articles/arrival.md"
    again = editor.run("new", "series", "queues", "--title", "Again")
    assert again.exit_code == 2 and "already exists" in again.stderr
    built = editor.run("build")
    assert built.exit_code == 0, built.output
    assert "content/series/queues.md:9: warning: the scaffold's placeholder text" in built.stderr


def test_debug_works_after_the_command_name(editor):
    quiet = editor.run("edition", "99")
    assert quiet.exit_code == 2 and "Traceback" not in quiet.output
    loud = editor.run("edition", "99", "--debug")
    assert type(loud.exception).__name__ == "UsageError"  # the traceback is let through


def test_serve_says_serving_only_once_it_listens_and_not_on_8025(bare_newsletter):
    bare_newsletter.store().close()
    runner = CliRunner(env=bare_newsletter.env)
    base = ["--settings", str(bare_newsletter.settings_path), "serve"]
    assert "[default: 8080;" in runner.invoke(delivery_cli, [*base, "--help"]).output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(delivery_cli, [*base, "--port", str(port)])
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1" in result.output and "Serving" not in result.output


def test_sending_an_issue_older_than_one_sent_asks_first(newsletter, smtp_server):
    newsletter.build(1)
    newsletter.build(2)
    newsletter.add("reader@example.org")
    with newsletter.store() as store:
        send_edition(newsletter.settings(), 2, store)
    runner = CliRunner(env=newsletter.env)
    base = ["--settings", str(newsletter.settings_path), "send", "1"]
    refused = runner.invoke(delivery_cli, base)
    assert refused.exit_code == 2
    assert "issue 1 is older than issue 2, which was already sent" in refused.output
    assert len(smtp_server.received) == 1
    sent = runner.invoke(delivery_cli, [*base, "--yes"])
    assert sent.exit_code == 0, sent.output
    assert len(smtp_server.received) == 2


def test_a_test_copy_of_an_unbuilt_issue_mentions_build_drafts(bare_newsletter):
    bare_newsletter.store().close()
    runner = CliRunner(env=bare_newsletter.env)
    args = ["--settings", str(bare_newsletter.settings_path), "send", "4", "--test-to", "e@x.org"]
    result = runner.invoke(delivery_cli, args)
    assert result.exit_code == 1
    assert "a draft issue is built only by `publish.py build --drafts`" in result.output
