"""Content files -> the checked model. Every violation of the content contract is collected,
then reported together as a ContentError: a build never starts from half-valid content.
"""

from __future__ import annotations

import copy
import itertools
import pickle
import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markdown import Markdown
from markupsafe import Markup

from . import cache, timing
from .body import render_body
from .cache import BuildCache
from .fields import Fields
from .html_tools import images_without_alt
from .model import (
    DEFAULT_SECTION,
    DEFAULT_SECTIONS,
    Article,
    Event,
    Issue,
    Newsletter,
    Series,
    Topic,
    in_section_order,
    resolve_link,
    slugify,
)
from .parallel import fork_map, workers_for
from .plaintext import markdown_parser
from .problems import ContentError, Problem, preview
from .reader import KINDS, FrontMatters, RawFile, front_matter_entry, read_kind

ISSUE_FIELDS = ("number", "date", "subject", "preheader", "articles", "status")
ARTICLE_FIELDS = (
    "title",
    "issue",
    "author",
    "authors",
    "section",
    "topics",
    "summary",
    "series",
    "part",
    "slug",
    "event_date",
    "location",
    "register",
)
SERIES_FIELDS = ("title", "subtitle", "parts")
# Pelican's link forms inside rendered HTML: href="{filename}../articles/x.md"
INTERNAL_LINK = re.compile(r"""(?P<attr>(?:href|src)=)(?P<q>["'])(?P<target>\{\w+\}[^"']*)(?P=q)""")


def load_newsletter(
    content_dir: Path,
    root: Path,
    markdown_settings: dict,
    siteurl: str = "",
    include_drafts: bool = False,
    parallel: dict | None = None,
    sections: list[str] | None = None,
    build_cache: BuildCache | None = None,
) -> tuple[Newsletter, list[Problem]]:
    """Read and check every content file. Raises ContentError listing every error; returns
    the model and the warnings otherwise. `parallel` holds NEWSLETTER_WORKERS (default: one
    process) for the Markdown pass; `sections` is NEWSLETTER["sections"], the order of an
    issue's sections (default: Features first); `build_cache` the bodies already rendered."""
    problems: list[Problem] = []
    raw: dict[str, list[RawFile]] = {}
    build_cache = build_cache or BuildCache(None)
    live = build_cache.memory is not None  # a preview: files and items kept between builds
    with timing.phase("read: files + YAML"):
        known = build_cache.get("front-matter", _front_matter_key()) or {}
        before, parsed = len(known), {}  # type: FrontMatters
        for kind in KINDS:
            raw[kind], read_problems = read_kind(content_dir, kind, root, known, live)
            problems += read_problems
            parsed.update(_front_matter_of(raw[kind], known))
        if len(known) != before or len(parsed) != len(known):  # parsed new files, or lost some
            _keep_front_matter(build_cache, parsed)
    if live:
        _forget_files_gone(raw)
    series = {s.slug: s for s in _each(_series, raw["series"], problems, live)}
    issues = _each(_issue, raw["issues"], problems, live)
    articles = _each(_article, raw["articles"], problems, live)
    newsletter = Newsletter(sorted(issues, key=lambda i: i.number), articles, series, {})
    broken = _declared_numbers(raw["issues"]) - {issue.number for issue in issues}
    _link(newsletter, problems, DEFAULT_SECTIONS if sections is None else sections, broken)
    if not include_drafts:
        _drop_drafts(newsletter)
    _attach_parts_and_topics(newsletter, problems)
    md = markdown_parser(markdown_settings)
    links = Links(newsletter.url_of, content_dir, siteurl, problems, live)
    _render_bodies(
        newsletter,
        raw,
        md,
        links,
        parallel or {"NEWSLETTER_WORKERS": 1},
        build_cache,
        markdown_settings,
    )
    if any(not p.warning for p in problems):
        raise ContentError(problems)
    return newsletter, problems


def _front_matter_key() -> str:
    return cache.key(cache.code_version(), "front matter")


def _keep_front_matter(build_cache: BuildCache, parsed: FrontMatters) -> None:
    """One cache entry for all; a hostile file's front matter too deep to store is left
    out (it is parsed again each build), not the others."""
    if not build_cache.put("front-matter", _front_matter_key(), parsed):
        storable = {entry: value for entry, value in parsed.items() if _storable(value)}
        build_cache.put("front-matter", _front_matter_key(), storable)


def _storable(value: object) -> bool:
    try:
        pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError):
        return False
    return True


