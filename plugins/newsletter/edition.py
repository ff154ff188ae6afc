"""Email editions: output/editions/<number>/{email.html,email.txt,edition.json}.

`write_editions` is the one entry point (the Pelican generator calls it after the model is
built). Each edition is written as soon as it is rendered, never all held in memory; a build
with any edition error writes none of them (docs/editions.md is the contract).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown import Markdown
from markupsafe import Markup

from . import cache as cache_key
from . import timing
from .cache import BuildCache, CompiledTemplates
from .edition_text import edition_text
from .edition_view import EditionView, content_dir, read_email_settings
from .email_html import EmailTemplates, TemplateProblem, rejected_fragment
from .html_tools import audit
from .links import Absolutiser, is_absolute
from .message import PLACEHOLDERS, edition_headers
from .model import DEFAULT_SECTION, Issue, Newsletter
from .output_memo import OutputMemo
from .parallel import fork_map, workers_for
from .part_edition import issue_parts, part_views
from .plaintext import TextRenderer, markdown_parser
from .problems import Problem

logger = logging.getLogger(__name__)

FORMAT = 1
GMAIL_CLIP_BYTES = 102 * 1024  # Gmail hides everything after ~102 KB behind "View entire message"
ARTICLE_TITLE_LEVEL = 2  # theme/email/_article.mjml.j2: an article's title is an <h2>


@dataclass
class Edition:
    """One issue's edition, rendered but not yet written."""

    issue: Issue
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content
    meta: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)  # link/image targets already reported


def write_editions(
    newsletter: Newsletter,
    settings: dict[str, Any],
    output_path: str | os.PathLike[str],
    project_root: str | os.PathLike[str],
    include_drafts: bool = False,
    cache: BuildCache | None = None,
    staged: bool = True,
    memo: OutputMemo | None = None,
) -> list[Problem]:
    """Render and write the edition of every published issue (and drafts if asked).

    Returns every problem found (errors and warnings); when any is an error nothing is
    written. `settings` is Pelican's settings dict (NEWSLETTER, SITEURL, PATH, THEME,
    MARKDOWN); paths in problems are relative to `project_root`. Each edition is written
    as soon as it is rendered (by the worker that rendered it); one that `cache` holds is
    copied from it. `staged`: into a directory beside the output that becomes `editions/`
    only when every edition is good. The generator writes straight into its build
    directory instead, which is itself swapped in only when the whole build succeeds, and
    gives its output memo: an edition the current output holds as made is linked from it.
    """
    output = Path(output_path)
    if not staged:
        count, problems = _render_into(
            output / "editions",
            newsletter,
            settings,
            Path(project_root),
            include_drafts,
            cache,
            memo,
        )
        logger.info("newsletter: wrote %d email editions", count)
        return problems
    staging = output.parent / f".{output.name}-editions-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        count, problems = _render_into(
            staging, newsletter, settings, Path(project_root), include_drafts, cache
        )
        if any(not problem.warning for problem in problems):
            return problems
        _move_into(staging, output / "editions")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("newsletter: wrote %d email editions", count)
    return problems


