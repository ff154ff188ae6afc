"""`check`: build into a temporary directory, then check what a reader and the send would
meet: every link to our own pages resolves, every edition is whole, and every image has alt
text."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .build import Problem, build
from .errors import CheckFailed
from .project import Project

Track = Callable[[Iterable, str], Iterable]
EXTERNAL = ("http://", "https://", "mailto:", "tel:", "data:", "javascript:", "//")
EDITION_FILES = ("email.html", "email.txt")


def no_progress(items: Iterable, label: str) -> Iterable:
    return items


def check(
    project: Project,
    track: Track = no_progress,
    spinner: Callable[[str], contextlib.AbstractContextManager] = lambda label: (
        contextlib.nullcontext()
    ),
) -> list[Problem]:
    """Build with drafts into a temporary directory and check it; raises ContentError for
    content that does not build, CheckFailed listing every problem found after the build;
    returns the build's warnings. `track` and `spinner` show progress (the CLI's, on a tty)."""
    with tempfile.TemporaryDirectory(prefix="masthead-check-") as scratch:
        output = Path(scratch) / "output"
        with spinner("Building"):
            report = build(project.settings_file, output, drafts=True)
        prefixes = _own_prefixes(project)
        links = check_links(output, prefixes, track)
        problems = at_sources(links, project.content, project.root, prefixes[0])
        problems += check_editions(output / "editions", project.newsletter.get("public_url"))
    # Warnings a build lets through but a sign-off must not (an image without alt text).
    problems += [dataclasses.replace(w, warning=False) for w in report.warnings if w.fails_check]
    if problems:
        raise CheckFailed(problems)
    return report.warnings


def _own_prefixes(project: Project) -> tuple[list[str], list[str]]:
    """Absolute URLs that mean our own pages and ones to leave alone. SITEURL and the public
    URL (every link in an email edition) are ours, but only where the archive has that top
    folder: links to other parts of the domain (event registration) may be served by other
    software; the subscription service is another program."""
    news = project.newsletter
    urls = (project.settings.get("SITEURL"), news.get("public_url"))
    own = list(dict.fromkeys(url.rstrip("/") for url in urls if url))
    skip = [news["service_url"].rstrip("/")] if news.get("service_url") else []
    return own, skip


# --- links ---------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[int, str]] = []  # (line, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append((self.getpos()[0], value.strip()))


def check_links(
    output: Path, prefixes: tuple[list[str], list[str]], track: Track = no_progress
) -> list[Problem]:
    """Every href/src on every built page (email editions too) that points at our own site
    must name a file in `output`."""
    problems = []
    for page in track(sorted(output.rglob("*.html")), "Checking links"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for line, url in parser.found:
            target = _local_target(output, page, url, prefixes)
            if target is not None and not _exists(target):
                shown = page.relative_to(output.parent).as_posix()
                problems.append(Problem(shown, line, f"link to '{url}': no such page or file"))
    return problems


def _local_target(
    output: Path, page: Path, url: str, prefixes: tuple[list[str], list[str]]
) -> Path | None:
    """The file `url` names in `output`, or None for links that are not ours to check."""
    own, skip = prefixes
    if "%%" in url or any(url.startswith(s) for s in skip):
        return None  # per-recipient placeholders; the subscription service
    prefix = next((p for p in own if url == p or url.startswith(p + "/")), None)
    if prefix is not None:
        url = url[len(prefix) :] or "/"
    elif url.lower().startswith(EXTERNAL) or url.startswith("#"):
        return None
    base = "/" + page.relative_to(output).as_posix()
    path = unquote(urlsplit(urljoin(base, url)).path).lstrip("/")
    top = path.split("/", 1)[0]
    if prefix is not None and top and not (output / top).exists():
        return None  # a full URL under SITEURL to a part of the domain the archive is not
    return output / path


def _exists(target: Path) -> bool:
    return target.is_file() or (target.is_dir() and (target / "index.html").is_file())


def at_sources(problems: list[Problem], content: Path, root: Path, own: list[str]) -> list[Problem]:
    """Broken links reported where the editor wrote them (content/...md:line), once, with
    the built pages they break; a link found in no Markdown file stays at its output file."""
    sources = _markdown_lines(content, root)
    found: dict[tuple[str, int, str], list[str]] = {}
    unplaced = []
    for problem in problems:
        url = problem.message.split("'", 2)[1]
        place = _written_at(sources, _as_written(url, own))
        if place is None:
            unplaced.append(problem)
        else:
            found.setdefault((*place, _as_written(url, own)), []).append(problem.path)
    placed = [
        Problem(path, line, f"link to '{url}': no such page or file ({_pages(pages)})")
        for (path, line, url), pages in found.items()
    ]
    return placed + unplaced


def _as_written(url: str, own: list[str]) -> str:
    """A link made absolute for the email, back to the root-relative form in the Markdown."""
    prefix = next((p for p in own if url.startswith(p + "/")), None)
    return url[len(prefix) :] if prefix else url


def _markdown_lines(content: Path, root: Path) -> list[tuple[str, int, str]]:
    lines = []
    for path in sorted(content.rglob("*.md")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        lines += [(shown, n, line) for n, line in enumerate(text.splitlines(), 1)]
    return lines


def _written_at(sources: list[tuple[str, int, str]], url: str) -> tuple[str, int] | None:
    """The first Markdown line holding the link target, as `(url)`, `<url>` or `"url"`."""
    needles = (f"({url})", f"({url} ", f"<{url}>", f'"{url}"', f"]: {url}")
    for path, line, text in sources:
        if url in text and any(needle in text for needle in needles):
            return path, line
    return None


def _pages(pages: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(pages))
    return f"in {shown}"


# --- editions ------------------------------------------------------------------------------


def check_editions(editions: Path, public_url: str | None = None) -> list[Problem]:
    """Each edition.json parses, its files exist and their hashes match (docs/editions.md),
    and its web_url ("view in browser") names a page of the build."""
    if not editions.is_dir():
        return []
    problems = []
    issues = [p for p in editions.iterdir() if p.is_dir() and p.name != "series"]
    parts = [p for p in editions.glob("series/*/*") if p.is_dir()]  # series-part editions
    for folder in sorted(issues) + sorted(parts):
        shown = f"{editions.parent.name}/editions/{folder.relative_to(editions).as_posix()}"
        problems += check_edition(folder, shown, public_url, editions.parent)
    return problems


def check_edition(
    folder: Path, shown: str, public_url: str | None = None, output: Path | None = None
) -> list[Problem]:
    try:
        meta = json.loads((folder / "edition.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [Problem(f"{shown}/edition.json", 1, f"cannot read it: {error}: rebuild")]
    if not isinstance(meta, dict):
        return [Problem(f"{shown}/edition.json", 1, "not a JSON object: rebuild")]
    hashes = meta.get("hashes") or {}
    problems = []
    for name in EDITION_FILES:
        path = folder / name
        if not path.is_file():
            problems.append(Problem(f"{shown}/{name}", 1, "missing: rebuild"))
        elif hashes.get(name) != "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest():
            problems.append(Problem(f"{shown}/{name}", 1, "hash differs from edition.json"))
    output = output or folder.parent.parent
    return problems + _web_url_problems(output, shown, meta.get("web_url"), public_url)


def _web_url_problems(output: Path, shown: str, web_url: object, public_url: str | None) -> list:
    base = (public_url or "").rstrip("/")
    if not base or not isinstance(web_url, str) or not web_url.startswith(base + "/"):
        return []
    if _exists(output / web_url[len(base) + 1 :]):
        return []
    return [Problem(f"{shown}/edition.json", 1, f"web_url '{web_url}': no such page in the build")]
