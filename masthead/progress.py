"""Progress on a terminal only: pipes, CI logs and tests get no spinner characters."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator

from rich.console import Console


def on_terminal() -> bool:
    return sys.stdout.isatty()


@contextlib.contextmanager
def spinner(label: str) -> Iterator[None]:
    """A spinner on stderr while `label` runs, for work with no countable steps (a build)."""
    if not on_terminal():
        yield
        return
    with Console(stderr=True).status(label):
        yield


def track(items: Iterable, label: str) -> Iterable:
    """A progress bar over `items` on a terminal; the items unchanged elsewhere."""
    if not on_terminal():
        return items
    from rich.progress import track as rich_track

    return rich_track(list(items), description=label, console=Console(stderr=True), transient=True)
