"""Full-text search: Pagefind indexes the finished pages of a build before it is swapped in.

The binary comes from the `pagefind[extended]` package (no download at build time). Only
elements marked `data-pagefind-body` are indexed (articles, series, pages, and an issue's
subject and welcome: its articles are marked `data-pagefind-ignore` there, found on their own
pages), so listings and email editions stay out of the results and nothing is found twice.
NEWSLETTER_SEARCH = False skips indexing.

Pagefind has no incremental mode: it reads every page it indexes, about a millisecond a page
here. So the archive is indexed in shards, each its own Pagefind bundle under /pagefind/:
`issues-1-250` holds the pages of issues 1 to 250 (NEWSLETTER_SEARCH_SHARD issues a shard),
`site` every other page. A shard is indexed again only when one of its pages changed; an
edit to one article costs one shard, not the archive. The search page merges the bundles
that `pagefind/shards.json` lists (Pagefind's `mergeIndex`); the UI's script and style are
copied to /pagefind/ itself. A reader's search then loads one small index per shard.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import output_tree
from .problems import Problem

BUNDLE = "pagefind"  # the search files, at /pagefind/ in the site
SHARDS = "shards.json"  # the bundles the search page merges, first one first
UI_FILES = ("pagefind-ui.js", "pagefind-ui.css")
ENTRY_FILES = (SHARDS, *UI_FILES)  # what write_entry writes in pagefind/ itself
ISSUES_PER_SHARD = 250


def shard_size(settings: dict) -> int:
    """Issues a shard: NEWSLETTER_SEARCH_SHARD, or ISSUES_PER_SHARD."""
    return int(settings.get("NEWSLETTER_SEARCH_SHARD") or ISSUES_PER_SHARD)


# Never indexed, whatever they hold: the search files, the email editions and proofs, and
# the generated listings, which carry no data-pagefind-body. They stay out of every shard's
# glob: Pagefind ignores pages without data-pagefind-body only when a run finds one, and a
# shard of listings alone would index them whole.
SKIPPED = (BUNDLE, "editions", "proofs", "archive", "topics", "search", "feeds", "theme")
LISTING_FILES = ("index.html", "404.html")  # at the top and in series/: the home, the index


@dataclass
class Shard:
    """One Pagefind bundle: its name (pagefind/<name>/), its glob and its pages."""

    name: str
    patterns: list[str] = field(default_factory=list)  # "issues/3/**/*.html", "colophon.html"
    pages: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)

    @property
    def glob(self) -> str:
        """Pagefind's --glob for exactly this shard's pages."""
        patterns = sorted(set(self.patterns))
        return patterns[0] if len(patterns) == 1 else "{" + ",".join(patterns) + "}"

    @functools.cached_property
    def key(self) -> str:
        """What this shard's bundle is made from: its pages as files (an unchanged page is
        the current output's file: same inode, size and mtime) and Pagefind's version."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{_version()}\0{self.glob}\n".encode())
        for name, (inode, size, mtime) in sorted(self.pages):
            digest.update(f"{name}\0{inode}\0{size}\0{mtime}\n".encode())
        return f"search:{self.name}:{digest.hexdigest()}"


# A page's identity when the caller already knows it (a file kept from the current output).
Known = Callable[[str], "tuple[int, int, int] | None"]


def shards(
    site: Path,
    issues_per_shard: int = ISSUES_PER_SHARD,
    known: Known | None = None,
    part: str = "all",
) -> list[Shard]:
    """The shards of the pages under `site` (one walk): issue blocks first, then `site`.
    `known(name)` may give a page's (inode, size, mtime) instead of a stat(). `part`:
    "issues" for the issue blocks alone, "rest" for the others."""
    found: dict[str, Shard] = {}
    rest = found.setdefault("site", Shard("site"))
    for top in sorted(os.listdir(site)):
        wanted = part == "all" or (top == "issues") == (part == "issues")
        if top in SKIPPED or not wanted:
            continue
        if not (site / top).is_dir():
            if top.endswith(".html") and top not in LISTING_FILES:
                _add_file(rest, site, top, known)  # a page saved as colophon.html
        elif top == "issues":
            for number in sorted(os.listdir(site / top)):
                if number.isdigit():
                    shard = found.setdefault(*_issue_shard(int(number), issues_per_shard))
                    _add_pages(shard, site, f"issues/{number}", known)
        elif top == "series":  # each series' page; the series index is a listing
            for slug in sorted(os.listdir(site / top)):
                if (site / top / slug).is_dir():
                    _add_pages(rest, site, f"series/{slug}", known)
        else:
            _add_pages(rest, site, top, known)
    return sorted((s for s in found.values() if s.pages), key=_order)