def _front_matter_of(files: list[RawFile], known: FrontMatters) -> FrontMatters:
    """The entries of the files read now (the ones of files gone are dropped)."""
    kept = {}
    for raw in files:
        entry = front_matter_entry(str(raw.source.sha256), raw.kind, raw.source.path)
        if entry in known:
            kept[entry] = known[entry]
    return kept


# --- one file each -------------------------------------------------------------------------


# A long-lived process (preview) keeps each file's checked item and its problems, by the
# RawFile it was made from (reader.py hands back the same object for an unchanged file).
_made: dict[int, tuple[RawFile, Any, list[Problem]]] = {}


def _each(make, files: list[RawFile], problems: list[Problem], live: bool = False) -> list:
    """`make` on each file in isolation: whatever one file does, the others are still read.
    `live`: a file unchanged since this process's last build is not checked again."""
    made = []
    for raw in files:
        known = _made.get(id(raw)) if live else None
        if known is not None and known[0] is raw:
            item, found = _fresh(known[1]), known[2]
        else:
            found = []
            try:
                item = make(raw, found)
            except Exception as error:  # a rule that did not foresee this file: report, go on
                message = f"cannot read this file: {type(error).__name__}: {preview(str(error))}"
                found.append(Problem(raw.source.path, 1, message))
                item = None
            if live:
                _made[id(raw)] = (raw, _fresh(item), found)
        problems += found
        if item:
            made.append(item)
    return made


def _forget_files_gone(raw: dict[str, list[RawFile]]) -> None:
    """Keep only the items of the files read this build (a preview's memory stays flat)."""
    now = {id(f) for files in raw.values() for f in files}
    for gone in [key for key in _made if key not in now]:
        del _made[gone]


def _fresh(item: Any) -> Any:
    """A copy of a checked item as `make` returned it, before this build linked it: the
    links (issue, series, topics, neighbours, rendered bodies) are set anew each build."""
    if item is None:
        return None
    copied = copy.copy(item)
    if isinstance(copied, Article):
        copied.issue, copied.series, copied.topics = None, None, []
        copied.body_html, copied.body_parsed = "", None
    elif isinstance(copied, Issue):
        copied.articles, copied.previous, copied.next = [], None, None
        copied.welcome_html, copied.welcome_parsed = "", None
    elif isinstance(copied, Series):
        copied.articles, copied.description_html = {}, ""
    return copied


def _series(raw: RawFile, problems: list[Problem]) -> Series | None:
    fields = Fields(raw, SERIES_FIELDS, problems)
    title = fields.text("title", required=True, hint="the series name")
    subtitle = fields.text("subtitle")
    planned = fields.text_list("parts") or []
    if title is None:
        return None
    return Series(raw.stem, title, subtitle, planned, raw.body, "", raw.source)


def _issue(raw: RawFile, problems: list[Problem]) -> Issue | None:
    fields = Fields(raw, ISSUE_FIELDS, problems)
    number = fields.positive_int("number", required=True)
    date = fields.date("date", required=True)
    subject = fields.text("subject")
    preheader = fields.text("preheader")
    slugs = fields.text_list("articles")
    status = fields.choice("status", ("published", "draft"))
    if number is None or date is None:
        return None
    return Issue(number, date, subject, preheader, status, slugs, raw.body, "", raw.source)


def _article(raw: RawFile, problems: list[Problem]) -> Article | None:
    fields = Fields(raw, ARTICLE_FIELDS, problems)
    title = fields.text("title", required=True, hint="the headline")
    issue = fields.positive_int("issue", required=True)
    authors = _authors(fields)
    section = fields.text("section") or DEFAULT_SECTION
    topics = fields.text_list("topics") or []
    summary = fields.text("summary")
    series, part = _series_place(fields)
    slug = _slug(fields)
    event = _event(fields)
    if title is None or issue is None:
        return None
    return Article(
        slug,
        title,
        issue,
        authors,
        section,
        topics,
        summary,
        series,
        part,
        event,
        raw.body,
        "",
        raw.source,
    )


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _slug(fields: Fields) -> str:
    """The article's URL segment: lower-case words joined by hyphens, nothing a path could
    abuse (`..`, `/`, `?`)."""
    given = fields.text("slug")
    slug = given or fields.raw.stem
    if not SLUG.fullmatch(slug):
        advice = "set 'slug'" if given is None else "fix 'slug'"
        fields.problem(
            "slug" if given else None,
            f"slug {preview(slug)} must be lower-case words "
            f"joined by hyphens, like '{slugify(slug)}': rename the file or {advice}",
        )
    return slug


