"""The edition files of the sample newsletter, read back as the send and a mail client would."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import pytest

from edition_fixtures import build_newsletter, copy_theme, settings
from masthead.editions import sample_eml
from newsletter.edition import write_editions

EDITIONS = [1, 2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    copy_theme(root)
    newsletter = build_newsletter(root)
    problems = write_editions(newsletter, settings(root), root / "output", root)
    assert [str(p) for p in problems] == []
    return root / "output" / "editions"


def _message(built: Path, number: int) -> email.message.EmailMessage:
    return email.message_from_bytes(sample_eml(built / str(number)), policy=policy.default)


def _meta(built: Path, number: int) -> dict:
    return json.loads((built / str(number) / "edition.json").read_text(encoding="utf-8"))


def test_published_issues_only(built: Path) -> None:
    # series/ holds the series-part editions (tests/test_part_editions.py)
    assert sorted(p.name for p in built.iterdir()) == ["1", "2", "series"]
    for number in EDITIONS:
        names = sorted(p.name for p in (built / str(number)).iterdir())
        assert names == ["edition.json", "email.html", "email.txt"]


@pytest.mark.parametrize("number", EDITIONS)
def test_eml_structure_and_headers(built: Path, number: int) -> None:
    message = _message(built, number)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # plain first: clients show the last they can
    assert message["Subject"].startswith(f"Front Line #{number}: ")
    assert message["From"] == "Front Line <newsletter@frontline.example.org>"
    assert message["Reply-To"] == "editor@frontline.example.org"
    assert message["To"] == "reader@example.org"
    assert message["Date"].datetime is not None
    assert re.fullmatch(r"<[^@<>]+@frontline\.example\.org>", message["Message-ID"])
    assert message["List-Id"] == "Front Line <frontline.example.org>"
    assert message["List-Unsubscribe"] == (
        "<https://frontline.example.org/service/unsubscribe?token=sample-token-not-valid>, "
        "<mailto:newsletter@frontline.example.org?subject=UNSUBSCRIBE>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    for part in message.iter_parts():
        assert part["Content-Transfer-Encoding"] == "quoted-printable"


@pytest.mark.parametrize("number", EDITIONS)
def test_no_line_over_998_octets_and_crlf(built: Path, number: int) -> None:
    lines = sample_eml(built / str(number)).split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert all(b"\n" not in line and b"\r" not in line for line in lines)


@pytest.mark.parametrize("number", EDITIONS)
def test_text_part_has_titles_and_unsubscribe(built: Path, number: int) -> None:
    message = _message(built, number)
    text = message.get_body(("plain",)).get_content()
    meta = _meta(built, number)
    titles = {1: ["Listen first", "A tour of the desk"], 2: ["Measure what matters"]}[number]
    for title in titles:
        assert title in text and title.upper() in text
    assert "https://frontline.example.org/service/unsubscribe?token=sample-token-not-valid" in text
    assert "UNSUBSCRIBE" in text and "reader@example.org" in text
    assert meta["web_url"] in text
    raw_text = (built / str(number) / "email.txt").read_text(encoding="utf-8")
    assert all(len(line) <= 72 or "://" in line for line in raw_text.splitlines())


def test_text_part_written_from_markdown(built: Path) -> None:
    text = (built / "2" / "email.txt").read_text(encoding="utf-8")
    assert "Why measure\n-----------" in text  # heading underlined
    assert "1. _The Service Book_" in text  # ordered list, emphasis
    assert "our guide [4]" in text and "[4] https://example.com/guide" in text
    assert "[image: A chart of response times]" in text
    assert "Part 2 of 4 of RETAIN — earlier parts: Listen first; coming next: Close" in text
    assert "When: Tuesday, April 21, 2026" in text and "Where: Harbour Hall" in text


@pytest.mark.parametrize("number", EDITIONS)
def test_placeholders_where_edition_json_says(built: Path, number: int) -> None:
    meta = _meta(built, number)
    bodies = {
        name: (built / str(number) / name).read_text(encoding="utf-8")
        for name in ("email.html", "email.txt")
    }
    for spec in meta["placeholders"].values():
        token = spec["token"]
        for name, body in bodies.items():
            assert body.count(token) == spec["in"][name] >= 1
        for header, value in meta["headers"].items():
            assert (token in value) == (header in spec["in"]["headers"])
    html, text = bodies["email.html"], bodies["email.txt"]
    for body in (html, text):
        rest = body.replace("%%recipient%%", "").replace("%%unsubscribe_url%%", "")
        assert "%%" not in rest.replace("%%preferences_url%%", "")
    assert 'href="%%unsubscribe_url%%"' in html
    assert 'href="%%preferences_url%%"' in html


@pytest.mark.parametrize("number", EDITIONS)
def test_edition_json_contract(built: Path, number: int) -> None:
    import hashlib

    meta = _meta(built, number)
    assert meta["format"] == 1 and meta["number"] == number and meta["status"] == "published"
    assert meta["subject"] == meta["headers"]["Subject"]
    assert "Date" not in meta["headers"] and "Message-ID" not in meta["headers"]
    assert meta["unsubscribe_url_template"].endswith("/service/unsubscribe?token={token}")
    for name, digest in meta["hashes"].items():
        data = (built / str(number) / name).read_bytes()
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert f"content/issues/{number:03}.md" in meta["sources"]
    if number == 2:
        assert "content/series/retain.md" in meta["sources"]
        assert "content/articles/measure.md" in meta["sources"]


@pytest.mark.parametrize("number", EDITIONS)
def test_links_and_images_absolute(built: Path, number: int) -> None:
    html = (built / str(number) / "email.html").read_text(encoding="utf-8")
    targets = re.findall(r"""\s(?:href|src)=["']([^"']*)["']""", html)
    assert targets
    for target in targets:
        placeholder = target in ("%%unsubscribe_url%%", "%%preferences_url%%")
        ok = re.match(r"(https://|mailto:|#)", target) or placeholder
        assert ok, target
    for tag in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'alt="[^"]+"', tag), tag


def test_html_has_what_the_footer_needs(built: Path) -> None:
    html = (built / "2" / "email.html").read_text(encoding="utf-8")
    for needle in (
        "%%recipient%%",
        "https://frontline.example.org/issues/2/",  # view in browser
        "https://frontline.example.org/subscribe/",
        "mailto:newsletter@frontline.example.org?subject=SUBSCRIBE",
        "mailto:newsletter@frontline.example.org?subject=UNSUBSCRIBE",
        "14 Harbour Lane, Suite 3, Portsmouth",
        "© 2024–2026 Harbour Lane Service Group",
        'name="color-scheme"',
        "Issue #2",
        "Part 2 of 4 of",
    ):
        assert needle in html, needle
    # No in-page #anchor links: Gmail's and Yahoo's apps ignore them (caniemail).
    assert 'href="#' not in html
    assert "Part 2 of RETAIN, and a workshop in Portsmouth" in html  # preheader


def test_drafts_only_when_asked_and_marked(tmp_path: Path) -> None:
    copy_theme(tmp_path)
    newsletter = build_newsletter(tmp_path)
    problems = write_editions(
        newsletter, settings(tmp_path), tmp_path / "out", tmp_path, include_drafts=True
    )
    assert problems == []
    draft = tmp_path / "out" / "editions" / "3"
    meta = json.loads((draft / "edition.json").read_text(encoding="utf-8"))
    assert meta["status"] == "draft"
    assert meta["subject"].startswith("[DRAFT] Front Line #3")
    assert "DRAFT" in (draft / "email.txt").read_text(encoding="utf-8")
    assert "DRAFT" in (draft / "email.html").read_text(encoding="utf-8")


def test_siteurl_links_rewritten_to_public_url(tmp_path: Path) -> None:
    copy_theme(tmp_path)
    newsletter = build_newsletter(tmp_path)
    article = newsletter.articles[1]
    article.body_html = '<p><a href="http://localhost:8000/issues/2/">x</a></p>'
    conf = settings(tmp_path, SITEURL="http://localhost:8000")
    assert write_editions(newsletter, conf, tmp_path / "out", tmp_path) == []
    html = (tmp_path / "out" / "editions" / "1" / "email.html").read_text(encoding="utf-8")
    assert "localhost" not in html and 'href="https://frontline.example.org/issues/2/"' in html