def shards_of(
    site: Path,
    pages: list[str],
    issues_per_shard: int = ISSUES_PER_SHARD,
    known: Known | None = None,
) -> list[Shard]:
    """The issue shards of `pages` (names under issues/ that a build's output memo knows)
    without walking the tree: the shards `shards(site, …, part="issues")` would find."""
    found: dict[str, Shard] = {}
    for name in pages:
        parts = name.split("/")
        if len(parts) < 3 or parts[0] != "issues" or not parts[1].isdigit():
            continue
        shard = found.setdefault(*_issue_shard(int(parts[1]), issues_per_shard))
        shard.patterns.append(f"issues/{parts[1]}/**/*.html")
        shard.pages.append((name, _identity(site, name, known)))
    return sorted(found.values(), key=_order)


def _issue_shard(number: int, size: int) -> tuple[str, Shard]:
    first = (number - 1) // size * size + 1
    name = f"issues-{first}-{first + size - 1}"
    return name, Shard(name)


def _order(shard: Shard) -> tuple[int, int]:
    parts = shard.name.split("-")
    return (1, 0) if shard.name == "site" else (0, int(parts[1]))


def _add_pages(shard: Shard, site: Path, folder: str, known: Known | None) -> None:
    shard.patterns.append(f"{folder}/**/*.html")
    for directory, _directories, files in os.walk(site / folder):
        prefix = os.path.relpath(directory, site) + os.sep
        for name in files:
            if name.endswith(".html"):
                shard.pages.append((prefix + name, _identity(site, prefix + name, known)))


def _add_file(shard: Shard, site: Path, name: str, known: Known | None) -> None:
    shard.patterns.append(name)
    shard.pages.append((name, _identity(site, name, known)))


def _identity(site: Path, place: str, known: Known | None) -> tuple[int, int, int]:
    found = known(place) if known else None
    if found is None:
        info = os.stat(site / place)
        found = info.st_ino, info.st_size, info.st_mtime_ns
    return found


def command(site: Path, glob: str, bundle: Path) -> list[str]:
    """Pagefind over the pages of `site` matching `glob`, its bundle written to `bundle`."""
    return [sys.executable, "-m", "pagefind", "--site", str(site), "--glob", glob, "--silent",
            "--output-path", str(bundle)]  # fmt: skip


def index_shard(
    site: Path, shard: Shard, bundle: Path, current: Path | None = None
) -> Problem | None:
    """Index one shard into `bundle`; a warning if Pagefind failed (the archive is still
    complete without search, so a failure does not stop the build). With `current` (the
    bundle of the output being replaced), each file with the bytes the current one has
    becomes that file: an unchanged fragment keeps its inode and mtime.

    Pagefind writes into a scratch folder in memory first (/dev/shm when there is one):
    writing its ~1,500 small files a shard straight to the disk cost it 2 s of system time
    here, against 0.25 s in memory and 0.1 s to move them over. A run that fails there (a
    small /dev/shm, as containers have) is tried once more with the scratch on disk."""
    problem = _index_into(site, shard, bundle, current, scratch_folder())
    if problem and _scratch_root() is not None:
        problem = _index_into(site, shard, bundle, current, scratch_folder(on_disk=site.parent))
    return problem


