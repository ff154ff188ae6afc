"""Masthead's Pelican plugin: issues, articles, series and topics; web archive and editions.

Output is built in a sibling directory and swapped in at the end, so a failed build leaves
the previous output exactly as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from pelican import signals

from .generator import NewsletterGenerator
from .welcome import is_welcome_page

logger = logging.getLogger(__name__)
BUILDING = ".{name}-building-{pid}"


def build_elsewhere(pelican) -> None:
    """Point Pelican at a fresh build directory beside the real output."""
    target = Path(pelican.output_path).resolve()
    for stale in target.parent.glob(BUILDING.format(name=target.name, pid="*")):
        shutil.rmtree(stale, ignore_errors=True)  # left behind by a build that failed
    building = target.parent / BUILDING.format(name=target.name, pid=os.getpid())
    pelican.settings["NEWSLETTER_OUTPUT"] = str(target)
    pelican.output_path = str(building)


def swap_output(pelican) -> None:
    """Replace the output directory with the finished build in two renames."""
    target = Path(pelican.settings["NEWSLETTER_OUTPUT"])
    building = Path(pelican.output_path)
    if not building.is_dir():
        return
    retired = target.with_name(f".{target.name}-retired-{os.getpid()}")
    if target.exists():
        target.rename(retired)
    building.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
    logger.info("Output written to %s", target)


def discard_unfinished(output: str | Path) -> None:
    """Remove this process's unfinished build (Pelican has no signal for a failed run)."""
    target = Path(output).resolve()
    shutil.rmtree(target.parent / BUILDING.format(name=target.name, pid=os.getpid()), True)


def drop_welcome_page(generator) -> None:
    """content/pages/welcome.md is the welcome email (welcome.py), not a page of the archive."""
    for pages in (generator.pages, generator.hidden_pages, generator.draft_pages):
        pages[:] = [p for p in pages if not is_welcome_page(p.source_path, generator.settings)]


def get_generators(pelican):
    return NewsletterGenerator


def register() -> None:
    signals.initialized.connect(build_elsewhere)
    signals.get_generators.connect(get_generators)
    signals.page_generator_finalized.connect(drop_welcome_page)
    signals.finalized.connect(swap_output)
