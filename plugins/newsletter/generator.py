"""The Pelican generator: builds the model in generate_context, writes pages in generate_output."""

from __future__ import annotations

import logging
from pathlib import Path

from pelican.generators import Generator

from . import feeds, timing
from .cache import BuildCache
from .edition import write_editions
from .html_tools import demote_headings
from .loader import load_newsletter
from .model import Newsletter
from .problems import ContentError, Problem
from .settings import check_settings, sections_setting

logger = logging.getLogger(__name__)


class NewsletterGenerator(Generator):
    """Issues, articles, series and topics: the model, the web archive and the editions."""

    newsletter: Newsletter
    warnings: list[Problem]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # `{{ article.body_html|demote_headings(3) }}`: subheads below an h3 article title.
        self.env.filters["demote_headings"] = demote_headings

    def generate_context(self) -> None:
        root = project_root(self.settings)
        problems = check_settings(self.settings)
        self.cache = BuildCache.from_settings(self.settings, root)
        try:
            self.newsletter, warnings = load_newsletter(
                Path(self.path),
                root,
                self.settings["MARKDOWN"],
                siteurl=self.settings["SITEURL"],
                include_drafts=bool(self.settings.get("NEWSLETTER_DRAFTS")),
                parallel=self.settings,  # NEWSLETTER_WORKERS
                sections=sections_setting(self.settings),
                build_cache=self.cache,
            )
        except ContentError as error:
            raise _reported(problems + error.problems) from None
        if any(not p.warning for p in problems):
            raise _reported(problems + warnings)
        self.warnings = problems + warnings
        for problem in self.warnings:
            logger.warning("%s", problem)
        self.context["newsletter"] = self.newsletter
        self.context["build_warnings"] = self.warnings

    def generate_output(self, writer) -> None:
        with timing.phase("pages"):
            self._write_pages(writer)
        with timing.phase("feeds"):
            feeds.write_feeds(self.newsletter, self.settings, Path(self.output_path))
        with timing.phase("editions"):
            self._write_editions()
        self.cache.prune()
        for problem in self.cache.problems:
            logger.warning("%s", problem)
        self.context["build_warnings"] += self.cache.problems

    def _write_pages(self, writer) -> None:
        newsletter = self.newsletter
        self._page(writer, "index.html", "index.html", latest=newsletter.latest)
        for issue in newsletter.issues:
            self._page(writer, f"{issue.url}index.html", "issue.html", issue=issue)
            for article in issue.articles:
                self._page(writer, f"{article.url}index.html", "article.html", article=article)
        self._page(writer, "series/index.html", "series_index.html")
        for series in newsletter.series.values():
            self._page(writer, f"{series.url}index.html", "series.html", series=series)
        self._page(writer, "topics/index.html", "topics.html", letters=topic_letters(newsletter))
        for topic in newsletter.topics.values():
            self._page(writer, f"{topic.url}index.html", "topic.html", topic=topic)

    def _page(self, writer, name: str, template: str, **values) -> None:
        writer.write_file(
            name,
            self.get_template(template.removesuffix(".html")),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=name.removesuffix("index.html"),
            **values,
        )

    def _write_editions(self) -> None:
        problems = write_editions(
            self.newsletter,
            self.settings,
            Path(self.output_path),
            project_root(self.settings),
            include_drafts=bool(self.settings.get("NEWSLETTER_DRAFTS")),
            cache=self.cache,
            staged=False,  # the whole build directory is discarded if anything fails
        )
        if any(not p.warning for p in problems):
            raise _reported(problems)  # logs each one
        for problem in problems:
            logger.warning("%s", problem)
        self.context["build_warnings"] += problems


def _reported(problems: list[Problem]) -> ContentError:
    """Log every problem (Pelican's own CLI prints only the exception's summary)."""
    error = ContentError(problems)
    for problem in error.problems:
        (logger.warning if problem.warning else logger.error)("%s", problem)
    return error


def project_root(settings: dict) -> Path:
    """The directory holding the settings file: content paths in messages are relative to it."""
    return Path(settings["PATH"]).parent.resolve()


def topic_letters(newsletter: Newsletter) -> list[tuple[str, list]]:
    """The topical index: topics A–Z under their initial letter."""
    letters: dict[str, list] = {}
    for topic in sorted(newsletter.topics.values(), key=lambda t: t.name.lower()):
        letters.setdefault(topic.letter, []).append(topic)
    return sorted(letters.items())
