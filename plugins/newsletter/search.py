"""Full-text search: Pagefind indexes the finished pages of a build before it is swapped in.

The binary comes from the `pagefind[extended]` package (no download at build time). Only
elements marked `data-pagefind-body` are indexed (articles, series, pages, and an issue's
subject and welcome: its articles are marked `data-pagefind-ignore` there, found on their own
pages), so listings and email editions stay out of the results and nothing is found twice.
NEWSLETTER_SEARCH = False skips indexing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from .problems import Problem

BUNDLE = "pagefind"  # the search files, at /pagefind/ in the site


def index_site(site: Path) -> tuple[float, Problem | None]:
    """Index `site` in place; returns the seconds spent and a warning if Pagefind failed
    (the archive is still complete without search, so a failure does not stop the build)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return time.perf_counter() - start, _warning(str(error))
    seconds = time.perf_counter() - start
    if done.returncode or not (site / BUNDLE / "pagefind.js").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines() or ["no index written"]
        return seconds, _warning(detail[-1])
    return seconds, None


def _warning(detail: str) -> Problem:
    return Problem("search", 0, f"Pagefind failed, the site has no search: {detail}", True)
