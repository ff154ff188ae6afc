"""Spread independent per-item work over the machine's cores.

Workers are forked, so the model stays where it is (shared copy-on-write) and only each
item's result crosses a pipe. Pelican builds on one core; Markdown and email editions are
most of a large build and every item is independent, so this is where a second core pays.
"""

from __future__ import annotations

import cProfile
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from . import timing

T = TypeVar("T")
MIN_ITEMS_PER_WORKER = 32  # below this, forking costs more than it saves
# A benchmark sets this to a directory: each worker's chunks are profiled there
# (worker-<pid>-<first item>.prof), so a profile of the build includes the forked work.
PROFILE_DIR: str | None = None

_work: Callable[[int], object] | None = None  # what forked workers call; set around one map


def workers_for(settings: dict, count: int) -> int:
    """NEWSLETTER_WORKERS (default: every core), fewer when there is little to share."""
    wanted = int(settings.get("NEWSLETTER_WORKERS") or os.cpu_count() or 1)
    useful = max(1, count // int(settings.get("NEWSLETTER_MIN_ITEMS", MIN_ITEMS_PER_WORKER)))
    return max(1, min(wanted, useful))


def fork_map(work: Callable[[int], T], count: int, workers: int) -> list[T]:
    """[work(0), …, work(count - 1)], in order, computed by `workers` forked processes
    (in this process where fork is unavailable or one worker is asked for). The workers'
    phase timers (timing.py) are added to this process's."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(index) for index in range(count)]
    global _work
    _work = work
    size = max(1, count // (workers * 4))
    chunks = [(start, min(start + size, count)) for start in range(0, count, size)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.map(_call_chunk, chunks, chunksize=1)
    finally:
        _work = None
    results: list[T] = []
    for values, spent in done:
        results += values
        timing.add(spent)
    return results


def _call_chunk(bounds: tuple[int, int]) -> tuple[list, dict]:
    """One chunk in a worker: its results and the phase time it spent."""
    before = timing.totals()
    profile = cProfile.Profile() if PROFILE_DIR else None
    if profile:
        profile.enable()
    values = [_work(index) for index in range(*bounds)]  # type: ignore[misc]
    if profile:
        profile.disable()
        profile.dump_stats(Path(PROFILE_DIR) / f"worker-{os.getpid()}-{bounds[0]}.prof")  # type: ignore[arg-type]
    return values, timing.since(before)