def _authors(fields: Fields) -> list[str]:
    if "author" in fields.raw.meta and "authors" in fields.raw.meta:
        fields.problem("authors", "give 'author' or 'authors', not both")
    one = fields.text("author")
    return [one] if one else fields.text_list("authors") or []


def _series_place(fields: Fields) -> tuple[str | None, int | None]:
    series = fields.text("series")
    part = fields.positive_int("part", required=series is not None, most=999)
    if part is not None and series is None:
        fields.problem("part", "field 'part' needs 'series': add `series: <series file name>`")
    return series, part


def _event(fields: Fields) -> Event | None:
    when = fields.moment("event_date")
    location = fields.text("location")
    register = fields.text("register")
    if when is None and location is None and register is None:
        return None
    return Event(when, location, register)


# --- the whole model -----------------------------------------------------------------------


def _declared_numbers(files: list[RawFile]) -> set[int]:
    numbers = (raw.meta.get("number") for raw in files)
    return {n for n in numbers if isinstance(n, int) and not isinstance(n, bool)}


def _link(
    newsletter: Newsletter,
    problems: list[Problem],
    sections: list[str],
    broken: set[int] | None = None,
) -> None:
    """Cross-file rules: unique numbers and parts, known issues and series, one issue each.

    `broken` are numbers of issue files that have errors of their own: their articles are
    not reported again ("issue N does not exist") for the same root cause."""
    by_number = _unique_issues(newsletter.issues, problems)
    placed: dict[int, list[Article]] = {number: [] for number in by_number}
    for article in newsletter.articles:
        _join_series(newsletter, article, problems)
        issue = by_number.get(article.issue_number)
        if issue is None and article.issue_number in (broken or ()):
            continue
        if issue is None:
            n = article.issue_number
            _report(
                problems,
                article,
                "issue",
                f"issue {n} does not exist: fix 'issue' or "
                f"add a file to content/issues/ with `number: {n}`",
            )
            continue
        article.issue = issue
        placed[issue.number].append(article)
    for issue in newsletter.issues:
        if by_number.get(issue.number) is issue:
            ordered = _order(issue, placed[issue.number], newsletter.articles, problems)
            issue.articles = in_section_order(ordered, sections)
    _unique_slugs(newsletter.issues, problems)


def _unique_issues(issues: list[Issue], problems: list[Problem]) -> dict[int, Issue]:
    by_number: dict[int, Issue] = {}
    for issue in issues:
        first = by_number.setdefault(issue.number, issue)
        if first is not issue:
            problems.append(
                Problem(
                    issue.source.path,
                    issue.source.line("number"),
                    f"issue number {issue.number} is already used by {first.source.path}: "
                    "give each issue its own number",
                )
            )
    return by_number


def _join_series(newsletter: Newsletter, article: Article, problems: list[Problem]) -> None:
    if article.series_slug is None:
        return
    series = newsletter.series.get(article.series_slug)
    if series is None:
        known = ", ".join(sorted(newsletter.series)) or "none yet"
        _report(
            problems,
            article,
            "series",
            f"series '{article.series_slug}' does not exist in content/series/ (known: {known})",
        )
        return
    article.series = series
    if article.part is None:
        return
    if series.planned and article.part > len(series.planned):
        _report(
            problems,
            article,
            "part",
            f"series '{series.slug}' plans "
            f"{len(series.planned)} parts: add this part's title to the `parts` list of "
            f"{series.source.path}, or fix 'part'",
        )
        return
    other = series.articles.setdefault(article.part, article)
    if other is not article:
        _report(
            problems,
            article,
            "part",
            f"part {article.part} of series '{series.slug}' "
            f"is already {other.source.path}: give each part its own number",
        )


def _order(
    issue: Issue, articles: list[Article], everything: list[Article], problems: list[Problem]
) -> list[Article]:
    """The issue's reading order: its `articles` list, else file-name order of its articles."""
    if issue.article_slugs is None:
        return articles
    by_slug = {article.slug: article for article in articles}
    ordered: list[Article] = []
    for slug in issue.article_slugs:
        if slug in by_slug and by_slug[slug] not in ordered:
            ordered.append(by_slug[slug])
            continue
        reason = "twice" if slug in by_slug else _not_here(slug, issue, everything)
        problems.append(
            Problem(
                issue.source.path,
                issue.source.line("articles"),
                f"'articles' lists '{slug}' {reason}",
            )
        )
    # Articles the list forgets still appear, after the listed ones: nothing is silently lost.
    return ordered + [article for article in articles if article not in ordered]


