"""The build's search index (search.py's shards) with the output memo: a shard none of whose
pages changed keeps the current output's bundle, the others are indexed again.

Pagefind starts in a thread as soon as the generator has written its pages, and runs on the
second core while the build goes on with feeds and editions. No other writer touches
issues/; the other shards are looked at again before the swap, and one whose pages changed
meanwhile (a static page Pelican copies last) is indexed again then."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from . import output_tree, timing
from .output_memo import OutputMemo
from .search import (
    BUNDLE,
    ENTRY_FILES,
    Indexer,
    Shard,
    index_site,
    shard_size,
    shards,
    shards_of,
)

logger = logging.getLogger(__name__)
LIVE = "NEWSLETTER_LIVE"  # see __init__.py: a preview indexes after the swap, itself
EARLY = "NEWSLETTER_SEARCH_EARLY"  # the settings' slot for this build's Indexer
# Indexers of unfinished builds, by building directory: a failed build stops its own.
_running: dict[str, Indexer] = {}


def wanted(settings: dict) -> bool:
    """Whether this build makes the search index (a preview makes it after the swap)."""
    return settings.get("NEWSLETTER_SEARCH", True) is not False and not settings.get(LIVE)


def start_search(
    settings: dict, building: Path, current: Path, memo: OutputMemo, static_pages: bool = False
) -> None:
    """Index the shards whose pages changed, in a thread (call once the generator has
    written its pages). Pages rendered again with the bytes the current output has become
    its files first, as they would at the swap: their shard keeps its bundle. With
    `static_pages` (HTML files Pelican copies later), the "site" shard waits for the end."""
    if not wanted(settings) or not building.is_dir():
        return
    live = _replaced(building, current)
    with timing.phase("search"):
        size = shard_size(settings)
        # The memo knows every page under issues/ (made or kept): no walk of that tree.
        made = sorted(name for name in memo.made if name.startswith("issues/"))
        if live:
            rest = [] if static_pages else _rest_pages(building, size)
            rendered = [name for name in [*made, *rest] if name not in memo.linked]
            output_tree.keep_same(building, live, rendered)
            memo.written(rendered)
            memo.settled.update(rendered)
        if made:
            pages = [name for name in made if name.endswith(".html")]
            found = shards_of(building, pages, size, memo.identity_of)
        else:  # no memo (a build without the cache): the pages as they lie
            found = shards(building, size, memo.identity_of, "issues")
        if not static_pages:
            found += shards(building, size, memo.identity_of, "rest")
        todo = [shard for shard in found if not _keep(memo, shard)]
        settings[EARLY] = _running[str(building)] = Indexer(building, found, todo, live)


def _rest_pages(building: Path, size: int) -> list[str]:
    return [name for shard in shards(building, size, None, "rest") for name, _ in shard.pages]


def index_search(settings: dict, building: Path, current: Path, memo: OutputMemo) -> None:
    """Pagefind over the finished pages, before the swap: the new output arrives searchable.
    The seconds it took and any warning are left in the settings for the build report."""
    # The spare directory a build starts from keeps an old output's empty folders, and the
    # swap's keep_unchanged leaves pagefind/ alone: empty ones are removed here.
    if settings.get("NEWSLETTER_SEARCH", True) is False:
        output_tree.prune_empty(building / BUNDLE)
        return
    if settings.get(LIVE):  # the caller indexes after the swap: keep the last index
        output_tree.prune_empty(building / BUNDLE)
        if (current / BUNDLE).is_dir() and not (building / BUNDLE).exists():
            (current / BUNDLE).rename(building / BUNDLE)
        return
    early = settings.pop(EARLY, None)
    try:
        with timing.phase("search"):

            def wrote(shard: Shard) -> None:
                files = output_tree.files_under(building, f"{BUNDLE}/{shard.name}")
                memo.wrote(files, shard.key)

            live = _replaced(building, current)
            seconds, problem = index_site(
                building,
                str(settings.get("SITEURL") or ""),
                keep=lambda shard: _keep(memo, shard),
                wrote=wrote,
                issues_per_shard=shard_size(settings),
                known=memo.identity_of,
                early=early,
                redo=lambda shard: _redo(building, memo, shard),
                current=live,
            )
            if live:  # bundle files were compared as they were moved in; these were not
                entry = [f"{BUNDLE}/{name}" for name in ENTRY_FILES]
                output_tree.keep_same(building, live, entry)
            output_tree.prune_empty(building / BUNDLE)
    finally:  # whatever happened above, the indexer is done before the build goes on
        stop(building)
    settings["NEWSLETTER_SEARCH_SECONDS"] = seconds
    if problem:
        logger.warning("%s", problem)
        settings["NEWSLETTER_SEARCH_PROBLEM"] = problem


def stop(building: Path) -> None:
    """The build's indexer, if it started one, stopped and forgotten (a failed build: before
    its directory goes)."""
    indexer = _running.pop(str(building), None)
    if indexer is not None:
        indexer.stop()


def _replaced(building: Path, current: Path) -> Path | None:
    """The output this build replaces, if there is one (and it is not the build itself)."""
    return current if current.is_dir() and current.resolve() != building.resolve() else None


def _redo(building: Path, memo: OutputMemo, shard: Shard) -> None:
    """A shard the early run indexed or kept, to be made again: what it left goes."""
    shutil.rmtree(building / BUNDLE / shard.name, ignore_errors=True)
    memo.drop(f"{BUNDLE}/{shard.name}/")


def _keep(memo: OutputMemo, shard: Shard) -> bool:
    return memo.keep_made_by(shard.key, f"{BUNDLE}/{shard.name}/")
