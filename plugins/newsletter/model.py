"""The newsletter's content model: Issue, Article, Series, Topic, built once per run.

Plain objects, no Pelican types: the web templates and the email editions both read them.
URLs are root-relative paths without the leading slash ("issues/70/"), as Pelican's are;
templates prefix SITEURL, the email edition prefixes the public URL.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from unidecode import unidecode

DEFAULT_SECTION = "Features"
DEFAULT_SECTIONS = [DEFAULT_SECTION]  # NEWSLETTER["sections"] when not set: Features first


@functools.lru_cache(maxsize=4096)  # topic names repeat on every article of every build
def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens: "Customer Data" -> "customer-data"."""
    words = re.findall(r"[a-z0-9]+", unidecode(text).lower())
    return "-".join(words) or "untitled"


@dataclass
class Source:
    """Where a piece of content came from, for error messages: path relative to the project."""

    path: str
    lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> line number
    sha256: str | None = None  # of the bytes the build read: what the edition was made from

    def line(self, key: str | None = None) -> int:
        return self.lines.get(key, 1) if key else 1


@dataclass
class Event:
    """What an events article adds: when, where and how to register."""

    when: datetime.date | datetime.datetime | str | None
    location: str | None
    register: str | None

    @property
    def register_is_url(self) -> bool:
        return bool(self.register and re.match(r"https?://", self.register))

    @property
    def when_text(self) -> str:
        if isinstance(self.when, datetime.datetime):
            return f"{self.when:%A, %B} {self.when.day}, {self.when:%Y}, {self.when:%-I:%M %p}"
        if isinstance(self.when, datetime.date):
            return f"{self.when:%A, %B} {self.when.day}, {self.when:%Y}"
        return self.when or ""

    @property
    def day(self) -> datetime.date | None:
        """The day it happens on (None when `when` is free text or missing)."""
        if isinstance(self.when, datetime.datetime):
            return self.when.date()
        return self.when if isinstance(self.when, datetime.date) else None

    def is_past(self, today: datetime.date) -> bool:
        """Over by `today` (the build date): an event on the day itself is still to come."""
        return self.day is not None and self.day < today


@dataclass(eq=False)
class Topic:
    name: str
    slug: str
    articles: list[Article] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"topics/{self.slug}/"

    @property
    def newest_first(self) -> list[Article]:
        """The topic page's order: the latest issue first, reading order within an issue."""
        return sorted(self.articles, key=lambda a: -a.issue_number)

    @property
    def letter(self) -> str:
        """The A–Z heading this topic sorts under in the topical index."""
        first = self.slug[:1].upper()
        return first if first.isalpha() else "#"


@dataclass(eq=False)
class Part:
    """One slot of a series: published (article set) or still to come (article None)."""

    number: int
    title: str
    article: Article | None

    @property
    def published(self) -> bool:
        return self.article is not None


@dataclass(eq=False)
class Series:
    slug: str
    title: str
    subtitle: str | None
    planned: list[str]  # planned part titles, in order (may be empty)
    description_md: str
    description_html: str
    source: Source
    articles: dict[int, Article] = field(default_factory=dict)  # published parts by number

    @property
    def url(self) -> str:
        return f"series/{self.slug}/"

    @property
    def feed_url(self) -> str:
        return f"feeds/series/{self.slug}.atom.xml"

    @property
    def running(self) -> bool:
        """Still publishing: parts to come (the series index lists these first)."""
        return not self.complete

    @property
    def total(self) -> int:
        """M in "Part N of M": the planned outline, or the highest part written if longer."""
        return max([len(self.planned), *self.articles.keys()], default=0)

    @property
    def complete(self) -> bool:
        return all(part.published for part in self.parts)

    @property
    def parts(self) -> list[Part]:
        return [
            Part(n, self._part_title(n), self.articles.get(n)) for n in range(1, self.total + 1)
        ]

    @property
    def published_parts(self) -> list[Part]:
        return [part for part in self.parts if part.published]

    def _part_title(self, number: int) -> str:
        if number in self.articles:
            return self.articles[number].title
        if number <= len(self.planned):
            return self.planned[number - 1]
        return f"Part {number}"


