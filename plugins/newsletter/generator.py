"""The Pelican generator: builds the model in generate_context, writes pages in generate_output."""

from __future__ import annotations

import datetime
import logging
import posixpath
import xml.etree.ElementTree as ET
from itertools import groupby
from pathlib import Path

from pelican.generators import Generator

from . import events, feeds, timing
from .cache import BuildCache
from .edition import write_editions
from .fingerprints import Fingerprints
from .html_tools import demote_headings
from .loader import load_newsletter
from .mistakes import find_mistakes
from .model import Newsletter
from .output_memo import OutputMemo
from .problems import ContentError, Problem, preview
from .sanitise import sanitise
from .settings import check_settings, sections_setting
from .sharing import Sharing, site_base
from .site_search import start_search
from .welcome import write_welcome

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
        problems = check_settings(self.settings) + self.settings.get("NEWSLETTER_REFUSED", [])
        problems += page_collisions(self._pages(), root, self.settings.get("STATIC_PATHS", []))
        problems += sanitise_pages(self._pages(), root)
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
        self.warnings = problems + warnings + find_mistakes(self.newsletter, root)
        for problem in self.warnings:
            logger.warning("%s", problem)
        self.context["newsletter"] = self.newsletter
        self.context["build_warnings"] = self.warnings
        self.context.update(template_helpers(self.newsletter, self.settings))
        self.sitemap: list[tuple[str, datetime.date]] = []  # (url, lastmod) of indexed pages

    def _pages(self) -> list:
        """Pelican's pages (read before this generator runs), hidden and draft ones too."""
        keys = ("pages", "hidden_pages", "draft_pages")
        return [page for key in keys for page in self.context.get(key, [])]

    def generate_output(self, writer) -> None:
        output = Path(self.output_path)
        current = Path(self.settings.get("NEWSLETTER_OUTPUT") or output)
        self.memo = OutputMemo.for_build(self.cache, current, output)
        self.settings["NEWSLETTER_MEMO"] = self.memo  # saved by swap_output, just before the swap
        if self.memo.problem:
            self.cache.problems.append(Problem(str(self.memo.file), 1, self.memo.problem, True))
        today = self.context.get("today")
        self.fingerprints = Fingerprints(self.newsletter, self.settings, self.env, today)
        memo, prints = self.memo, self.fingerprints
        with timing.phase("pages"):
            self._write_pages(writer)
        static = [f.save_as for f in self.context.get("staticfiles", [])]
        html = any(str(name).endswith(".html") for name in static)
        start_search(self.settings, output, current, memo, html)  # Pagefind, in a thread
        with timing.phase("feeds"):
            feeds.write_feeds(self.newsletter, self.settings, output, memo, prints)
        with timing.phase("sitemap and calendars"):
            events.write_calendars(
                self.newsletter, self._base, self._timezone, output, memo, prints
            )
            self._write_sitemap(output)
        with timing.phase("editions"):
            self._write_editions()
        self.cache.prune()
        for problem in self.cache.problems:
            logger.warning("%s", problem)
        self.context["build_warnings"] += self.cache.problems

    def _write_pages(self, writer) -> None:
        newsletter = self.newsletter
        newest = self._newest
        self._listings(writer, newest)
        for issue in newsletter.issues:
            self._page(writer, issue.url, "issue", issue.date, issue=issue, draft=issue.is_draft)
            for article in issue.articles:
                self._page(writer, article.url, "article", issue.date, article=article)
        for series in newsletter.series.values():
            dates = [p.article.issue.date for p in series.published_parts] or [newest]
            self._page(writer, series.url, "series", max(dates), series=series)
        for topic in newsletter.topics.values():
            dates = [a.issue.date for a in topic.articles if not a.issue.is_draft] or [newest]
            self._page(writer, topic.url, "topic", max(dates), topic=topic)
        self._page(writer, "404.html", "404", None, draft=True)  # noindex

    def _listings(self, writer, newest: datetime.date) -> None:
        newsletter = self.newsletter
        self._page(writer, "", "index", newest, latest=newsletter.latest)
        self._page(writer, "archive/", "archive", newest, years=issue_years(newsletter))
        self._page(writer, "series/", "series_index", newest, series_list=series_order(newsletter))
        self._page(writer, "topics/", "topics", newest, letters=topic_letters(newsletter))
        self._page(writer, "search/", "search", newest)

    @property
    def _timezone(self) -> str:
        return self.settings.get("TIMEZONE") or "UTC"

    @property
    def _base(self) -> str:
        return site_base(self.settings)

    @property
    def _newest(self) -> datetime.date:
        """lastmod of the listings: the latest issue's date."""
        latest = self.newsletter.latest
        return latest.date if latest else datetime.date.today()

    def _page(self, writer, url: str, template: str, lastmod, draft=False, **values) -> None:
        """Write one page at `url` ("issues/3/"; a name ending .html is written as is)."""
        if "article" in values:
            draft = values["article"].issue.is_draft
        name = url if url.endswith(".html") else f"{url}index.html"
        if lastmod is not None and not draft:
            self.sitemap.append((url, lastmod))
        page = self.get_template(template)
        made = self.fingerprints.for_page(template, page.name, url, {**values, "noindex": draft})
        if self.memo.keep([name], made):
            return
        self.memo.wrote([name], made)
        writer.write_file(
            name,
            page,
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=url,
            page_url=url,
            noindex=draft,
            **values,
        )

    def _write_sitemap(self, output: Path) -> None:
        """sitemap.xml (every published page, with lastmod) and robots.txt pointing at it."""
        base = self._base
        pages = [(page.url, self._newest) for page in self.context.get("pages", [])]
        made = self.fingerprints.sitemap(base, [*self.sitemap, *pages])
        if self.memo.keep(["sitemap.xml", "robots.txt"], made):
            return
        self.memo.wrote(["sitemap.xml", "robots.txt"], made)
        root = ET.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
        for url, lastmod in [*self.sitemap, *pages]:
            entry = ET.SubElement(root, "url")
            ET.SubElement(entry, "loc").text = f"{base}/{url}"
            ET.SubElement(entry, "lastmod").text = lastmod.isoformat()
        ET.ElementTree(root).write(output / "sitemap.xml", encoding="utf-8", xml_declaration=True)
        robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
        (output / "robots.txt").write_text(robots, encoding="utf-8")

    def _write_editions(self) -> None:
        problems = write_editions(
            self.newsletter,
            self.settings,
            Path(self.output_path),
            project_root(self.settings),
            include_drafts=bool(self.settings.get("NEWSLETTER_DRAFTS")),
            cache=self.cache,
            staged=False,  # the whole build directory is discarded if anything fails
            memo=self.memo,
        )
        if not any(not p.warning for p in problems):
            root = project_root(self.settings)
            problems += write_welcome(self.newsletter, self.settings, Path(self.output_path), root)
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