def _render_into(
    staging: Path,
    newsletter: Newsletter,
    settings: dict[str, Any],
    root: Path,
    include_drafts: bool,
    cache: BuildCache | None,
    memo: OutputMemo | None = None,
) -> tuple[int, list[Problem]]:
    """Every edition written under `staging`, with all problems found (nothing stops at
    the first). Only problems and file names cross back from the workers: files go
    straight to disk. With `memo`, `staging` is the build's editions/ directory."""
    cache = cache or BuildCache(None)
    config, problems = read_email_settings(settings, root)
    templates = _templates(settings, root, config, cache)
    problems += templates.check() if templates else []
    if config is None or templates is None or problems:
        return 0, problems
    links = Absolutiser(config["public_url"], settings.get("SITEURL") or "", newsletter.url_of)
    templates.env.filters["absolute"] = links.page
    issues = [i for i in newsletter.issues if include_drafts or not i.is_draft]
    content = content_dir(settings, root)
    views = [EditionView(issue, newsletter, config, links, content) for issue in issues]
    views += part_views(newsletter, issues, config, links, content)
    keys = _keys(views, settings, templates, cache)
    todo, found = [], []
    for view, entry in zip(views, keys, strict=True):
        kept = _kept(view, entry, cache, memo)
        if kept is not None:
            found += kept
            continue
        cached = cache.get("editions", entry)
        if cached is None:
            todo.append((view, entry))
            continue
        _write_files(cached["files"], staging / _path(view))
        _wrote(memo, view, cached["files"], entry)
        found += cached["problems"]
    md = markdown_parser(settings.get("MARKDOWN") or {})
    shared = SharedBodies()  # each forked worker has its own copy
    order = _render_order([view for view, _entry in todo])

    def render(index: int) -> tuple[list[Problem], list[str]]:
        view, entry = todo[order[index]]
        edition = render_edition(view, templates, md, root, cache, settings.get("MARKDOWN"), shared)
        if not edition.files:
            return edition.problems, []
        files = {**edition.files, "edition.json": _json(edition.meta)}
        with timing.phase("edition: write"):
            _write_files(files, staging / _path(view))
        if not any(not p.warning for p in edition.problems):
            cache.put("editions", entry, {"files": files, "problems": edition.problems})
            cache.put("edition-problems", entry, edition.problems)
        return edition.problems, list(files)

    rendered = fork_map(render, len(todo), workers_for(settings, len(todo)))
    for index in sorted(range(len(todo)), key=order.__getitem__):  # back in the views' order
        (view, entry), (problems_found, names) = todo[order[index]], rendered[index]
        found += problems_found
        _wrote(memo, view, names, entry)
    # A part edition repeats its article, and so would repeat the article's problems.
    return len(views), problems + list(dict.fromkeys(found))


def _kept(
    view: EditionView, entry: str, cache: BuildCache, memo: OutputMemo | None
) -> list[Problem] | None:
    """An edition the current output holds as `entry` made it: linked from there, and its
    problems (warnings) from the cache; None when it must be written."""
    if memo is None:
        return None
    problems = cache.get("edition-problems", entry)
    if problems is None or not memo.keep_made_by(entry, f"editions/{_path(view)}/"):
        return None
    cache.keep("editions", entry)  # a later build without that output still needs it
    return problems


def _wrote(memo: OutputMemo | None, view: EditionView, names, entry: str) -> None:
    if memo is not None:
        memo.wrote([f"editions/{_path(view)}/{name}" for name in names], entry)


def _keys(
    views: list[EditionView], settings: dict[str, Any], templates: EmailTemplates, cache: BuildCache
) -> list[str]:
    """Each edition's cache key; none worth computing when there is no cache to look in."""
    if not cache.enabled:
        return [""] * len(views)
    shared = cache_key.key(
        cache_key.code_version(),
        cache_key.tree_version(templates.template_dir),
        cache_key.settings_key(settings),
    )
    return [cache_key.key(shared, _fingerprint(view)) for view in views]


def _render_order(views: list[EditionView]) -> list[int]:
    """Indexes of `views`, each issue's edition followed by its series-part editions, which
    show the same article bodies (SharedBodies prepares each once)."""
    return sorted(range(len(views)), key=lambda index: (views[index].issue.number, index))


def _path(view: EditionView) -> str:
    """The edition's directory under editions/: the issue number, or series/<slug>/<part>."""
    return view.part.path if view.part else str(view.issue.number)


def _fingerprint(view: EditionView) -> list[Any]:
    """Everything of the model an edition shows (its cache key, with the settings, code and
    templates): the issue, its articles, their series and neighbouring parts."""
    issue = view.issue
    articles = [
        [
            *_source(article),
            article.slug,
            article.title,
            article.authors,
            article.section,
            article.topic_names,
            article.summary,
            article.part,
            article.event and [str(article.event.when), article.event.location,
                               article.event.register],
            _digest(article.body_md),
            _digest(str(article.body_html)),
            article.url,
            article.series and _series(article.series),
        ]
        for article in issue.articles
    ]  # fmt: skip
    return [
        view.part and view.part.meta(),
        view.subject,
        view.preheader,
        view.web_url,
        *_source(issue),
        issue.number,
        issue.date.isoformat(),
        issue.subject,
        issue.preheader,
        issue.status,
        _digest(issue.welcome_md),
        _digest(str(issue.welcome_html)),
        articles,
    ]


