"""Content stays in content/: the build reads and copies only regular files whose real path
is inside the content directory.

A symbolic link leaving content/ (to a subscriber store, a key), a broken link, a FIFO (a
read would wait forever), a device or a directory where a file is expected is a
`path: message` problem; such an entry is never opened, followed or copied.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path

from .problems import Problem

MAX_FILE_BYTES = 2_000_000  # a content file larger than this is a mistake, not an article
KINDS_OF_FILE = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class Refused(Exception):
    """This entry may not be read; the message says why and what to do."""


def refusal(path: Path, content_dir: Path, want: str = "file") -> str | None:
    """Why the entry at `path` may not be used as a `want` ("file" or "dir"), or None."""
    return _checked(path, content_dir, want)[0]


def _checked(path: Path, content_dir: Path, want: str) -> tuple[str | None, bool]:
    """`refusal`, and whether the entry is a symbolic link."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        return f"cannot be read: {error.strerror}", False
    if not stat.S_ISLNK(mode):
        return _wrong_type(mode, want), False
    real = os.path.realpath(path)
    if not os.path.lexists(real) or not os.path.exists(path):
        return "a broken symbolic link: remove it, or point it at a file inside content/", True
    if not _inside(real, os.path.realpath(content_dir)):
        reason = (
            "a symbolic link leaving content/: never read or copied; "
            "copy the file into content/ instead"
        )
        return reason, True
    return _wrong_type(os.stat(real).st_mode, want), True


def _wrong_type(mode: int, want: str) -> str | None:
    if stat.S_ISDIR(mode):
        return None if want == "dir" else "a directory, not a file: rename or remove it"
    if stat.S_ISREG(mode):
        return None if want == "file" else "a file where a directory is expected"
    kind = KINDS_OF_FILE.get(stat.S_IFMT(mode), "not a regular file")
    return f"{kind}, not a file: remove it"


def _inside(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def read_content_file(
    path: Path, content_dir: Path, limit: int = MAX_FILE_BYTES, real_folder: str | None = None
) -> bytes:
    """The bytes of a content file, or Refused. Opened without following a last symlink and
    without blocking, then checked again on the open file: nothing can swap it in between.
    `real_folder` is the real path of the file's folder, when the caller knows it: a file
    that is not a link is then opened there without resolving its whole path again."""
    reason, link = _checked(path, content_dir, "file")
    if reason:
        raise Refused(reason)
    real = os.path.join(real_folder, path.name) if real_folder and not link else None
    try:
        fd = os.open(real or os.path.realpath(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as error:
        raise Refused(f"cannot be read: {error.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        reason = _wrong_type(info.st_mode, "file")
        if reason:
            raise Refused(reason)
        if info.st_size > limit:
            raise Refused(f"{info.st_size:,} bytes: a content file may hold {limit:,}; split it")
        return file.read(limit + 1)


def scan(content_dir: Path, root: Path, skip: tuple[str, ...], ignores: list[str]) -> list[Problem]:
    """Every entry under content/ (but the top-level folders in `skip`, which their readers
    check) that Pelican's readers or its static copy must not touch."""
    problems = []
    top = Path(content_dir)
    for folder, dirs, files in os.walk(content_dir):  # never follows a symlinked directory
        here = Path(folder)
        dirs[:] = [d for d in dirs if not _ignored(d, ignores) and not (here == top and d in skip)]
        files = [f for f in files if not _ignored(f, ignores)]
        for name, want in sorted([(d, "dir") for d in dirs] + [(f, "file") for f in files]):
            reason = refusal(here / name, content_dir, want)
            if reason:
                problems.append(Problem(shown(here / name, root), 1, reason))
    return problems


def _ignored(name: str, ignores: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignores)


def shown(path: Path, root: Path) -> str:
    """The path as messages show it: relative to the project, without resolving links."""
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
