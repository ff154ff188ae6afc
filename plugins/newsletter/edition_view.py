"""What one email edition shows, computed once for the HTML and the text part alike."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .links import Absolutiser
from .message import subject_line
from .model import Article, Issue, Newsletter
from .problems import Problem

# (key path in NEWSLETTER, why the edition needs it)
REQUIRED = [
    (("name",), "the subject and masthead"),
    (("public_url",), "absolute links in the email"),
    (("publisher", "name"), "the footer (publisher's name)"),
    (("publisher", "address"), "the footer (postal address; anti-spam laws require it)"),
    (("copyright",), "the footer"),
    (("from",), "the From header"),
    (("reply_to",), "the Reply-To header"),
    (("list_id",), "the List-Id header and Message-ID domain"),
    (("service_url",), "the one-click unsubscribe URL"),
    (("requests_address",), "subscribe/unsubscribe mailto links"),
]
PREHEADER_LENGTH = 110


def read_email_settings(
    settings: dict[str, Any], project_root: Path
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """NEWSLETTER checked for what editions need; every missing field is reported at once."""
    config = settings.get("NEWSLETTER") or {}
    line = _settings_line(project_root)
    problems = [
        Problem("pelicanconf.py", line, f"NEWSLETTER{_key(keys)} is missing: {why} needs it")
        for keys, why in REQUIRED
        if not _lookup(config, keys)
    ]
    public = str(config.get("public_url") or "")
    if public and not re.match(r"https?://[^/]+", public):
        problems.append(
            Problem("pelicanconf.py", line, f"NEWSLETTER['public_url'] {public!r} is not http(s)")
        )
    if problems:
        return None, problems
    public = public.rstrip("/")
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
    }, []


def _lookup(config: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        config = config.get(key) if isinstance(config, dict) else None
    return config


def _key(keys: tuple[str, ...]) -> str:
    return "".join(f"[{key!r}]" for key in keys)


def _settings_line(project_root: Path) -> int:
    """The line defining NEWSLETTER, so an editor lands on it."""
    try:
        lines = (project_root / "pelicanconf.py").read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, text in enumerate(lines, 1) if text.startswith("NEWSLETTER")), 1)


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
        directory = posixpath.dirname(item.source.path)
        relative = posixpath.relpath(directory, self.content_dir) if self.content_dir else directory
        return "" if relative == "." else relative


def content_dir(settings: dict[str, Any], project_root: Path) -> str:
    """PATH relative to the project root (Pelican makes it absolute once settings load)."""
    path = settings.get("PATH", "content")
    if os.path.isabs(path):
        path = os.path.relpath(path, project_root)
    return Path(path).as_posix()