def _digest(text: str) -> str:
    """A body in a key: its digest (hashing it costs less than serialising it as JSON)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _source(item: Any) -> list[Any]:
    return [item.source.path, item.source.sha256]


def _series(series: Any) -> list[Any]:
    parts = [[p.number, p.title, p.article and p.article.url] for p in series.parts]
    return [*_source(series), series.slug, series.title, series.subtitle, series.planned, parts]


def _move_into(staging: Path, editions: Path) -> None:
    """The finished editions, one rename each (the output directory is itself swapped in
    whole by the build; outside a build this still never leaves half an edition)."""
    if not staging.is_dir():
        return
    editions.mkdir(parents=True, exist_ok=True)
    for folder in [*staging.glob("[0-9]*"), *staging.glob("series/*/*")]:
        target = editions / folder.relative_to(staging)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(target)


def _templates(
    settings: dict[str, Any],
    root: Path,
    config: dict[str, Any] | None,
    cache: BuildCache | None = None,
) -> EmailTemplates | None:
    theme = Path(settings.get("THEME") or "theme")
    template_dir = (theme if theme.is_absolute() else root / theme) / "email"
    templates = EmailTemplates(template_dir, root, absolute=lambda url: url)
    if cache is not None and cache.enabled:  # compiled templates kept between builds
        templates.env.bytecode_cache = CompiledTemplates(cache.path("jinja-email", ""))
    return templates


def render_edition(
    view: EditionView,
    templates: EmailTemplates,
    md: Markdown,
    root: Path,
    cache: BuildCache | None = None,
    markdown_settings: dict[str, Any] | None = None,
    shared: SharedBodies | None = None,
) -> Edition:
    """One edition, its problems with it; `shared` keeps article bodies for the next edition
    of the same issue (its series parts)."""
    edition = Edition(view.issue)
    if cache:
        _cached_trees(view.issue, markdown_settings, cache)
    with timing.phase("edition: bodies"):
        bodies, welcome = _bodies(view, root, edition, shared)
    with timing.phase("edition: HTML (Jinja + MRML)"):
        html = _html(view, templates, bodies, welcome, edition.problems)
    with timing.phase("edition: text"):
        text = edition_text(view, TextRenderer(md, view.links.absolute))
    if html is None:
        return edition
    bodies_bytes = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8")}
    _check_output(view, templates, html, text, edition, len(bodies_bytes["email.html"]))
    headers = edition_headers(view.config, view.subject)
    if view.part:  # one click leaves the series only; a mailto reply would leave everything
        headers["List-Unsubscribe"] = f"<{PLACEHOLDERS['unsubscribe_url']}>"
    # No sample email.eml: nothing reads it, and it cost a third of an edition's rendering
    # and a file; `publish.py edition N --eml` makes it from these files (message.py).
    edition.files = bodies_bytes
    edition.meta = _meta(view, headers, edition, root, html, text)
    return edition


def _cached_trees(issue: Issue, markdown_settings: dict | None, cache: BuildCache) -> None:
    """The Markdown trees the loader left in the cache (see loader._render_bodies) for
    the text part; a missing one is parsed again from the source by the text renderer."""
    from .loader import markdown_key

    for item, body, name in [
        (issue, issue.welcome_md, "welcome_parsed"),
        *((article, article.body_md, "body_parsed") for article in issue.articles),
    ]:
        if getattr(item, name) is None and body.strip():
            setattr(item, name, cache.get("tree", markdown_key(markdown_settings or {}, body)))


def _bodies(
    view: EditionView, root: Path, edition: Edition, shared: SharedBodies | None = None
) -> tuple[dict[str, Markup], Markup]:
    """Article and welcome HTML with absolute links; relative leftovers are reported against
    the Markdown file they came from (alt-less images already were, by the loader)."""
    shared = shared or SharedBodies()
    bodies = {}
    for article in view.issue.articles:
        bodies[article.slug] = _body(view, article, article.body_html, root, edition, shared)
    welcome = _body(view, view.issue, view.issue.welcome_html, root, edition, None)
    return bodies, welcome


class SharedBodies:
    """The article bodies of the issue being rendered, as an edition shows them, kept for
    its series-part editions (the same article in the same words): editions are rendered
    issue by issue (see _render_order), so one issue's are kept at a time."""

    def __init__(self) -> None:
        self.number: int | None = None
        self.done: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}

    def get(
        self, view: EditionView, html: str, source_dir: str
    ) -> tuple[str, list[str], list[str]]:
        """(HTML, relative targets, images without alt) of an article body: its headings
        below the title (an h2), links absolute, void tags closed for MRML (`<br />`)."""
        if view.issue.number != self.number:
            self.number, self.done = view.issue.number, {}
        key = (html, source_dir)  # all a body's rewriting depends on, with the build's links
        if key not in self.done:
            self.done[key] = view.links.email_body(html, source_dir, ARTICLE_TITLE_LEVEL)
        return self.done[key]


