"""`build`: a summary on success; every problem, one per line, and exit 1 on failure."""

from __future__ import annotations

import re

from tests.cli_helpers import one_line_error

BROKEN = {"articles/two.md": "---\ntitle: Listening again\nissue: 7\nseries: nope\npart: 2\n---\n"}


def test_build_prints_a_summary_and_where_to_open(editor):
    result = editor.run("build")
    assert result.exit_code == 0, result.output
    summary, where = result.stdout.splitlines()
    # Editions: 2 once the email edition module is in the plugin, 0 before.
    assert re.fullmatch(
        r"Built 2 issues, 3 articles, 1 series, 2 topics, [02] editions, 0 warnings\.", summary
    )
    assert where == "Open output/index.html with `python publish.py preview`"
    assert result.stderr == ""  # Pelican's "Done: Processed 0 articles…" line is silenced
    assert (editor.output / "issues/2/index.html").is_file()


def test_build_into_another_directory_with_drafts(editor):
    editor.write({"issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\n"})
    result = editor.run("build", "--drafts", "--output", "site")
    assert result.exit_code == 0, result.output
    assert "Built 2 issues and 1 drafts" in result.stdout
    assert (editor.root / "site/issues/3/index.html").is_file()


def test_build_prints_our_warnings_with_file_and_line(editor):
    workshop = "---\ntitle: A workshop\nissue: 2\ncolour: red\n---\nWe meet at noon.\n"
    editor.write({"articles/workshop.md": workshop})
    result = editor.run("build")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "content/articles/workshop.md:4: warning: unknown field 'colour'"
    )
    assert result.stderr.count("unknown field") == 1  # not a second time through logging
    assert "1 warnings." in result.stdout


def test_build_lists_every_error_and_exits_1(editor):
    assert editor.run("build").exit_code == 0
    editor.write(BROKEN)
    result = editor.run("build")
    last = one_line_error(result, 1)
    assert last == "Error: 2 problems in the content; nothing written"
    problems = result.stderr.splitlines()[:-1]
    assert problems == [
        "content/articles/two.md:3: issue 7 does not exist: fix 'issue' or add a file to "
        "content/issues/ with `number: 7`",
        "content/articles/two.md:4: series 'nope' does not exist in content/series/ "
        "(known: listen)",
    ]
    assert (editor.output / "issues/2/index.html").is_file()  # the last good build stays


def test_a_missing_settings_file_is_a_usage_error(editor):
    result = editor.run("--settings", "nope.py", "build")
    assert (
        one_line_error(result, 2) == "Error: nope.py: no such settings file (give --settings FILE)"
    )


def test_an_unexpected_error_is_one_line_unless_debug(editor, monkeypatch):
    from masthead import build as site

    def explode(*args, **kwargs):
        raise RuntimeError("the theme is on fire")

    monkeypatch.setattr(site, "build", explode)
    line = one_line_error(editor.run("build"), 1)
    assert "RuntimeError: the theme is on fire" in line and "--debug" in line
    result = editor.run("--debug", "build")
    assert isinstance(result.exception, RuntimeError)  # the traceback is the user's to see