def _index_into(
    site: Path, shard: Shard, bundle: Path, current: Path | None, scratch: Path
) -> Problem | None:
    try:
        try:
            done = subprocess.run(
                command(site, shard.glob, scratch), capture_output=True, text=True, timeout=600
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return _warning(str(error))
        if done.returncode or not (scratch / "pagefind.js").is_file():
            detail = (done.stderr or done.stdout).strip().splitlines() or ["no index written"]
            return _warning(detail[-1])
        output_tree.copy_in(scratch, bundle, current)
    except OSError as error:  # no half bundle: write_entry lists any with a pagefind.js
        shutil.rmtree(bundle, ignore_errors=True)
        return _warning(f"cannot write {bundle}: {error}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return None


SCRATCH = "masthead-pagefind-"
SCRATCH_DAYS = 1  # older scratch folders are a killed build's: removed


def scratch_folder(on_disk: Path | None = None) -> Path:
    """A new folder for Pagefind to write a bundle into before it is moved in: in memory
    when the machine has /dev/shm, else (or in `on_disk`) on the disk."""
    return Path(tempfile.mkdtemp(prefix=SCRATCH, dir=on_disk or _scratch_root()))


@functools.cache
def _scratch_root() -> str | None:
    """/dev/shm when there is one (else the system's temporary folder), swept once a
    process of what killed builds left there."""
    memory = "/dev/shm"
    root = memory if os.path.isdir(memory) and os.access(memory, os.W_OK) else None
    old = time.time() - SCRATCH_DAYS * 86400
    for stale in Path(root or tempfile.gettempdir()).glob(f"{SCRATCH}*"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < old:
                shutil.rmtree(stale, ignore_errors=True)
    return root


def write_entry(site: Path, names: list[str], siteurl: str) -> None:
    """pagefind/shards.json (the bundles the search page merges) and the UI's files,
    copied from the first bundle (every bundle carries the same ones)."""
    root = site / BUNDLE
    root.mkdir(parents=True, exist_ok=True)
    names = [name for name in names if (root / name / "pagefind.js").is_file()]
    paths = [f"{siteurl.rstrip('/')}/{BUNDLE}/{name}/" for name in names]
    _replace(root / SHARDS, (json.dumps(paths, indent=1) + "\n").encode())
    for ui in UI_FILES:
        if names and (root / names[0] / ui).is_file():
            _replace(root / ui, (root / names[0] / ui).read_bytes())


def _replace(path: Path, data: bytes) -> None:
    """A new file under the name (a preview serves the folder while it is written, and the
    old file may be a link to the last output's)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class Indexer:
    """Pagefind over some shards, one after another, in a thread: a build starts it as soon
    as its generator has written the pages and goes on with editions and feeds meanwhile.
    `shards` are all the shards then, `todo` those to index. With `current` (the output
    being replaced), a bundle file with the bytes of the current one becomes that file.

    The bundles are written to the site's pagefind/, which nothing else touches until
    `finish()` (output_tree.keep_unchanged leaves it alone: removing Pagefind's fresh empty
    folders under it hung Pagefind)."""

    def __init__(
        self, site: Path, shards: list[Shard], todo: list[Shard], current: Path | None = None
    ):
        self.site, self.shards, self.todo, self.current = site, shards, todo, current
        self.problems: dict[str, Problem | None] = {}
        self.seconds = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pagefind", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.perf_counter()
        for shard in self.todo:
            if self._stopped.is_set():
                break
            bundle = self.site / BUNDLE / shard.name
            current = self.current / BUNDLE / shard.name if self.current else None
            try:
                self.problems[shard.name] = index_shard(self.site, shard, bundle, current)
            except Exception as error:  # said by the build, as any failed shard is
                self.problems[shard.name] = _warning(f"{type(error).__name__}: {error}")
        self.seconds = time.perf_counter() - start

    def finish(self) -> list[tuple[Shard, Problem | None]]:
        """Wait for the shards; each indexed one with its problem (None: indexed)."""
        self._thread.join()
        return [(shard, self.problems.get(shard.name)) for shard in self.todo]

    def stop(self) -> None:
        """A failed build: no new shard is started, the running one is waited for."""
        self._stopped.set()
        self._thread.join()


def index_site(
    site: Path,
    siteurl: str = "",
    keep: Callable[[Shard], bool] | None = None,
    wrote: Callable[[Shard], None] | None = None,
    issues_per_shard: int = ISSUES_PER_SHARD,
    known: Known | None = None,
    early: Indexer | None = None,
    redo: Callable[[Shard], None] | None = None,
    current: Path | None = None,
) -> tuple[float, Problem | None]:
    """Index every shard of `site` (in place, under site/pagefind/); `keep(shard)` may keep
    a shard's bundle as it is (True) instead; `wrote(shard)` hears of each one indexed.
    Returns the seconds spent (an early indexer's included) and the first warning.

    `early` started with the shards as they were once the generator's pages were written.
    Issue pages are final by then; the other shards are looked at again, and one whose
    pages changed since (a static page copied after) is indexed again, `redo(shard)`
    first removing what the early run made or kept of it. `current`: the output being
    replaced, whose bundle files are kept where a new one has the same bytes."""
    start = time.perf_counter()
    problem, indexed = None, []
    found = shards(site, issues_per_shard, known, "rest" if early else "all")
    todo = found
    waited = 0.0  # in early.finish(): counted in early.seconds
    if early:
        waited = time.perf_counter()
        indexed = early.finish()
        waited = time.perf_counter() - waited
        began = {shard.name: shard.key for shard in early.shards}
        todo = [shard for shard in found if began.get(shard.name) != shard.key]
        names = {shard.name for shard in found}
        for shard in [*todo, *(s for s in early.shards if not _issues(s) and s.name not in names)]:
            indexed = [(s, failed) for s, failed in indexed if s.name != shard.name]
            if redo:
                redo(shard)
        found = sorted([*(s for s in early.shards if _issues(s)), *found], key=_order)
    for shard in todo:
        if keep and keep(shard):
            continue
        before = current / BUNDLE / shard.name if current else None
        indexed.append((shard, index_shard(site, shard, site / BUNDLE / shard.name, before)))
    for shard, failed in indexed:
        problem = problem or failed
        if wrote and not failed:
            wrote(shard)
    write_entry(site, [shard.name for shard in found], siteurl)
    return time.perf_counter() - start - waited + (early.seconds if early else 0.0), problem


def _issues(shard: Shard) -> bool:
    return shard.name != "site"


@functools.cache
def _version() -> str:
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "absent"


def _warning(detail: str) -> Problem:
    return Problem("search", 0, f"Pagefind failed, the site has no search: {detail}", True)