def _body(
    view: EditionView,
    item: Any,
    html: str,
    root: Path,
    edition: Edition,
    shared: SharedBodies | None,
) -> Markup:
    """An article's body (`shared`) or the welcome (None: not demoted), as the email shows it."""
    source_dir = view.source_dir(item)
    if shared is not None:
        html, relative, missing_alt = shared.get(view, html, source_dir)
    else:
        html, relative, missing_alt = view.links.email_body(html, source_dir)
    path, problems = item.source.path, edition.problems
    edition.reported.update(relative + missing_alt)
    for target in relative:
        problems.append(
            Problem(path, _line_of(root / path, target), f"link {target!r} is still relative "
                    "in the email edition: use a root-relative path, {filename} or a full URL")
        )  # fmt: skip
    return Markup(html)


def _line_of(path: Path, needle: str) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines, 1) if needle in line), 1)


def _html(
    view: EditionView,
    templates: EmailTemplates,
    bodies: dict[str, Markup],
    welcome: Markup,
    problems: list[Problem],
) -> str | None:
    issue_label = view.part.label if view.part else f"issue #{view.issue.number}"
    try:
        mjml_source = templates.render_mjml(_context(view, bodies, welcome))
        return templates.mjml_to_html(mjml_source, issue_label, view.issue.source.path)
    except TemplateProblem as error:
        problems.append(error.problem)
        problems += _rejected_bodies(view, bodies, welcome)
        return None


def _rejected_bodies(
    view: EditionView, bodies: dict[str, Markup], welcome: Markup
) -> list[Problem]:
    """When MRML rejects an edition, name the article (or welcome) whose HTML it cannot read."""
    items = [(a, bodies[a.slug]) for a in view.issue.articles] + [(view.issue, welcome)]
    problems = []
    for item, html in items:
        complaint = rejected_fragment(str(html))
        if complaint:
            message = f"MRML cannot read this file's HTML (raw HTML not well formed?): {complaint}"
            problems.append(Problem(item.source.path, 1, message))
    return problems


def _context(view: EditionView, bodies: dict[str, Markup], welcome: Markup) -> dict[str, Any]:
    config = view.config
    return {
        "settings": config,
        "issue": view.issue,
        "subject": view.subject,
        "preheader": view.preheader,
        "draft": view.draft,
        "web_url": view.web_url,
        "site_url": config["public_url"] + "/",
        "bodies": bodies,
        "welcome": welcome if str(welcome).strip() else "",
        "default_section": DEFAULT_SECTION,
        "subscribe_url": config["subscribe_url"],
        "subscribe_mailto": config["subscribe_mailto"],
        "unsubscribe_mailto": config["unsubscribe_mailto"],
        "recipient": PLACEHOLDERS["recipient"],
        "unsubscribe_url": PLACEHOLDERS["unsubscribe_url"],
        "preferences_url": PLACEHOLDERS["preferences_url"],
        "part": view.part,
    }


