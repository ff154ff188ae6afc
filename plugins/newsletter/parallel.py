"""Spread independent per-item work over the machine's cores.

Workers are forked, so the model stays where it is (shared copy-on-write) and only each
item's result crosses a pipe. Pelican builds on one core; Markdown and email editions are
most of a large build and every item is independent, so this is where a second core pays.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
MIN_ITEMS_PER_WORKER = 32  # below this, forking costs more than it saves

_work: Callable[[int], object] | None = None  # what forked workers call; set around one map


def workers_for(settings: dict, count: int) -> int:
    """NEWSLETTER_WORKERS (default: every core), fewer when there is little to share."""
    wanted = int(settings.get("NEWSLETTER_WORKERS") or os.cpu_count() or 1)
    useful = max(1, count // int(settings.get("NEWSLETTER_MIN_ITEMS", MIN_ITEMS_PER_WORKER)))
    return max(1, min(wanted, useful))


def fork_map(work: Callable[[int], T], count: int, workers: int) -> list[T]:
    """[work(0), …, work(count - 1)], in order, computed by `workers` forked processes
    (in this process where fork is unavailable or one worker is asked for)."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(index) for index in range(count)]
    global _work
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, count // (workers * 4))
            return pool.map(_call, range(count), chunksize=chunk)
    finally:
        _work = None


def _call(index: int):
    return _work(index)  # type: ignore[misc]
