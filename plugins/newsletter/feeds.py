"""Feeds in three formats: every issue, one per series, one per topic; full text, absolute URLs.

Atom and RSS 2.0 come from Pelican's feedgenerator; JSON Feed 1.1 is plain json.dumps.
Each feed is written as `<stem>.atom.xml`, `<stem>.rss.xml` and `<stem>.json`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from feedgenerator import Atom1Feed, Rss201rev2Feed

from .links import Absolutiser
from .model import Article, Issue, Newsletter, Series, Topic
from .sharing import site_base

# (file suffix, MIME type, label) of each format, in the order pages advertise them.
FORMATS = (
    (".atom.xml", "application/atom+xml", "Atom"),
    (".rss.xml", "application/rss+xml", "RSS"),
    (".json", "application/feed+json", "JSON Feed"),
)
ALL = "feeds/all"


def stem_of(thing: Series | Topic | None = None) -> str:
    """The feeds of a series, of a topic, or (None) of every issue, without the suffix."""
    if isinstance(thing, Series):
        return series_stem(thing)
    return topic_stem(thing) if isinstance(thing, Topic) else ALL


def series_stem(series: Series) -> str:
    return f"feeds/series/{series.slug}"


def topic_stem(topic: Topic) -> str:
    return f"feeds/topics/{topic.slug}"


@dataclass
class Entry:
    title: str
    url: str  # absolute
    html: str  # the full text, links absolute
    summary: str
    date: datetime.date
    authors: list[str] = field(default_factory=list)


@dataclass
class Feed:
    stem: str  # "feeds/all": the files are stem + each suffix
    title: str
    home: str  # absolute URL of the page the feed follows
    description: str
    entries: list[Entry]


def write_feeds(
    newsletter: Newsletter, settings: dict, output: Path, memo=None, fingerprints=None
) -> None:
    """Every feed in every format. With an output memo and the build's fingerprints, a feed
    whose entries did not change keeps the files it has (output_memo.py)."""
    writer = _Writer(settings, newsletter, memo, fingerprints)
    latest = int(settings.get("FEED_MAX_ITEMS") or 20)  # Pelican's setting
    name = settings["NEWSLETTER"]["name"]
    issues = list(reversed(newsletter.published_issues))[:latest]
    description = settings["NEWSLETTER"].get("tagline", "")
    if not writer.kept(ALL, issues, [], name, description):
        entries = [writer.issue_entry(i, name) for i in issues]
        writer.write(Feed(ALL, name, writer.url(""), description, entries), output)
    for series in newsletter.series.values():
        articles = [p.article for p in reversed(series.published_parts)]
        if writer.kept(series_stem(series), [], articles, name, series.title, series.subtitle):
            continue
        parts = [writer.article_entry(article) for article in articles]
        title = f"{name}: {series.title}"
        home = writer.url(series.url)
        writer.write(Feed(series_stem(series), title, home, series.subtitle or "", parts), output)
    for topic in newsletter.topics.values():
        articles = [a for a in topic.newest_first if not a.issue.is_draft][:latest]
        if writer.kept(topic_stem(topic), [], articles, name, topic.name):
            continue
        entries = [writer.article_entry(a) for a in articles]
        title = f"{name}: {topic.name}"
        home = writer.url(topic.url)
        writer.write(Feed(topic_stem(topic), title, home, "", entries), output)


class _Writer:
    def __init__(self, settings: dict, newsletter: Newsletter, memo=None, fingerprints=None):
        self.memo, self.fingerprints = memo, fingerprints
        self.made: dict[str, str] = {}  # feed stem -> the fingerprint its files are made of
        self.base = site_base(settings)
        self.language = settings.get("DEFAULT_LANG", "en")
        self.links = Absolutiser(self.base, str(settings.get("SITEURL") or ""), newsletter.url_of)
        self._bodies: dict[str, str] = {}  # article URL -> body with absolute links, made once

    def url(self, path: str) -> str:
        return self.links.page(path)

    def absolute(self, html: str) -> str:
        return self.links.rewrite_html(html)[0]

    def body(self, article: Article) -> str:
        """An article's HTML with absolute links: it appears in up to five feeds."""
        if article.url not in self._bodies:
            self._bodies[article.url] = self.absolute(article.body_html)
        return self._bodies[article.url]

    def issue_entry(self, issue: Issue, name: str) -> Entry:
        parts = [self.absolute(issue.welcome_html)]
        for article in issue.articles:
            byline = f"<p>By {escape(article.byline)}</p>" if article.byline else ""
            heading = f'<h2><a href="{self.url(article.url)}">{escape(article.title)}</a></h2>'
            parts.append(heading + byline + self.body(article))
        authors = sorted({name for a in issue.articles for name in a.authors})
        return Entry(
            f"{name} #{issue.number}: {issue.subject}",
            self.url(issue.url),
            "\n".join(parts),
            issue.summary,
            issue.date,
            authors,
        )

    def article_entry(self, article: Article) -> Entry:
        title = article.title
        if article.series:
            title = f"Part {article.part} of {article.series.total}: {title}"
        return Entry(
            title,
            self.url(article.url),
            self.body(article),
            article.summary or "",
            article.issue.date,
            article.authors,
        )

    def kept(self, stem: str, issues: list[Issue], articles: list[Article], *shown) -> bool:
        """Whether the feed's files stay as the current output has them."""
        if self.memo is None or self.fingerprints is None:
            return False
        self.made[stem] = self.fingerprints.feed(stem, issues, articles, *shown)
        return self.memo.keep(_names(stem), self.made[stem])

    def write(self, feed: Feed, output: Path) -> None:
        if self.memo is not None and feed.stem in self.made:
            self.memo.wrote(_names(feed.stem), self.made[feed.stem])
        path = output / feed.stem
        path.parent.mkdir(parents=True, exist_ok=True)
        for kind, suffix in ((Atom1Feed, ".atom.xml"), (Rss201rev2Feed, ".rss.xml")):
            with open(f"{path}{suffix}", "w", encoding="utf-8") as out:
                self._xml(kind, feed, suffix).write(out, "utf-8")
        Path(f"{path}.json").write_text(self._json(feed), encoding="utf-8")

    def _xml(self, kind: type, feed: Feed, suffix: str):
        made = kind(
            title=feed.title,
            link=feed.home,
            feed_url=self.url(feed.stem + suffix),
            description=feed.description,
            language=self.language,
        )
        atom = kind is Atom1Feed  # Atom has <summary> and <content>; RSS 2.0 one description
        for entry in feed.entries:
            made.add_item(
                title=entry.title,
                link=entry.url,
                unique_id=entry.url,
                author_name=", ".join(entry.authors) or None,
                description=(entry.summary or entry.title) if atom else entry.html,
                content=entry.html if atom else None,
                pubdate=_moment(entry.date),
                updateddate=_moment(entry.date),
            )
        return made

    def _json(self, feed: Feed) -> str:
        data = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed.title,
            "home_page_url": feed.home,
            "feed_url": self.url(feed.stem + ".json"),
            "description": feed.description,
            "language": self.language,
            "items": [
                {
                    "id": entry.url,
                    "url": entry.url,
                    "title": entry.title,
                    "content_html": entry.html,
                    **({"summary": entry.summary} if entry.summary else {}),
                    "date_published": _moment(entry.date).isoformat(),
                    "authors": [{"name": name} for name in entry.authors],
                }
                for entry in feed.entries
            ],
        }
        return json.dumps(data, ensure_ascii=False, indent=1)


def _names(stem: str) -> list[str]:
    return [stem + suffix for suffix, _mime, _label in FORMATS]


def _moment(date: datetime.date) -> datetime.datetime:
    return datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC)
