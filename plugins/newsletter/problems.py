"""Problems found in content or settings, reported as `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass, field


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
        return f"{self.path}:{self.line}: {kind}{self.message}"


class ContentError(Exception):
    """The content (or the settings) cannot be built; every problem is listed."""

    exitcode = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        plural = "s" if count != 1 else ""
        super().__init__(f"{count} problem{plural} in the content; nothing written")