def _not_here(slug: str, issue: Issue, everything: list[Article]) -> str:
    owner = next((a for a in everything if a.slug == slug), None)
    if owner is None:
        return "but no article has that slug"
    return (
        f"but that article has `issue: {owner.issue_number}`: list it under "
        f"issue {owner.issue_number} only, or change its 'issue'"
    )


def _unique_slugs(issues: list[Issue], problems: list[Problem]) -> None:
    seen: dict[str, Article] = {}
    for issue in issues:
        for article in issue.articles:
            first = seen.setdefault(article.slug, article)
            if first is not article:
                _report(
                    problems,
                    article,
                    "slug",
                    f"slug '{article.slug}' is already used by "
                    f"{first.source.path}: rename the file or set another 'slug'",
                )


def _report(
    problems: list[Problem], article: Article, key: str, message: str, warning: bool = False
) -> None:
    problems.append(Problem(article.source.path, article.source.line(key), message, warning))


def _drop_drafts(newsletter: Newsletter) -> None:
    drafts = {issue.number for issue in newsletter.issues if issue.is_draft}
    newsletter.issues = [i for i in newsletter.issues if i.number not in drafts]
    newsletter.articles = [a for a in newsletter.articles if a.issue_number not in drafts]
    for series in newsletter.series.values():
        series.articles = {n: a for n, a in series.articles.items() if a.issue_number not in drafts}


def _attach_parts_and_topics(newsletter: Newsletter, problems: list[Problem]) -> None:
    """Topics gather articles in archive order; issues know their published neighbours."""
    published = newsletter.published_issues
    for previous, following in itertools.pairwise(published):
        previous.next, following.previous = following, previous
    for issue in newsletter.issues:
        for article in issue.articles:
            for name in article.topic_names:
                topic = newsletter.topics.setdefault(slugify(name), Topic(name, slugify(name)))
                if topic.name.casefold() != name.casefold():
                    _report(
                        problems,
                        article,
                        "topics",
                        f"topic '{name}' shares the page "
                        f"{topic.url} with '{topic.name}': rename one of them",
                        warning=True,
                    )
                if topic not in article.topics:  # a short list, unlike topic.articles
                    topic.articles.append(article)
                    article.topics.append(topic)
    newsletter.articles = [a for issue in newsletter.issues for a in issue.articles]
    newsletter.url_of = {_content_path(a.source.path): a.url for a in newsletter.articles}
    newsletter.url_of.update({_content_path(i.source.path): i.url for i in newsletter.issues})
    newsletter.url_of.update(
        {_content_path(s.source.path): s.url for s in newsletter.series.values()}
    )


def _content_path(path: str) -> str:
    """ "content/articles/x.md" -> "articles/x.md": links are written relative to content/."""
    return path.split("/", 1)[1] if path.startswith("content/") else path


# --- Markdown ------------------------------------------------------------------------------


def markdown_key(markdown_settings: dict, body: str) -> str:
    """The cache key of one body's HTML and tree: its text, MARKDOWN and the code version."""
    return cache.key(cache.code_version(), markdown_settings, body)


def markdown_keys(markdown_settings: dict, bodies: list[str]) -> list[str]:
    """markdown_key of each body, the settings part serialised once."""
    return cache.keys_with(cache.code_version(), markdown_settings, last=bodies)


def _render_bodies(
    newsletter: Newsletter,
    raw: dict[str, list[RawFile]],
    md: Markdown,
    links: Links,
    parallel: dict,
    build_cache: BuildCache,
    markdown_settings: dict,
) -> None:
    """Markdown once per body, spread over the cores (only bodies the cache does not
    hold); links resolved here, where the problems are collected. With a cache, a worker
    stores each tree there for the text editions and sends back only the HTML."""
    raw_of = {f.source.path: f for files in raw.values() for f in files}
    items = [*newsletter.issues, *newsletter.articles, *newsletter.series.values()]
    sources = [raw_of[item.source.path] for item in items]
    keys = markdown_keys(markdown_settings, [source.body for source in sources])
    with timing.phase("markdown: cache"):
        htmls = [build_cache.get("html", entry) for entry in keys]
    for entry in keys:
        build_cache.keep("tree", entry)
    todo = [index for index, html in enumerate(htmls) if html is None]

    def render(todo_index: int) -> tuple:
        index = todo[todo_index]
        with timing.phase("markdown"):
            html, tree, problems = render_body(md, sources[index])
        # Problems are kept by their line in the body: the same body elsewhere is the same.
        first = sources[index].body_line
        found = [(p.line - first, p.message, p.warning, p.fails_check) for p in problems]
        if not build_cache.enabled:
            return (html, found), tree
        build_cache.put("tree", keys[index], tree)
        build_cache.put("html", keys[index], (html, found))
        return (html, found), None

    trees: list = [None] * len(items)
    rendered = fork_map(render, len(todo), workers_for(parallel, len(todo)))
    for index, (entry, tree) in zip(todo, rendered, strict=True):
        htmls[index], trees[index] = entry, tree
    for item, source, (html, found), tree in zip(items, sources, htmls, trees, strict=True):
        # limits, and raw HTML the sanitiser removed
        path, first = source.source.path, source.body_line
        links.problems += [Problem(path, first + line, *rest) for line, *rest in found]
        with timing.phase("markdown: links"):
            # Rendered by us: templates must not escape it.
            html = Markup(links.resolve(html, source))
        links.problems += _images_without_alt(html, source)
        if isinstance(item, Issue):
            item.welcome_html, item.welcome_parsed = html, tree
        elif isinstance(item, Article):
            item.body_html, item.body_parsed = html, tree
        else:
            item.description_html = html
    links.keep_for_next_build()


