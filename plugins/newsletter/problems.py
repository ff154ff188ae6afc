"""Problems found in content or settings, reported as `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass, field

PREVIEW_LENGTH = 60


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    warning: bool = False
    # A warning the build survives but `publish.py check` fails on (an image without alt text).
    fails_check: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        shown = f"{self.path}:{self.line}: {kind}{self.message}"
        # One line on the terminal, whatever a file name holds (ESC, a newline).
        return shown if shown.isprintable() else "".join(map(_printable, shown))


def _printable(char: str) -> str:
    return char if char.isprintable() else repr(char)[1:-1]


def preview(value: object, length: int = PREVIEW_LENGTH) -> str:
    """A value as an error message may show it: repr (control characters escaped, so none
    reach the terminal), cut to `length` characters. Never prints a huge value whole."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, str):
        value = value[: length + 1]  # repr of a megabyte of text is a megabyte
    elif isinstance(value, list | dict | tuple | set):
        value = _shallow(value)
    text = repr(value)
    return text if len(text) <= length else text[: length - 1] + "…"


def _shallow(value: list | dict | tuple | set) -> object:
    """The first few items only: repr of a deep or long structure is expensive in itself."""
    items = list(value)[:5]
    cut = [_item(item) for item in items]
    return {k: "…" for k in cut} if isinstance(value, dict) else cut


def _item(item: object) -> object:
    if isinstance(item, list | dict | tuple | set):
        return "…"
    return item[:PREVIEW_LENGTH] if isinstance(item, str) else item


class ContentError(Exception):
    """The content (or the settings) cannot be built; every problem is listed."""

    exitcode = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        plural = "s" if count != 1 else ""
        super().__init__(f"{count} problem{plural} in the content; nothing written")
