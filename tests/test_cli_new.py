"""`new issue` and `new article`: next free numbers, parts and slugs; scaffolds that build."""

from __future__ import annotations

import datetime

from masthead.project import open_project
from masthead.scaffold import next_publication_day
from tests.cli_helpers import one_line_error


def test_new_issue_takes_the_next_number_and_publication_day(editor):
    result = editor.run("new", "issue")
    assert result.exit_code == 0, result.output
    assert result.stdout == "content/issues/003.md\n"
    text = (editor.content / "issues/003.md").read_text()
    assert "number: 3 " in text and "status: draft" in text
    # MINIMAL's latest issue is Tuesday 2025-01-14: the next Tuesday, unless that is past.
    date = datetime.date.fromisoformat(text.split("date: ")[1][:10])
    assert date.weekday() == 1 and date >= datetime.date.today()


def test_next_publication_day_is_after_the_latest_issue_and_not_in_the_past(editor):
    project = open_project("settings.py")
    tuesday = datetime.date(2025, 1, 14)
    assert next_publication_day(project, tuesday, datetime.date(2025, 1, 1)) == tuesday.replace(
        day=21
    )
    assert next_publication_day(project, tuesday, datetime.date(2025, 3, 5)) == datetime.date(
        2025, 3, 11
    )
    assert next_publication_day(project, None, tuesday) == tuesday


def test_new_issue_with_date_and_subject(editor):
    result = editor.run("new", "issue", "--date", "2025-02-04", "--subject", 'Say "hi": now')
    assert result.exit_code == 0
    text = (editor.content / "issues/003.md").read_text()
    assert "date: 2025-02-04" in text and 'subject: "Say \\"hi\\": now"' in text


def test_new_issue_never_overwrites(editor):
    editor.write({"issues/003.md": "---\ntitle: half-written, no number yet\n---\n"})
    line = one_line_error(editor.run("new", "issue"), 2)
    assert "content/issues/003.md already exists" in line


def test_new_issue_bad_date_is_a_usage_error(editor):
    result = editor.run("new", "issue", "--date", "2025-13-01")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_new_issue_needs_a_publication_day(editor):
    settings = editor.root / "settings.py"
    settings.write_text(
        settings.read_text() + "NEWSLETTER = {**NEWSLETTER, 'publication_day': 'Someday'}\n"
    )
    line = one_line_error(editor.run("new", "issue"), 2)
    assert "publication_day" in line and "--date" in line
    assert editor.run("new", "issue", "--date", "2025-02-04").exit_code == 0


def test_new_article_in_a_series_takes_the_next_part_and_its_planned_title(editor):
    result = editor.run("new", "article", "--issue", "2", "--series", "listen")
    assert result.exit_code == 0, result.output
    assert result.stdout == "content/articles/summarise.md\n"
    text = (editor.content / "articles/summarise.md").read_text()
    assert 'title: "Summarise"' in text and "series: listen" in text and "part: 3 " in text


def test_new_article_with_a_title_and_section(editor):
    result = editor.run(
        "new", "article", "Café hours & more", "--issue", "1", "--section", "Events"
    )
    assert result.stdout == "content/articles/cafe-hours-more.md\n"
    assert 'section: "Events"' in (editor.content / "articles/cafe-hours-more.md").read_text()


def test_new_article_refusals(editor):
    cases = {
        ("One", "--issue", "1"): "slug 'one' is already used by content/articles/one.md",
        ("X", "--issue", "1", "--slug", "one"): "slug 'one' is already used by",
        ("X", "--issue", "9"): "issue 9 does not exist (issues: 1-2)",
        ("X", "--issue", "1", "--series", "nope"): "series 'nope' does not exist",
        ("X", "--issue", "1", "--series", "listen", "--part", "2"): "part 2 of series 'listen'",
        ("X", "--issue", "1", "--part", "2"): "--part needs --series",
        ("--issue", "1"): "give the article's TITLE",
    }
    for args, message in cases.items():
        assert message in one_line_error(editor.run("new", "article", *args), 2)


def test_new_article_beyond_the_planned_parts_needs_a_title(editor):
    editor.run("new", "article", "--issue", "2", "--series", "listen")
    line = one_line_error(
        editor.run("new", "article", "-", "--issue", "2", "--series", "listen"), 2
    )
    assert "plans no title for part 4" in line
    result = editor.run("new", "article", "Recap", "--issue", "2", "--series", "listen")
    assert (
        result.exit_code == 0 and "part: 4 " in (editor.content / "articles/recap.md").read_text()
    )


def test_new_article_notes_an_issue_with_an_articles_list(editor):
    editor.write({"issues/002.md": "---\nnumber: 2\ndate: 2025-01-14\narticles: [two]\n---\n"})
    result = editor.run("new", "article", "Late news", "--issue", "2")
    assert "add 'late-news' there" in result.stderr


def test_scaffolds_build_without_edits(editor):
    assert editor.run("new", "issue").exit_code == 0
    assert editor.run("new", "article", "--issue", "3", "--series", "listen").exit_code == 0
    assert editor.run("new", "article", "A fresh piece", "--issue", "3").exit_code == 0
    result = editor.run("build", "--drafts")
    assert result.exit_code == 0, result.output
    assert "0 warnings" in result.stdout
    assert (editor.output / "issues/3/summarise/index.html").is_file()
    assert (editor.output / "issues/3/a-fresh-piece/index.html").is_file()
    # Without --drafts the new draft issue and its articles stay out of the archive.
    assert editor.run("build").exit_code == 0
    assert not (editor.output / "issues/3").exists()