@dataclass(eq=False)
class Article:
    slug: str
    title: str
    issue_number: int
    authors: list[str]
    section: str
    topic_names: list[str]
    summary: str | None
    series_slug: str | None
    part: int | None
    event: Event | None
    body_md: str
    body_html: str
    source: Source
    body_parsed: Any = None  # the Markdown tree, kept for the text edition (plaintext.Parsed)
    # Linked after every file is read:
    issue: Issue | None = None
    series: Series | None = None
    topics: list[Topic] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"issues/{self.issue_number}/{self.slug}/"

    @property
    def anchor(self) -> str:
        """The article's id inside its issue page and email edition."""
        return self.slug

    @property
    def byline(self) -> str:
        if not self.authors:
            return ""
        if len(self.authors) == 1:
            return self.authors[0]
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]

    @property
    def is_event(self) -> bool:
        return self.event is not None

    @property
    def previous_part(self) -> Article | None:
        return self._neighbour_part(-1)

    @property
    def next_part(self) -> Part | None:
        """The next slot of the series: published (linked) or planned (coming)."""
        if not self.series or self.part is None:
            return None
        parts = self.series.parts
        return parts[self.part] if self.part < len(parts) else None

    def _neighbour_part(self, step: int) -> Article | None:
        if not self.series or self.part is None:
            return None
        return self.series.articles.get(self.part + step)


@dataclass(eq=False)
class Issue:
    number: int
    date: datetime.date
    subject_override: str | None
    preheader: str | None
    status: str  # "published" or "draft"
    article_slugs: list[str] | None  # explicit order from front matter, if given
    welcome_md: str
    welcome_html: str
    source: Source
    welcome_parsed: Any = None  # the Markdown tree, kept for the text edition
    articles: list[Article] = field(default_factory=list)  # in reading order
    previous: Issue | None = None  # neighbouring published issues
    next: Issue | None = None

    @property
    def url(self) -> str:
        return f"issues/{self.number}/"

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def date_text(self) -> str:
        """ "Tuesday, May 10, 2005", as a masthead prints it."""
        return f"{self.date:%A, %B} {self.date.day}, {self.date:%Y}"

    @property
    def subject(self) -> str:
        """The subject line after the newsletter name: given, or the lead article's title."""
        if self.subject_override:
            return self.subject_override
        return self.articles[0].title if self.articles else f"Issue #{self.number}"

    @property
    def summary(self) -> str:
        """One line for listings, cards and feeds: the preheader, else the lead's summary."""
        if self.preheader:
            return self.preheader
        return next((a.summary for a in self.articles if a.summary), "")

    @property
    def sections(self) -> list[tuple[str, list[Article]]]:
        """Articles grouped by section, sections in the order their first article appears."""
        grouped: dict[str, list[Article]] = {}
        for article in self.articles:
            grouped.setdefault(article.section, []).append(article)
        return list(grouped.items())


@dataclass
class Newsletter:
    """The whole model of one build."""

    issues: list[Issue]  # every issue read, drafts included, oldest first
    articles: list[Article]
    series: dict[str, Series]
    topics: dict[str, Topic]  # by slug
    url_of: dict[str, str] = field(default_factory=dict)  # "articles/x.md" -> "issues/3/x/"

    @property
    def published_issues(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.is_draft]

    @property
    def latest(self) -> Issue | None:
        published = self.published_issues
        return published[-1] if published else None

    def issue(self, number: int) -> Issue | None:
        return next((issue for issue in self.issues if issue.number == number), None)


def in_section_order(articles: list[Article], sections: list[str]) -> list[Article]:
    """Reading order grouped by section: the sections `sections` names first, in its order,
    then the others in the order their first article appears; within a section the order
    given is kept. Issue.articles holds this order, so every page and edition shows it."""
    rank = {name.casefold(): index for index, name in enumerate(sections)}
    seen: dict[str, int] = {}
    for article in articles:
        seen.setdefault(article.section.casefold(), len(seen))

    def key(article: Article) -> tuple[int, int]:
        name = article.section.casefold()
        return rank.get(name, len(rank)), seen[name]

    return sorted(articles, key=key)  # stable: the order inside a section stays


LINK_PREFIXES = ("{filename}", "{static}", "{attach}")


def resolve_link(target: str, source_dir: str, url_of: dict[str, str]) -> str | None:
    """Resolve Pelican's `{filename}` / `{static}` link forms to a site path ("issues/3/x/").

    `source_dir` is the directory of the file holding the link, relative to the content
    directory; `url_of` maps content paths ("articles/x.md") to URLs. Returns None for a
    target that is not one of our forms, or a {filename} target that does not exist.
    """
    prefix = next((p for p in LINK_PREFIXES if target.startswith(p)), None)
    if prefix is None:
        return None
    path, _, fragment = target[len(prefix) :].partition("#")
    path = _join(source_dir, path)
    if prefix == "{filename}":
        url = url_of.get(path)
        if url is None:
            return None
    else:
        url = path
    return url + ("#" + fragment if fragment else "")


def _join(source_dir: str, path: str) -> str:
    """Content-relative path: "/x" is from the content root, "x" from the linking file."""
    parts = [] if path.startswith("/") else [p for p in source_dir.split("/") if p]
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)
