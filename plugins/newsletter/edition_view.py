"""What one email edition shows, computed once for the HTML and the text part alike."""

from __future__ import annotations

import functools
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .links import Absolutiser
from .message import subject_line
from .model import Article, Issue, Newsletter
from .problems import Problem
from .settings import check_settings

PREHEADER_LENGTH = 110


def read_email_settings(
    settings: dict[str, Any], project_root: Path
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """NEWSLETTER as the edition uses it, after the one check of the settings."""
    problems = [p for p in check_settings(settings) if not p.warning]
    if problems:
        return None, problems
    config = settings["NEWSLETTER"]
    public = str(config["public_url"]).rstrip("/")
    requests = config["requests_address"]
    service = config["service_url"].rstrip("/")
    return {
        **config,
        "tagline": config.get("tagline", ""),
        "public_url": public,
        "subscribe_url": f"{public}/subscribe/",
        "subscribe_mailto": f"mailto:{requests}?subject=SUBSCRIBE",
        "unsubscribe_mailto": f"mailto:{requests}?subject=UNSUBSCRIBE",
        "unsubscribe_url_template": f"{service}/unsubscribe?token={{token}}",
        "preferences_url_template": f"{service}/preferences?token={{token}}",
    }, []


@dataclass
class EditionView:
    issue: Issue
    newsletter: Newsletter
    config: dict[str, Any]
    links: Absolutiser
    content_dir: str  # relative to the project root: "content"

    @property
    def draft(self) -> bool:
        return self.issue.is_draft

    @property
    def part(self) -> Any:
        """The series part a series-part edition is made of (part_edition.PartView); None."""
        return None

    @property
    def subject(self) -> str:
        return subject_line(self.config["name"], self.issue.number, self.issue.subject, self.draft)

    @property
    def web_url(self) -> str:
        return self.links.page(self.issue.url)

    @property
    def preheader(self) -> str:
        """Given, or the article titles: short and meaningful (spam filters dislike filler)."""
        if self.issue.preheader:
            return self.issue.preheader
        text = " · ".join(article.title for article in self.issue.articles)
        if len(text) <= PREHEADER_LENGTH:
            return text
        return text[:PREHEADER_LENGTH].rsplit(" ", 1)[0] + "…"

    def source_dir(self, item: Article | Issue) -> str:
        """Directory of the item's file relative to the content dir, for {filename} links."""
        return _source_dir(item.source.path, self.content_dir)


def content_dir(settings: dict[str, Any], project_root: Path) -> str:
    """PATH relative to the project root (Pelican makes it absolute once settings load)."""
    path = settings.get("PATH", "content")
    if os.path.isabs(path):
        path = os.path.relpath(path, project_root)
    return Path(path).as_posix()


@functools.lru_cache(maxsize=256)
def _source_dir(path: str, content_dir: str) -> str:
    # Asked for every body of every edition, from a handful of directories: relpath is slow.
    directory = posixpath.dirname(path)
    relative = posixpath.relpath(directory, content_dir) if content_dir else directory
    return "" if relative == "." else relative