def _images_without_alt(html: str, raw: RawFile) -> list[Problem]:
    """Markdown `![](x.png)` and raw `<img>` alike, found in the HTML they became; the line is
    the body line naming the image's file."""
    problems = []
    for src in images_without_alt(html):
        name = posixpath.basename(urlsplit(src).path) or src
        found = raw.body.find(name)
        line = raw.body_line + (raw.body[:found].count("\n") if found >= 0 else 0)
        message = (
            f"image '{src}' has no alt text: say what it shows (![what it shows](...) or "
            'alt="..."), for readers whose email blocks images or who use a screen reader'
        )
        problems.append(Problem(raw.source.path, line, message, warning=True, fails_check=True))
    return problems


# A long-lived process (preview) keeps each body's resolved HTML with the URL each of its
# links went to: when every target still goes there, the body is not resolved again.
Resolved = dict[tuple[str, str, str], tuple[str, tuple[tuple[str, str], ...]]]
_resolved: Resolved = {}


class Links:
    """`{filename}x.md` and `{static}/images/y.png` in rendered bodies -> site URLs; a target
    that does not exist is an error naming the body line that holds it."""

    def __init__(
        self,
        url_of: dict[str, str],
        content_dir: Path,
        siteurl: str,
        problems: list,
        live: bool = False,
    ):
        self.url_of, self.content_dir, self.problems = url_of, content_dir, problems
        self.siteurl = siteurl.rstrip("/")
        self.live, self.used = live, {}  # type: bool, Resolved
        self._urls: dict[tuple[str, str], str | None] = {}

    def resolve(self, html: str, raw: RawFile) -> str:
        source_dir = _content_path(posixpath.dirname(raw.source.path) or ".")
        place = (self.siteurl, source_dir, html)
        known = _resolved.get(place) if self.live else None
        if known and all(self._url(target, source_dir) == url for target, url in known[1]):
            self.used[place] = known
            return known[0]
        targets: list[tuple[str, str | None]] = []

        def replace(match: re.Match) -> str:
            target = match.group("target")
            url = self._url(target, source_dir)
            targets.append((target, url))
            if url is None:
                self._problem(raw, target)
                return match.group(0)
            return f"{match.group('attr')}{match.group('q')}{self.siteurl}/{url}{match.group('q')}"

        resolved = INTERNAL_LINK.sub(replace, html)
        if self.live and all(url is not None for _target, url in targets):
            self.used[place] = (resolved, tuple(targets))  # type: ignore[arg-type]
        return resolved

    def keep_for_next_build(self) -> None:
        """What this build resolved, for the next one of this process (only that: a
        preview's memory stays flat)."""
        global _resolved
        if self.live:
            _resolved = self.used

    def _url(self, target: str, source_dir: str) -> str | None:
        """Where a link goes, or None when its target does not exist (once a build for
        each: the same images and articles are linked from many bodies)."""
        place = (target, source_dir)
        if place not in self._urls:
            url = resolve_link(target, source_dir, self.url_of)
            if url is not None and not target.startswith("{filename}") and not self._exists(url):
                url = None
            self._urls[place] = url
        return self._urls[place]

    def _exists(self, url: str) -> bool:
        return (self.content_dir / url.partition("#")[0]).is_file()

    def _problem(self, raw: RawFile, target: str) -> None:
        line = raw.body_line + raw.body[: max(raw.body.find(target), 0)].count("\n")
        self.problems.append(
            Problem(
                raw.source.path,
                line,
                f"link to {preview(target)}: no such file in content/; fix the path",
            )
        )