# Top-level names the newsletter writes (or a theme's static copy, feeds, search): a page
# may not be saved there, nor over the home page.
GENERATED = ("index.html", "issues", "series", "topics", "feeds", "editions", "theme")
GENERATED += ("sitemap.xml", "robots.txt", "404.html", "favicon.ico", "pagefind")
MAX_NAME_BYTES = 200  # file systems stop at 255 bytes a name


def page_collisions(pages: list, root: Path, static_paths: list[str]) -> list[Problem]:
    """A page whose Save_as (or slug) would overwrite a generated page, another page, or a
    file outside the output directory: an error at its Save_as line."""
    problems, taken = [], {}
    for page in pages:
        save_as = posixpath.normpath(str(page.save_as or "")) if page.save_as else ""
        top = save_as.split("/", 1)[0]
        reason = None
        if save_as.startswith(("/", "..")) or "\\" in save_as:
            reason = "is outside the output directory"
        elif top in GENERATED or top in static_paths:
            reason = "would overwrite a page the newsletter generates"
        elif save_as in taken:
            reason = f"is already the page of {taken[save_as]}"
        elif any(len(part.encode()) > MAX_NAME_BYTES for part in save_as.split("/")):
            reason = f"has a name over {MAX_NAME_BYTES} bytes, too long for a file"
        if save_as:
            taken.setdefault(save_as, _shown(page.source_path, root))
        if reason:
            path = _shown(page.source_path, root)
            message = f"page saved as {preview(save_as)} {reason}: change its Save_as or Slug"
            problems.append(Problem(path, _metadata_line(page.source_path), message))
    return problems


def sanitise_pages(pages: list, root: Path) -> list[Problem]:
    """Pelican's pages (about, subscribe) get the articles' HTML allowlist: each removal is a
    warning at the page's line, which `check` fails on."""
    problems = []
    for page in pages:
        try:
            source = Path(page.source_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        page._content, removed = sanitise(
            page._content or "", source, _shown(page.source_path, root), 1
        )
        problems += removed
    return problems


def _metadata_line(source_path: str) -> int:
    """The line of a page's `Save_as:` (else `Slug:`) metadata, for the message."""
    try:
        lines = Path(source_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    for key in ("save_as:", "slug:"):
        for number, line in enumerate(lines[:50], start=1):
            if line.lower().startswith(key):
                return number
    return 1


def _shown(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def project_root(settings: dict) -> Path:
    """The directory holding the settings file: content paths in messages are relative to it."""
    return Path(settings["PATH"]).parent.resolve()


def template_helpers(newsletter: Newsletter, settings: dict) -> dict:
    """What every template may call: sharing tags, feed paths, event helpers."""
    region = settings["NEWSLETTER"].get("phone_region") or "US"
    return {
        "share": Sharing(newsletter, settings),
        "feed_stem": feeds.stem_of,
        "feed_formats": feeds.FORMATS,
        "today": events.today(settings),
        "ics_url": events.ics_url,
        "contact_links": lambda text: events.contact_links(text, region),
    }


def issue_years(newsletter: Newsletter) -> list[tuple[int, list]]:
    """The archive page: published issues newest first, grouped by year."""
    issues = list(reversed(newsletter.published_issues))
    return [(year, list(group)) for year, group in groupby(issues, key=lambda i: i.date.year)]


def series_order(newsletter: Newsletter) -> list:
    """Running series before completed ones, A–Z within each."""
    return sorted(newsletter.series.values(), key=lambda s: (s.complete, s.title.lower()))


def topic_letters(newsletter: Newsletter) -> list[tuple[str, list]]:
    """The topical index: topics A–Z under their initial letter."""
    letters: dict[str, list] = {}
    for topic in sorted(newsletter.topics.values(), key=lambda t: t.name.lower()):
        letters.setdefault(topic.letter, []).append(topic)
    return sorted(letters.items())
