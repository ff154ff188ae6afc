"""Series-part editions: output/editions/series/<slug>/<part>/ (issue 14).

One per published part, for readers who follow a series rather than (or as well as) the whole
newsletter: "Part N of M of <series>", the article alone, the series box (earlier parts,
parts to come) and a footer whose one-click link leaves that series only. The same renderer
as issue editions makes them, from a one-article copy of the part's issue, so they have the
same files and edition.json (docs/editions.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .edition_view import EditionView
from .links import Absolutiser
from .model import Article, Issue, Newsletter, Series


@dataclass(frozen=True)
class PartInfo:
    """What a part edition says about its place in the series."""

    series: Series
    article: Article

    @property
    def number(self) -> int:
        return self.article.part or 0

    @property
    def total(self) -> int:
        return self.series.total

    @property
    def last(self) -> bool:
        """The series is complete and this is its final part: the follow ends with it."""
        return self.number == self.total and self.series.complete

    @property
    def label(self) -> str:
        return f"Part {self.number} of {self.total} of {self.series.title}"

    @property
    def path(self) -> str:
        """The edition's directory under output/editions/."""
        return f"series/{self.series.slug}/{self.number}"

    def meta(self) -> dict[str, Any]:
        return {
            "slug": self.series.slug,
            "title": self.series.title,
            "part": self.number,
            "of": self.total,
            "complete": self.series.complete,
            "last": self.last,
            "url": self.series.url,
        }


@dataclass
class PartView(EditionView):
    info: PartInfo | None = None

    @property
    def part(self) -> PartInfo | None:
        return self.info

    @property
    def subject(self) -> str:
        info = self._info
        prefix = "[DRAFT] " if self.draft else ""
        return f"{prefix}{self.config['name']}: {info.label}: {info.article.title}"

    @property
    def web_url(self) -> str:
        return self.links.page(self._info.article.url)

    @property
    def preheader(self) -> str:
        return self._info.article.summary or self._info.label

    @property
    def _info(self) -> PartInfo:
        assert self.info is not None, "a PartView is made with its part"
        return self.info


def part_views(
    newsletter: Newsletter,
    issues: Iterable[Issue],
    config: dict[str, Any],
    links: Absolutiser,
    content: str,
) -> Iterator[PartView]:
    """A view per series part in `issues` (the issues whose editions this build writes)."""
    for issue in issues:
        for article in issue.articles:
            if article.series is None or article.part is None:
                continue
            alone = dataclasses.replace(
                issue, articles=[article], welcome_md="", welcome_html="", welcome_parsed=None
            )
            info = PartInfo(article.series, article)
            yield PartView(alone, newsletter, config, links, content, info)


def issue_parts(issue: Issue) -> list[list[Any]]:
    """The series parts an issue carries, [[slug, part], ...], for edition.json: the send
    never mails a part again to a reader who got it inside this issue."""
    return [
        [article.series.slug, article.part]
        for article in issue.articles
        if article.series is not None and article.part is not None
    ]
