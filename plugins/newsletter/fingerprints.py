"""What each generated file shows, as a fingerprint: equal fingerprints, equal bytes.

A warm build renders a page only when its fingerprint differs from the one the file in the
current output was written with (output_memo.py); otherwise the file is kept as it is. So a
fingerprint must cover everything the page's template reads, and it errs on the side of
re-rendering: an item counts by its digest (its file's bytes and its rendered HTML, links
resolved), so a changed title re-renders every page showing anything of that article.

Every fingerprint starts with the build's salt: the code version, the settings, and the
templates the page's template uses (extends, imports and includes, followed through), so a
changed template re-renders only the pages that use it. Values derived from several files
(a topic's name as first written, "Part N of M", an issue's lead subject) are included as
values. Events add the build date (past events are marked).
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from jinja2 import Environment

from . import cache
from .model import Article, Issue, Newsletter, Series, Topic

Fingerprint = str


def _hash(*parts: Any) -> str:
    """A short digest of plain values (strings, numbers, None, lists, tuples)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class Fingerprints:
    """The fingerprints of one build's pages, feeds and calendars."""

    def __init__(self, newsletter: Newsletter, settings: dict, env: Environment, today):
        self.newsletter = newsletter
        self.env = env
        self.today = today.isoformat() if isinstance(today, datetime.date) else str(today)
        self.salt = cache.key(cache.code_version(), cache.settings_key(settings))
        self._templates: dict[str, str] = {}
        # by id(): the model lives as long as this object (one build)
        self._digests: dict[int, str] = {}
        self._article_digests: dict[int, str] = {}
        self._series_digests: dict[int, str] = {}

    # --- items ---------------------------------------------------------------------------

    def digest(self, item: Article | Issue | Series) -> str:
        """One item as it reads: its file's bytes and its HTML with links resolved."""
        found = self._digests.get(id(item))
        if found is None:
            html = getattr(item, "body_html", None)
            html = html if html is not None else getattr(item, "welcome_html", None)
            html = html if html is not None else getattr(item, "description_html", "")
            # The HTML by its digest: repr() of a long body costs more than hashing it.
            body = hashlib.blake2b(str(html).encode("utf-8", "surrogatepass"), digest_size=16)
            found = _hash(item.source.path, item.source.sha256, body.hexdigest())
            self._digests[id(item)] = found
        return found

    def series(self, series: Series | None) -> str | None:
        """A series with every part: part boxes, labels and totals read all of them."""
        if series is None:
            return None
        found = self._series_digests.get(id(series))
        if found is None:
            found = self._series_digests[id(series)] = self._series_digest(series)
        return found

    def _series_digest(self, series: Series) -> str:
        parts = [
            (n, self.digest(a), self.digest(a.issue) if a.issue else None)
            for n, a in sorted(series.articles.items())
        ]
        return _hash(self.digest(series), parts)

    def article(self, article: Article) -> str:
        """An article with what its page and its rows show around it."""
        found = self._article_digests.get(id(article))
        if found is None:
            found = self._article_digests[id(article)] = self._article_digest(article)
        return found

    def _article_digest(self, article: Article) -> str:
        topics = [(topic.name, topic.slug) for topic in article.topics]
        event = self.today if article.event else None
        issue = self.digest(article.issue) if article.issue else None
        return _hash(self.digest(article), issue, topics, self.series(article.series), event)

    def issue_row(self, issue: Issue) -> tuple:
        return (issue.number, issue.url, issue.date.isoformat(), issue.subject, issue.summary)

    # --- templates -----------------------------------------------------------------------

    def template(self, name: str) -> str:
        """The template and every template it uses, by their sources."""
        if name not in self._templates:
            self._templates[name] = _hash(sorted(self._sources(name, set())))
        return self._templates[name]

    def _sources(self, name: str, seen: set[str]) -> list[tuple[str, str]]:
        if name in seen:
            return []
        seen.add(name)
        source, _filename, _uptodate = self.env.loader.get_source(self.env, name)
        found = [(name, source)]
        used = _used_templates(self.env, source)
        for other in self.env.list_templates() if used is None else used:
            found += self._sources(other, seen)
        return found

    def page(self, template: str, file: str, url: str, *shown: Any) -> Fingerprint:
        """`template` is the page kind ("article"), `file` the template file it renders."""
        return _hash(self.salt, self.template(file), template, url, shown)

    # --- pages ---------------------------------------------------------------------------

    def for_page(self, template: str, file: str, url: str, values: dict) -> Fingerprint:
        """The fingerprint of one page written by the newsletter generator: what its kind
        of page shows (a kind without a method here is a programming error)."""
        shown = getattr(self, f"_{template}")(**values)
        return self.page(template, file, url, shown, values.get("noindex"))

    def _article(self, article: Article, **_: Any) -> Any:
        return self.article(article)

    def _issue(self, issue: Issue, **_: Any) -> Any:
        neighbours = [i and i.number for i in (issue.previous, issue.next)]
        return self.digest(issue), [self.article(a) for a in issue.articles], neighbours

    def _series(self, series: Series, **_: Any) -> Any:
        return self.series(series)

    def _topic(self, topic: Topic, **_: Any) -> Any:
        rows = [self._article_row(a) for a in topic.newest_first]
        return topic.name, topic.slug, rows

    def _index(self, latest: Issue | None, **_: Any) -> Any:
        published = self.newsletter.published_issues
        articles = latest and [(a.url, a.title, a.summary) for a in latest.articles]
        recent = [self.issue_row(i) for i in published[-7:]]
        return len(published), articles, recent

    def _archive(self, years: list, **_: Any) -> Any:
        return [(year, [self.issue_row(i) for i in issues]) for year, issues in years]

    def _series_index(self, series_list: list, **_: Any) -> Any:
        return [
            (s.url, s.title, s.subtitle, s.complete, len(s.published_parts), s.total)
            for s in series_list
        ]

    def _topics(self, letters: list, **_: Any) -> Any:
        rows = [(letter, [(t.url, t.name, len(t.articles)) for t in ts]) for letter, ts in letters]
        return len(self.newsletter.topics), rows

    def _search(self, **_: Any) -> Any:
        return None

    def _404(self, **_: Any) -> Any:
        return None

    def _article_row(self, article: Article) -> tuple:
        issue = article.issue
        return (article.url, article.title, article.summary, article.byline, issue.number,
                issue.date.isoformat(), issue.is_draft)  # fmt: skip

    # --- feeds and calendars -------------------------------------------------------------

    def feed(self, stem: str, issues: list[Issue], articles: list[Article], *shown: Any) -> str:
        entries = [(self.digest(i), [self.article(a) for a in i.articles]) for i in issues]
        entries += [self.article(a) for a in articles]
        return _hash(self.salt, "feed", stem, entries, shown)

    def sitemap(self, base: str, entries: list[tuple[str, datetime.date]]) -> str:
        """sitemap.xml and robots.txt: every entry (url, lastmod) and the site's address."""
        return _hash(self.salt, "sitemap", base, [(url, str(date)) for url, date in entries])

    def calendar(self, article: Article, base: str, timezone: str) -> str:
        return _hash(self.salt, "ics", self.article(article), base, timezone)


_USES = {"extends", "include", "import", "from"}
_used: dict[str, list[str] | None] = {}  # template source -> the templates it names


def _used_templates(env: Environment, source: str) -> list[str] | None:
    """The templates a template's source names in extends/include/import/from tags; None
    when a name is computed at render time (then any template may be used). Read from
    Jinja's own lexer: cheaper than a parse, and a preview's rebuilds share the answers."""
    if source in _used:
        return _used[source]
    names: list[str] | None = []
    tokens = [(token.type, token.value) for token in env.lexer.tokenize(source)]
    for index, (kind, value) in enumerate(tokens[1:-1], start=1):
        if kind == "name" and value in _USES and tokens[index - 1][0] == "block_begin":
            if tokens[index + 1][0] != "string":
                names = None
                break
            names.append(tokens[index + 1][1])
    _used[source] = names
    return names
