"""The build's search index (search.py's shards) with the output memo: a shard none of whose
pages changed keeps the current output's bundle, the others are indexed again.

The issue shards start in a thread as soon as the generator has written its pages (no
other writer touches issues/), so Pagefind runs on the second core while the build goes on
with feeds and editions; the other pages are indexed at the end, before the swap."""

from __future__ import annotations

import logging
from pathlib import Path

from . import output_tree, timing
from .output_memo import OutputMemo
from .search import BUNDLE, ISSUES_PER_SHARD, Indexer, Shard, index_site, shards

logger = logging.getLogger(__name__)
LIVE = "NEWSLETTER_LIVE"  # see __init__.py: a preview indexes after the swap, itself
EARLY = "NEWSLETTER_SEARCH_EARLY"  # the settings' slot for this build's Indexer
# Indexers of unfinished builds, by building directory: a failed build stops its own.
_running: dict[str, Indexer] = {}


def wanted(settings: dict) -> bool:
    """Whether this build makes the search index (a preview makes it after the swap)."""
    return settings.get("NEWSLETTER_SEARCH", True) is not False and not settings.get(LIVE)


def start_issue_shards(settings: dict, building: Path, current: Path, memo: OutputMemo) -> None:
    """Index the issue shards whose pages changed, in a thread (call once every page under
    issues/ is written). Pages rendered again with the bytes the current output has become
    its files first, as at the swap: their shard keeps its bundle."""
    if not wanted(settings) or not (building / "issues").is_dir():
        return
    with timing.phase("search"):
        if current.is_dir() and current.resolve() != building.resolve():
            linked = frozenset(n for n in memo.linked if n.startswith("issues/"))
            written = output_tree.keep_unchanged(building, current, linked, under="issues")
            memo.written(written)
            memo.settled.update(written)
        found = shards(building, _size(settings), memo.identity_of, "issues")
        todo = [shard for shard in found if not _keep(memo, shard)]
        snapshot = building.with_name(f"{building.name}-search")
        settings[EARLY] = _running[str(building)] = Indexer(building, found, todo, snapshot)


def index_search(settings: dict, building: Path, current: Path, memo: OutputMemo) -> None:
    """Pagefind over the finished pages, before the swap: the new output arrives searchable.
    The seconds it took and any warning are left in the settings for the build report."""
    if settings.get("NEWSLETTER_SEARCH", True) is False:
        return
    if settings.get(LIVE):  # the caller indexes after the swap: keep the last index
        if (current / BUNDLE).is_dir() and not (building / BUNDLE).exists():
            (current / BUNDLE).rename(building / BUNDLE)
        return
    early = settings.pop(EARLY, None)
    _running.pop(str(building), None)
    with timing.phase("search"):

        def wrote(shard: Shard) -> None:
            files = output_tree.files_under(building, f"{BUNDLE}/{shard.name}")
            memo.wrote(files, shard.key)

        siteurl = str(settings.get("SITEURL") or "")
        seconds, problem = index_site(
            building,
            siteurl,
            lambda shard: _keep(memo, shard),
            wrote,
            _size(settings),
            memo.identity_of,
            early,
        )
        if current.is_dir():
            output_tree.keep_unchanged(building / BUNDLE, current / BUNDLE)
    settings["NEWSLETTER_SEARCH_SECONDS"] = seconds
    if problem:
        logger.warning("%s", problem)
        settings["NEWSLETTER_SEARCH_PROBLEM"] = problem


def stop(building: Path) -> None:
    """A failed build: its indexer, if it started one, is stopped before the directory goes."""
    indexer = _running.pop(str(building), None)
    if indexer is not None:
        indexer.stop()


def _keep(memo: OutputMemo, shard: Shard) -> bool:
    return memo.keep_made_by(shard.key, f"{BUNDLE}/{shard.name}/")


def _size(settings: dict) -> int:
    return int(settings.get("NEWSLETTER_SEARCH_SHARD") or ISSUES_PER_SHARD)
