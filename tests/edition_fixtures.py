"""A small newsletter built by hand (the reader lives elsewhere): files on disk for the
source hashes, model objects for the editions."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import markdown

from newsletter.model import Article, Event, Issue, Newsletter, Series, Source

REPO = Path(__file__).resolve().parent.parent
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}
NEWSLETTER = {
    "name": "Front Line",
    "tagline": "Practical notes for people who run service teams",
    "public_url": "https://frontline.example.org",
    "publisher": {
        "name": "Harbour Lane Service Group",
        "address": "14 Harbour Lane, Suite 3, Portsmouth, NH 03801, USA",
        "contact": "editor@frontline.example.org",
    },
    "copyright": "© 2024–2026 Harbour Lane Service Group",
    "from": "Front Line <newsletter@frontline.example.org>",
    "reply_to": "editor@frontline.example.org",
    "list_id": "frontline.example.org",
    "service_url": "https://frontline.example.org/service",
    "requests_address": "newsletter@frontline.example.org",
}


def settings(root: Path, **overrides: object) -> dict:
    base = {
        "NEWSLETTER": {**NEWSLETTER, "publisher": dict(NEWSLETTER["publisher"])},
        "SITEURL": "",
        "PATH": str(root / "content"),
        "THEME": str(root / "theme"),
        "MARKDOWN": MARKDOWN,
    }
    return {**base, **overrides}


def copy_theme(root: Path) -> Path:
    shutil.copytree(REPO / "theme" / "email", root / "theme" / "email")
    return root / "theme" / "email"


def html(text: str) -> str:
    configs = MARKDOWN["extension_configs"]
    return markdown.markdown(
        text, extensions=list(configs), extension_configs=configs, output_format="html5"
    )


def _write(root: Path, path: str, text: str) -> Source:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(f"---\ntitle: x\n---\n{text}", encoding="utf-8")
    return Source(path)


def article(root: Path, slug: str, title: str, issue: int, body: str, **kw: object) -> Article:
    source = _write(root, f"content/articles/{slug}.md", body)
    return Article(
        slug=slug,
        title=title,
        issue_number=issue,
        authors=kw.get("authors", ["Dana Whitfield"]),  # type: ignore[arg-type]
        section=kw.get("section", "Features"),  # type: ignore[arg-type]
        topic_names=[],
        summary=None,
        series_slug=kw.get("series_slug"),  # type: ignore[arg-type]
        part=kw.get("part"),  # type: ignore[arg-type]
        event=kw.get("event"),  # type: ignore[arg-type]
        body_md=body,
        body_html=html(body),
        source=source,
    )


def issue(root: Path, number: int, day: datetime.date, welcome: str, **kw: object) -> Issue:
    source = _write(root, f"content/issues/{number:03}.md", welcome)
    return Issue(
        number=number,
        date=day,
        subject_override=kw.get("subject"),  # type: ignore[arg-type]
        preheader=kw.get("preheader"),  # type: ignore[arg-type]
        status=kw.get("status", "published"),  # type: ignore[arg-type]
        article_slugs=None,
        welcome_md=welcome,
        welcome_html=html(welcome),
        source=source,
    )


LONG_PARAGRAPH = " ".join(["A long sentence about service desks and the people in them."] * 12)


def build_newsletter(root: Path) -> Newsletter:
    """Two published issues and a draft; a four-part series RETAIN with two parts out."""
    retain = Series(
        slug="retain",
        title="RETAIN",
        subtitle="Keeping the customers you have",
        planned=["Listen first", "Measure what matters", "Close the loop", "Make it stick"],
        description_md="A series.",
        description_html="<p>A series.</p>",
        source=_write(root, "content/series/retain.md", "A series."),
    )
    one = issue(root, 1, datetime.date(2026, 3, 3), "Welcome to the *first* issue.")
    two = issue(
        root,
        2,
        datetime.date(2026, 3, 17),
        "Hello again. See [last issue](/issues/1/) and "
        "[part one]({filename}../articles/listen.md).",
        preheader="Part 2 of RETAIN, and a workshop in Portsmouth",
    )
    draft = issue(root, 3, datetime.date(2026, 3, 31), "Not ready yet.", status="draft")
    articles = [
        article(root, "listen", "Listen first", 1, "Start by **listening**.\n\n" + LONG_PARAGRAPH,
                series_slug="retain", part=1),
        article(root, "desk-tour", "A tour of the desk", 1, "* one\n* two\n\nDone."),
        article(root, "measure", "Measure what matters", 2,
                "## Why measure\n\nSee [the tour](/issues/1/desk-tour/) and "
                "[our guide](https://example.com/guide).\n\n![A chart of response times]"
                "({static}/images/chart.png)\n\n" + LONG_PARAGRAPH,
                series_slug="retain", part=2, authors=["Dana Whitfield", "Sam Okafor"]),
        article(root, "workshop", "Spring workshop in Portsmouth", 2, "Bring a colleague.",
                section="Events", authors=[],
                event=Event(datetime.date(2026, 4, 21), "Harbour Hall, Portsmouth",
                            "https://frontline.example.org/service/register")),
        article(root, "reading", "Recommended reading", 2,
                "1. *The Service Book*\n2. _Queues_, second edition", section="Departments"),
        article(root, "draft-piece", "A draft piece", 3, "Text."),
    ]  # fmt: skip
    for item in articles:
        owner = {1: one, 2: two, 3: draft}[item.issue_number]
        item.issue = owner
        owner.articles.append(item)
        if item.series_slug:
            item.series = retain
            retain.articles[item.part] = item  # type: ignore[index]
    one.next, two.previous = two, one
    url_of = {item.source.path.removeprefix("content/"): item.url for item in articles}
    return Newsletter([one, two, draft], articles, {"retain": retain}, {}, url_of)
