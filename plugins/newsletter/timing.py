"""Per-phase build timers that add up across forked workers.

Each process keeps its own totals; `parallel.fork_map` sends a worker's totals for the work
it did back with the results and adds them to the parent's, so a benchmark reading `totals()`
after a build sees the Markdown and edition phases that ran in other processes. The cost is
two clock reads per phase entered (a few hundred per build).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

# phase name -> [wall seconds, CPU seconds of the process that ran it, times entered]
_totals: dict[str, list[float]] = {}


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Add the time spent in the block to `name` (nested phases count in both)."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        entry = _totals.setdefault(name, [0.0, 0.0, 0])
        entry[0] += time.perf_counter() - wall
        entry[1] += time.process_time() - cpu
        entry[2] += 1


def totals() -> dict[str, tuple[float, float, int]]:
    """Every phase so far in this process and the workers it collected: (wall, CPU, count)."""
    return {name: (w, c, int(n)) for name, (w, c, n) in _totals.items()}


def reset() -> None:
    _totals.clear()


def since(before: dict[str, tuple[float, float, int]]) -> dict[str, tuple[float, float, int]]:
    """What was added to the totals after `before` was taken (a worker's share of one map)."""
    now = totals()
    zero = (0.0, 0.0, 0)
    return {
        name: tuple(a - b for a, b in zip(value, before.get(name, zero), strict=True))
        for name, value in now.items()
        if value != before.get(name, zero)
    }  # type: ignore[misc]


def add(delta: dict[str, tuple[float, float, int]]) -> None:
    """A worker's share, added to this process's totals."""
    for name, values in delta.items():
        entry = _totals.setdefault(name, [0.0, 0.0, 0])
        for i, value in enumerate(values):
            entry[i] += value
