"""Full-text search: Pagefind indexes the finished pages of a build before it is swapped in.

The binary comes from the `pagefind[extended]` package (no download at build time). Only
elements marked `data-pagefind-body` are indexed (articles, series, pages, and an issue's
subject and welcome: its articles are marked `data-pagefind-ignore` there, found on their own
pages), so listings and email editions stay out of the results and nothing is found twice.
NEWSLETTER_SEARCH = False skips indexing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from .problems import Problem

BUNDLE = "pagefind"  # the search files, at /pagefind/ in the site


def command(site: Path, bundle: Path | None = None) -> list[str]:
    """Pagefind over `site`, its bundle written to `bundle` (default: site/pagefind)."""
    found = [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"]
    return found + (["--output-path", str(bundle)] if bundle else [])


def index_site(site: Path) -> tuple[float, Problem | None]:
    """Index `site` in place; returns the seconds spent and a warning if Pagefind failed
    (the archive is still complete without search, so a failure does not stop the build)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command(site), capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return time.perf_counter() - start, _warning(str(error))
    seconds = time.perf_counter() - start
    if done.returncode or not (site / BUNDLE / "pagefind.js").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines() or ["no index written"]
        return seconds, _warning(detail[-1])
    return seconds, None


def search_key(site: Path) -> str:
    """What an index of `site` is made from: every page as a file (path, inode, size, mtime:
    an unchanged page is the current output's file, output_tree.py) and Pagefind's version."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        digest.update(metadata.version("pagefind").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"pagefind absent")
    for folder, directories, files in os.walk(site):
        directories[:] = sorted(d for d in directories if folder != str(site) or d != BUNDLE)
        for name in sorted(files):
            if name.endswith(".html"):
                found = os.stat(os.path.join(folder, name))
                place = os.path.relpath(os.path.join(folder, name), site)
                digest.update(
                    f"{place}\0{found.st_ino}\0{found.st_size}\0{found.st_mtime_ns}\n".encode()
                )
    return "search:" + digest.hexdigest()


def _warning(detail: str) -> Problem:
    return Problem("search", 0, f"Pagefind failed, the site has no search: {detail}", True)
