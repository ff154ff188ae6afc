"""`edition N`: the path of a built edition, or one of its files."""

from __future__ import annotations

from tests.cli_helpers import one_line_error, write_edition


def test_edition_prints_its_directory_or_one_file(newsletter):
    folder = write_edition(newsletter.output, 2)
    assert newsletter.run("edition", "2").stdout == "output/editions/2\n"
    assert folder.is_dir()
    assert newsletter.run("edition", "2", "--text").stdout == "Front Line #2\n\nHello.\n"
    assert newsletter.run("edition", "2", "--html").stdout.startswith("<html>")
    assert newsletter.run("edition", "2", "--eml").stdout.startswith("Subject: Front Line #2")


def test_edition_before_any_build_says_to_build(newsletter):
    line = one_line_error(newsletter.run("edition", "2"), 2)
    assert "no editions in" in line and "run `publish.py build` first" in line


def test_edition_of_an_unknown_issue_lists_the_built_ones(newsletter):
    write_edition(newsletter.output, 1)
    write_edition(newsletter.output, 2)
    line = one_line_error(newsletter.run("edition", "7", "--text"), 2)
    assert "no edition of issue 7" in line and "(built: 1, 2)" in line
    assert "publish.py build" in line


def test_edition_number_must_be_positive(newsletter):
    result = newsletter.run("edition", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output