def _check_output(
    view: EditionView,
    templates: EmailTemplates,
    html: str,
    text: str,
    edition: Edition,
    size: int,
) -> None:
    """Checks on the finished parts; links not from the content are the templates' doing."""
    issue_path, template = view.issue.source.path, templates.main_path
    problems = edition.problems
    found = audit(html)  # one parse of the whole email for both checks
    relative = {url for url in found.urls if not is_absolute(url)}
    for target in sorted(relative - edition.reported):
        problems.append(Problem(template, 1, f"link {target!r} is relative in the email"))
    for src in sorted(set(found.missing_alt) - edition.reported):
        problems.append(Problem(template, 1, f"image {src!r} has no alt text"))
    if size > GMAIL_CLIP_BYTES:  # `size`: of the HTML in UTF-8
        message = f"email edition HTML is {size // 1024} KB: Gmail clips messages over 102 KB"
        problems.append(Problem(issue_path, 1, message, warning=True))
    for name, part in (("HTML", html), ("text", text)):
        if stray_percents(part):
            message = f"'%%' in the {name} part: it is reserved for per-recipient placeholders"
            problems.append(Problem(issue_path, 1, message))


def stray_percents(part: str) -> bool:
    """'%%' left in `part` once every placeholder is taken out. Line by line, and only the
    lines with a '%%' (the placeholders' own short lines): no placeholder spans a line break,
    so that is the same answer as taking them out of the whole 40 KB, at a tenth the cost."""
    start = part.find("%%")
    while start >= 0:
        end = part.find("\n", start)
        end = len(part) if end < 0 else end
        rest = part[part.rfind("\n", 0, start) + 1 : end]
        for token in PLACEHOLDERS.values():
            rest = rest.replace(token, "")
        if "%%" in rest:
            return True
        start = part.find("%%", end)
    return False


def _meta(
    view: EditionView, headers: dict[str, str], edition: Edition, root: Path, html: str, text: str
) -> dict[str, Any]:
    """edition.json; `html` and `text` are edition.files' bodies as text."""
    issue = view.issue
    placeholders = {
        name: {
            "token": token,
            "in": {
                "email.html": html.count(token),
                "email.txt": text.count(token),
                "headers": [h for h, value in headers.items() if token in value],
            },
        }
        for name, token in PLACEHOLDERS.items()
    }
    meta: dict[str, Any] = {
        "format": FORMAT,
        "kind": "series-part" if view.part else "issue",
        "number": issue.number,
        "date": issue.date.isoformat(),
        "status": "draft" if issue.is_draft else "published",
        "subject": view.subject,
        "preheader": view.preheader,
        "web_url": view.web_url,
        "headers": headers,
        "unsubscribe_url_template": view.config["unsubscribe_url_template"],
        "preferences_url_template": view.config["preferences_url_template"],
        "placeholders": placeholders,
        "files": {"html": "email.html", "text": "email.txt"},
        "hashes": {name: _sha256(data) for name, data in edition.files.items()},
        "sources": _sources(issue, root, edition.problems),
        "built_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "warnings": [str(p) for p in edition.problems if p.warning],
    }
    if view.part:
        meta["series"] = view.part.meta()
    else:
        meta["parts"] = issue_parts(issue)
    return meta


def _sources(issue: Issue, root: Path, problems: list[Problem]) -> dict[str, str]:
    """SHA-256 of every content file the edition came from: the send refuses stale editions."""
    items = [issue]
    for article in issue.articles:
        items += [article, article.series] if article.series else [article]
    sources = {}
    for source in (item.source for item in items):
        if source.sha256:  # the bytes the build read, not whatever the file holds by now
            sources[source.path] = source.sha256
            continue
        try:
            sources[source.path] = _sha256((root / source.path).read_bytes())
        except OSError as error:
            problems.append(Problem(source.path, 1, f"cannot read it to hash the edition: {error}"))
    return sources


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(meta: dict[str, Any]) -> bytes:
    return (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_files(files: dict[str, bytes], directory: Path) -> None:
    """Bodies first, edition.json last: the send only trusts a directory with its json.

    Editions are written into a directory nobody reads yet (the build's, or staging), so a
    new file is written where it stands; one already there is replaced by a rename, never
    written through (it may be a hard link into the live output: output_tree.py)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in sorted(files, key=lambda name: name == "edition.json"):
        try:
            with open(directory / name, "xb") as file:
                file.write(files[name])
        except FileExistsError:
            temporary = directory / f".{name}.tmp"
            temporary.write_bytes(files[name])
            os.replace(temporary, directory / name)


def write_edition(edition: Edition, directory: Path) -> None:
    """An edition rendered in this process (the welcome email), with its edition.json."""
    _write_files({**edition.files, "edition.json": _json(edition.meta)}, directory)
