"""`edition N`: the path of a built edition, or one of its files."""

from __future__ import annotations

import datetime
import email
import json
from email import policy

from newsletter.message import fill, sample_values
from tests.cli_helpers import one_line_error, write_edition


def test_edition_prints_its_directory_or_one_file(editor):
    folder = write_edition(editor.output, 2)
    assert editor.run("edition", "2").stdout == "output/editions/2\n"
    assert folder.is_dir()
    assert editor.run("edition", "2", "--text").stdout == "Front Line #2\n\nHello.\n"
    assert editor.run("edition", "2", "--html").stdout.startswith("<html>")


def test_edition_eml_is_made_from_the_built_files(editor):
    assert editor.run("build").exit_code == 0
    folder = editor.output / "editions" / "2"
    assert not (folder / "email.eml").exists()  # made on request, never by the build
    raw = editor.run("edition", "2", "--eml").stdout_bytes
    assert raw == editor.run("edition", "2", "--eml").stdout_bytes  # same bytes every time
    meta = json.loads((folder / "edition.json").read_text(encoding="utf-8"))
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    values = sample_values(meta["unsubscribe_url_template"], meta["preferences_url_template"])
    for part, name in ((plain, "email.txt"), (html, "email.html")):
        body = (folder / name).read_bytes().decode("utf-8")
        # The message ends each body with a line break (the HTML has none of its own).
        assert part.get_content().replace("\r\n", "\n").rstrip() == fill(body, values).rstrip()
    for header, value in meta["headers"].items():
        assert message[header] == fill(value, values)
    assert message["Date"].datetime == datetime.datetime(2025, 1, 14, 12, tzinfo=datetime.UTC)
    assert message["Message-ID"].endswith("@frontline.example.org>")


def test_edition_eml_of_an_edition_json_without_headers_says_to_rebuild(editor):
    write_edition(editor.output, 2)
    line = one_line_error(editor.run("edition", "2", "--eml"), 2)
    assert "edition.json lacks what a message needs" in line and "rebuild" in line


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
