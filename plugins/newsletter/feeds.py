"""Atom feeds: every issue, and one per series (its published parts)."""

from __future__ import annotations

import datetime
from html import escape
from pathlib import Path

from feedgenerator import Atom1Feed

from .model import Issue, Newsletter, Series


def write_feeds(newsletter: Newsletter, settings: dict, output: Path) -> None:
    base = (settings["SITEURL"] or settings["NEWSLETTER"]["public_url"]).rstrip("/")
    _write(_issues_feed(newsletter, settings, base), output / "feeds" / "all.atom.xml")
    for series in newsletter.series.values():
        _write(_series_feed(series, settings, base), output / series.feed_url)


def _issues_feed(newsletter: Newsletter, settings: dict, base: str) -> Atom1Feed:
    name = settings["NEWSLETTER"]["name"]
    feed = Atom1Feed(
        title=name,
        link=f"{base}/",
        feed_url=f"{base}/feeds/all.atom.xml",
        description=settings["NEWSLETTER"].get("tagline", ""),
        language=settings.get("DEFAULT_LANG", "en"),
    )
    for issue in reversed(newsletter.published_issues):
        feed.add_item(
            title=f"{name} #{issue.number}: {issue.subject}",
            link=f"{base}/{issue.url}",
            unique_id=f"{base}/{issue.url}",
            description=_issue_summary(issue, base),
            updateddate=_moment(issue.date),
            pubdate=_moment(issue.date),
        )
    return feed


def _series_feed(series: Series, settings: dict, base: str) -> Atom1Feed:
    feed = Atom1Feed(
        title=f"{settings['NEWSLETTER']['name']}: {series.title}",
        link=f"{base}/{series.url}",
        feed_url=f"{base}/{series.feed_url}",
        description=series.subtitle or "",
    )
    for part in reversed(series.published_parts):
        article = part.article
        feed.add_item(
            title=f"Part {part.number} of {series.total}: {article.title}",
            link=f"{base}/{article.url}",
            unique_id=f"{base}/{article.url}",
            author_name=article.byline or None,
            description=article.body_html,
            updateddate=_moment(article.issue.date),
            pubdate=_moment(article.issue.date),
        )
    return feed


def _issue_summary(issue: Issue, base: str) -> str:
    items = "".join(
        f'<li><a href="{base}/{a.url}">{escape(a.title)}</a></li>' for a in issue.articles
    )
    return f"{issue.welcome_html}<ul>{items}</ul>"


def _moment(date: datetime.date) -> datetime.datetime:
    return datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC)


def _write(feed: Atom1Feed, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        feed.write(out, "utf-8")
