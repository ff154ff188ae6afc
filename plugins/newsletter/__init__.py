"""Masthead's Pelican plugin: issues, articles, series and topics; web archive and editions.

Output is built in a sibling directory and swapped in at the end, so a failed build leaves
the previous output exactly as it was; files that did not change keep their bytes and mtimes.
"""

from __future__ import annotations

import glob
import logging
import os
from pathlib import Path

from pelican import signals

from . import output_tree, timing
from .cache import BuildCache, CompiledTemplates
from .containment import scan
from .generator import NewsletterGenerator, project_root
from .output_memo import OutputMemo
from .reader import KINDS
from .search import BUNDLE
from .site_search import LIVE, index_search
from .site_search import stop as stop_search
from .welcome import is_welcome_page

logger = logging.getLogger(__name__)
# LIVE ("NEWSLETTER_LIVE") = True: a long-lived process builds again and again (preview).
# The last search index is kept (the caller makes a new one after the swap), the old
# output's files are removed in the background, and cache entries stay in memory between
# builds.
# Made from a build by `publish.py proof`, not by the build: carried over to the next one
# (the send compares each proof.json with the edition it sends).
KEPT = ("proofs",)


def build_elsewhere(pelican) -> None:
    """Point Pelican at this build's directory beside the real output; every generator's
    templates compiled once and kept in the build cache (Jinja checks them against their
    sources)."""
    settings = pelican.settings
    build_cache = BuildCache.from_settings(settings, project_root(settings))
    if build_cache.enabled:
        jinja = dict(settings.get("JINJA_ENVIRONMENT") or {})
        options = {**jinja, "extensions": settings.get("JINJA_EXTENSIONS")}
        jinja.setdefault(
            "bytecode_cache", CompiledTemplates(build_cache.path("jinja", ""), options)
        )
        settings["JINJA_ENVIRONMENT"] = jinja
    target = Path(pelican.output_path).resolve()
    pelican.settings["NEWSLETTER_OUTPUT"] = str(target)
    pelican.output_path = str(output_tree.building_dir(target))


def swap_output(pelican) -> None:
    """Replace the output directory with the finished build, unchanged files kept as they
    were (output_tree.py), the search index made again only if a page changed."""
    settings = pelican.settings
    target = Path(settings["NEWSLETTER_OUTPUT"])
    building = Path(pelican.output_path)
    if not building.is_dir():
        return
    memo = settings.get("NEWSLETTER_MEMO") or OutputMemo(None, target, building)
    if memo.in_place:
        update_in_place(building, target, memo)
        return
    with timing.phase("keep unchanged files"):
        # The search bundles are index_search's: Pagefind may still be writing them.
        done = frozenset(memo.linked | memo.settled)
        memo.written(output_tree.keep_unchanged(building, target, done, skip=(BUNDLE,)))
    index_search(settings, building, target, memo)
    for name in KEPT:
        if (target / name).is_dir() and not (building / name).exists():
            (target / name).rename(building / name)
    with timing.phase("keep unchanged files"):
        memo.save()
    output_tree.swap(building, target, background=bool(settings.get(LIVE)))
    logger.info("Output written to %s", target)


def update_in_place(building: Path, target: Path, memo: OutputMemo) -> None:
    """A preview's rebuild (NEWSLETTER_LIVE) once the memo knows the whole output: the files
    this build wrote are renamed into the served output one by one, the files it no longer
    makes are removed, and nothing else is touched (no directory of links, no swap; a
    reader of the preview may see the pages of both builds for a few milliseconds)."""
    with timing.phase("keep unchanged files"):
        try:
            written = output_tree.keep_unchanged(building, target, frozenset())
            memo.written(written)
            output_tree.remove(target, memo.gone())  # first: a file may become a folder
            output_tree.move_into(building, target, written)
            memo.save()
        except BaseException:
            memo.forget()  # the output is half updated: the next build swaps a whole one
            raise
    output_tree.recycle_later(building, target)
    logger.info("Output updated in %s", target)


def discard_unfinished(output: str | Path) -> None:
    """Remove this process's unfinished build (Pelican has no signal for a failed run)."""
    target = Path(output).resolve()
    building = target.parent / output_tree.BUILDING.format(name=target.name, pid=os.getpid())
    stop_search(building)  # Pagefind may be writing into it
    output_tree.discard(building, target)


def drop_welcome_page(generator) -> None:
    """content/pages/welcome.md is the welcome email (welcome.py), not a page of the archive."""
    for pages in (generator.pages, generator.hidden_pages, generator.draft_pages):
        pages[:] = [p for p in pages if not is_welcome_page(p.source_path, generator.settings)]


def guard_content(pelican) -> None:
    """Before Pelican reads pages or copies static files: every entry under content/ that
    must not be read (a symlink leaving content/, a FIFO, a device) is kept from Pelican's
    readers and its static copy, and reported by the newsletter generator as an error."""
    settings = pelican.settings
    content = Path(settings["PATH"])
    refused = scan(content, project_root(settings), KINDS, settings["IGNORE_FILES"])
    settings["NEWSLETTER_REFUSED"] = refused
    names = {Path(problem.path).name for problem in refused}
    settings["IGNORE_FILES"] = [*settings["IGNORE_FILES"], *map(glob.escape, sorted(names))]
    for key in ("PAGE_PATHS", "STATIC_PATHS"):  # a refused folder Pelican would walk itself
        settings[key] = [path for path in settings[key] if path not in names]


def keep_static_inside(generator) -> None:
    """Defence in depth: no static file whose real path leaves content/ is ever copied."""
    content = os.path.realpath(generator.path) + os.sep
    inside = [
        f for f in generator.staticfiles if os.path.realpath(f.source_path).startswith(content)
    ]
    for static in set(generator.staticfiles) - set(inside):
        logger.error("%s: leaves content/: not copied", static.source_path)
    generator.staticfiles = inside


def get_generators(pelican):
    return NewsletterGenerator


def register() -> None:
    signals.initialized.connect(build_elsewhere)
    signals.initialized.connect(guard_content)
    signals.static_generator_finalized.connect(keep_static_inside)
    signals.get_generators.connect(get_generators)
    signals.page_generator_finalized.connect(drop_welcome_page)
    signals.finalized.connect(swap_output)
