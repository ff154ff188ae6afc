"""Issue structure: section order from NEWSLETTER["sections"] (Features first by default),
the same on the issue page, the home list and both parts of the email; article subheads
demoted below the article title on issue pages and in the email."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.html_tools import demote_headings
from newsletter.model import in_section_order
from tests.conftest import MINIMAL, ROOT

ISSUE_2 = {
    # File-name order puts the review first; the default order puts Features first.
    "articles/a-review.md": """
        ---
        title: A book review
        issue: 2
        section: Recommended Reading
        ---
        ## What the book says

        Worth a read.
        """,
    "articles/two.md": MINIMAL["articles/two.md"].replace(
        "Body two, see", "## A subhead\n\n        ### A smaller one\n\n        Body two, see"
    ),
}
TITLES = ["A book review", "Listening again", "A workshop on handoffs"]


class Texts(HTMLParser):
    """The text of every element of one kind, in order."""

    def __init__(self, html: str, tags: set[str]):
        super().__init__()
        self.tags, self.open, self.found = tags, None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.tags:
            self.open = tag
            self.found.append((tag, ""))

    def handle_endtag(self, tag):
        if tag == self.open:
            self.open = None

    def handle_data(self, data):
        if self.open:
            self.found[-1] = (self.found[-1][0], self.found[-1][1] + data)


def _order(text: str) -> list[str]:
    """The titles of TITLES in the order they first appear in `text`."""
    return sorted(TITLES, key=lambda title: text.index(title))


def _settings_with(sections):
    from masthead.build import load_settings

    newsletter = dict(load_settings(ROOT / "pelicanconf.py")["NEWSLETTER"])
    return {"NEWSLETTER": {**newsletter, "sections": sections}}


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (None, ["Listening again", "A book review", "A workshop on handoffs"]),
        (["Events", "Recommended Reading"], ["A workshop on handoffs", "A book review",
                                             "Listening again"]),
    ],
)  # fmt: skip
def test_every_consumer_shows_the_same_section_order(tree, tmp_path: Path, sections, expected):
    extra = _settings_with(sections) if sections else None
    tree(ISSUE_2, extra=extra)
    output = tmp_path / "output"
    issue_page = (output / "issues/2/index.html").read_text()
    home = (output / "index.html").read_text()
    edition = output / "editions/2"
    assert _order(issue_page) == expected
    assert _order(home) == expected
    assert _order((edition / "email.html").read_text()) == expected
    assert _order((edition / "email.txt").read_text()) == expected


def test_default_subject_is_the_first_feature(tree, tmp_path: Path):
    files = {**ISSUE_2, "issues/002.md": "---\nnumber: 2\ndate: 2025-01-14\n---\nHi.\n"}
    tree(files)
    meta = (tmp_path / "output/editions/2/edition.json").read_text()
    assert '"subject": "Front Line #2: Listening again"' in meta


def test_body_headings_sit_below_the_article_title(tree, tmp_path: Path):
    tree(ISSUE_2)
    output = tmp_path / "output"
    headings = {"h1", "h2", "h3", "h4", "h5", "h6"}
    issue = Texts((output / "issues/2/index.html").read_text(), headings).found
    assert ("h3", "Listening again") in issue
    assert ("h4", "A subhead") in issue and ("h5", "A smaller one") in issue
    assert ("h4", "What the book says") in issue
    email = Texts((output / "editions/2/email.html").read_text(), headings).found
    assert ("h2", "Listening again") in email
    assert ("h3", "A subhead") in email and ("h4", "A smaller one") in email
    article = Texts((output / "issues/2/two/index.html").read_text(), headings).found
    assert ("h1", "Listening again") in article and ("h2", "A subhead") in article


def test_demote_keeps_everything_else_byte_for_byte():
    html = '<p>a &amp; b</p>\n<H2 class="x">T</H2>\n<pre>h2 &lt;h1&gt; text</pre>'
    assert (
        demote_headings(html, 3)
        == '<p>a &amp; b</p>\n<h4 class="x">T</h4>\n<pre>h2 &lt;h1&gt; text</pre>'
    )
    assert demote_headings("<h4>x</h4>", 3) == "<h4>x</h4>"  # already below
    assert demote_headings("<h1>a</h1><h6>b</h6>", 2) == "<h3>a</h3><h6>b</h6>"  # h6 at most
    assert demote_headings("no headings", 3) == "no headings"


def test_section_order_is_stable_inside_a_section():
    class A:
        def __init__(self, slug, section):
            self.slug, self.section = slug, section

    articles = [A("r1", "Reading"), A("f1", "Features"), A("e1", "Events"), A("r2", "Reading"),
                A("f2", "features")]  # fmt: skip
    ordered = in_section_order(articles, ["Features"])
    assert [a.slug for a in ordered] == ["f1", "f2", "r1", "r2", "e1"]


def test_sections_setting_must_be_a_list_of_names(editor):
    settings = editor.root / "settings.py"
    settings.write_text(settings.read_text() + '\nNEWSLETTER["sections"] = "Features"\n')
    result = editor.run("build")
    assert result.exit_code == 1
    assert "NEWSLETTER['sections'] must be a list of section names" in result.stderr
