"""`edition N`: the path of a built edition, or one of its files."""

from __future__ import annotations

from tests.cli_helpers import one_line_error, write_edition


def test_edition_prints_its_directory_or_one_file(editor):
    folder = write_edition(editor.output, 2)
    assert editor.run("edition", "2").stdout == "output/editions/2\n"
    assert folder.is_dir()
    assert editor.run("edition", "2", "--text").stdout == "Front Line #2\n\nHello.\n"
    assert editor.run("edition", "2", "--html").stdout.startswith("<html>")
    assert editor.run("edition", "2", "--eml").stdout.startswith("Subject: Front Line #2")


def test_edition_before_any_build_says_to_build(editor):
    line = one_line_error(editor.run("edition", "2"), 2)
    assert "no editions in" in line and "run `publish.py build` first" in line


def test_edition_of_an_unknown_issue_lists_the_built_ones(editor):
    write_edition(editor.output, 1)
    write_edition(editor.output, 2)
    line = one_line_error(editor.run("edition", "7", "--text"), 2)
    assert "no edition of issue 7" in line and "(built: 1, 2)" in line
    assert "publish.py build" in line


def test_edition_number_must_be_positive(editor):
    result = editor.run("edition", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output
