"""Series-part editions: output/editions/series/<slug>/<part>/, from the sample newsletter."""

from __future__ import annotations

import email
import json
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from delivery.edition import load_part_edition
from delivery.errors import EditionError
from delivery.settings import load_settings
from masthead.editions import sample_eml

ROOT = Path(__file__).resolve().parents[1]


class Page(HTMLParser):
    """The text, the h2 headings and the links (text -> href) of an email's HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.words: list[str] = []
        self.headings: list[str] = []
        self.links: dict[str, str] = {}
        self._open: list[tuple[str, str, list[str]]] = []
        self.feed(html)
        self.text = " ".join(" ".join(self.words).split())

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "h2"):
            self._open.append((tag, dict(attrs).get("href") or "", []))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, href, words = self._open.pop()
            text = " ".join(" ".join(words).split())
            if tag == "a":
                self.links[text] = href
            else:
                self.headings.append(text)

    def handle_data(self, data):
        self.words.append(data)
        for _, _, words in self._open:
            words.append(data)


def _dir(site: Path, slug: str, part: int) -> Path:
    return site / "editions" / "series" / slug / str(part)


def _meta(site: Path, slug: str, part: int) -> dict:
    return json.loads((_dir(site, slug, part) / "edition.json").read_text(encoding="utf-8"))


def test_one_edition_per_published_part(sample_site: Path) -> None:
    series = sample_site / "editions" / "series"
    built = {p.name: sorted(int(q.name) for q in p.iterdir()) for p in series.iterdir()}
    assert built["anchor"] == [1, 2, 3, 4]  # parts 5 and 6 are only planned
    assert built["knowledge-base-that-works"] == [1, 2, 3]
    names = sorted(p.name for p in _dir(sample_site, "anchor", 2).iterdir())
    assert names == ["edition.json", "email.html", "email.txt"]


def test_a_part_edition_is_the_article_with_its_place_in_the_series(sample_site: Path) -> None:
    meta = _meta(sample_site, "anchor", 2)
    assert meta["kind"] == "series-part" and meta["number"] == 6  # the issue that carried it
    assert meta["series"] == {
        "slug": "anchor",
        "title": "ANCHOR",
        "part": 2,
        "of": 6,
        "complete": False,
        "last": False,
        "url": "series/anchor/",
    }
    assert meta["headers"]["Subject"].startswith("Front Line: Part 2 of 6 of ANCHOR: ")
    page = Page((_dir(sample_site, "anchor", 2) / "email.html").read_text(encoding="utf-8"))
    text = page.text
    assert "Part 2 of 6 of ANCHOR" in text
    assert page.headings[0] == "Notice: Hearing Trouble Early"
    assert "Access: How Customers Reach You" not in page.headings  # the article alone
    assert "earlier parts: Access: How Customers Reach You" in text  # the series box
    assert "coming next: Capacity" in text
    assert "In this issue" not in text
    assert page.links["leave ANCHOR in one click"] == "%%unsubscribe_url%%"
    assert page.links["Choose what you receive"] == "%%preferences_url%%"
    assert "the series is complete" not in text.lower()


def test_one_click_in_a_part_edition_has_no_mailto_that_would_leave_everything(
    sample_site: Path,
) -> None:
    meta = _meta(sample_site, "anchor", 1)
    assert meta["headers"]["List-Unsubscribe"] == "<%%unsubscribe_url%%>"
    assert meta["placeholders"]["preferences_url"]["in"]["email.txt"] == 1


def test_the_last_part_says_the_series_is_complete(sample_site: Path) -> None:
    meta = _meta(sample_site, "knowledge-base-that-works", 3)
    assert meta["series"]["last"] is True and meta["series"]["complete"] is True
    text = (_dir(sample_site, "knowledge-base-that-works", 3) / "email.txt").read_text()
    assert "The series is complete: this was its last part" in " ".join(text.split())
    eml = email.message_from_bytes(
        sample_eml(_dir(sample_site, "knowledge-base-that-works", 3)), policy=policy.default
    )
    assert "Part 3 of 3 of A Knowledge Base That Works" in eml["Subject"]


def test_issue_editions_list_the_parts_they_carry(sample_site: Path) -> None:
    meta = json.loads((sample_site / "editions" / "8" / "edition.json").read_text())
    assert meta["kind"] == "issue"
    assert meta["parts"] == [["anchor", 4], ["first-ninety-days", 1]]


def test_the_send_reads_a_part_edition_and_refuses_a_mismatched_one(
    sample_site: Path, tmp_path: Path
) -> None:
    settings = load_settings(ROOT / "pelicanconf.py", environ={"MASTHEAD_SECRET": "x" * 32})
    settings = type(settings)(**{**settings.__dict__, "output_path": sample_site})
    edition = load_part_edition(settings, "anchor", 3)
    assert edition.series_part == ("anchor", 3) and edition.number == 7
    with pytest.raises(EditionError, match="not built"):
        load_part_edition(settings, "anchor", 5)
