"""Masthead's Pelican plugin: issues, articles, series and topics; web archive and editions.

Output is built in a sibling directory and swapped in at the end, so a failed build leaves
the previous output exactly as it was; files that did not change keep their bytes and mtimes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pelican import signals

from . import output_tree
from .generator import NewsletterGenerator

logger = logging.getLogger(__name__)


def build_elsewhere(pelican) -> None:
    """Point Pelican at this build's directory beside the real output."""
    target = Path(pelican.output_path).resolve()
    pelican.settings["NEWSLETTER_OUTPUT"] = str(target)
    pelican.output_path = str(output_tree.building_dir(target))


def swap_output(pelican) -> None:
    """Replace the output directory with the finished build, unchanged files kept as they
    were (output_tree.py)."""
    target = Path(pelican.settings["NEWSLETTER_OUTPUT"])
    building = Path(pelican.output_path)
    if not building.is_dir():
        return
    output_tree.swap(building, target)
    logger.info("Output written to %s", target)


def discard_unfinished(output: str | Path) -> None:
    """Remove this process's unfinished build (Pelican has no signal for a failed run)."""
    target = Path(output).resolve()
    building = target.parent / output_tree.BUILDING.format(name=target.name, pid=os.getpid())
    output_tree.discard(building, target)


def get_generators(pelican):
    return NewsletterGenerator


def register() -> None:
    signals.initialized.connect(build_elsewhere)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(swap_output)
