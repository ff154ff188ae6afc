"""The output directory: built beside it, swapped in whole, and only real changes written.

A build writes into `.<output>-building-<pid>`, beside the output. Before the swap every file
whose bytes equal the file at the same path in the current output is replaced by a hard link
to that file (a copy keeping its times where links are impossible), so an unchanged page keeps
its bytes, inode and mtime and rsync or a CDN upload sees only real changes. Then two renames
swap the directories: a reader of output/ sees the old build or the new one, never a mix.

Directories are recycled rather than deleted: removing one costs milliseconds on a disk that
discards freed blocks (3 ms here, ~40 s for a large archive), creating one nearly as much.
The retired output loses its files (its names only: the new output links the same inodes)
and waits as `.<output>-spare` to be the next build's directory, every directory in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

BUILDING = ".{name}-building-{pid}"
SPARE = ".{name}-spare"
RETIRED = ".{name}-retired-{pid}"


def building_dir(target: Path) -> Path:
    """This build's directory beside `target`: the spare one's skeleton if there is one."""
    settle()
    building = target.parent / BUILDING.format(name=target.name, pid=os.getpid())
    for stale in target.parent.glob(BUILDING.format(name=target.name, pid="*")):
        _recycle(stale, target)  # left behind by a build that failed
    spare = target.parent / SPARE.format(name=target.name)
    try:
        spare.rename(building)  # atomic: of two builds at once, one gets it
    except OSError:
        building.mkdir(parents=True, exist_ok=True)
    return building


_recycling: threading.Thread | None = None


def swap(building: Path, target: Path, background: bool = False) -> None:
    """Swap `building` in (after `keep_unchanged`: then only changed files are new). The
    old output's files are removed afterwards, in a thread with `background` (a preview
    serves the new output meanwhile; the next build, or the interpreter's exit, waits)."""
    retired = target.with_name(RETIRED.format(name=target.name, pid=os.getpid()))
    if target.exists():
        target.rename(retired)
    building.rename(target)
    if not retired.exists():
        return
    if background:
        recycle_later(retired, target)
    else:
        _recycle(retired, target)


def settle() -> None:
    """Wait until the last swap's old output is recycled."""
    global _recycling
    if _recycling is not None:
        _recycling.join()
        _recycling = None


def keep_unchanged(
    building: Path,
    current: Path,
    linked: frozenset[str] | set[str] = frozenset(),
    skip: tuple[str, ...] = (),
) -> list[str]:
    """Every file of `building` equal to the one at its path in `current` becomes that file;
    directories left empty (a page that went away) are removed. `linked` names files already
    linked to the current output's (by the output memo, or by `keep_same`). Returns the
    names of the others, the files this build wrote. `skip`: top-level folders left alone
    (Pagefind may be writing them)."""
    written = []
    for folder, _directories, files in os.walk(building, topdown=False):
        relative = os.path.relpath(folder, building)
        if relative.split(os.sep)[0] in skip:
            continue
        prefix = "" if relative == "." else relative + os.sep
        names = [prefix + name for name in files if prefix + name not in linked]
        written += names
        keep_same(building, current, names)
        if not files and folder != str(building):
            with contextlib.suppress(OSError):  # only an empty one: its children came first
                os.rmdir(folder)
    return written


def move_into(building: Path, current: Path, names: list[str]) -> None:
    """A preview's build in place: each written file renamed into the current output (one
    already the same file stays as it is). A file or folder in the way of one (a file that
    became a folder, or the reverse) is removed first. edition.json files come last: a
    reader of an edition sees its new files before the meta that names their hashes."""
    made: set[str] = set()
    for name in sorted(names, key=lambda n: os.path.basename(n) == "edition.json"):
        folder = os.path.dirname(name)
        if folder not in made:
            _make_folder(current, folder)
            made.add(folder)
        target = os.path.join(current, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        os.replace(os.path.join(building, name), target)


def _make_folder(current: Path, folder: str) -> None:
    """current/folder as a directory, whatever file stood where one of its parts goes."""
    path = str(current)
    for part in [p for p in folder.split(os.sep) if p]:
        path = os.path.join(path, part)
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            os.unlink(path)
        if not os.path.isdir(path):
            os.mkdir(path)


def remove(current: Path, names: list[str]) -> None:
    """Files gone from the output, and the folders they leave empty."""
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(current, name))
        folder = os.path.dirname(name)
        while folder:
            try:
                os.rmdir(os.path.join(current, folder))
            except OSError:  # not empty (or gone): the folders above are not empty either
                break
            folder = os.path.dirname(folder)


def recycle_later(tree: Path, target: Path) -> None:
    """`_recycle` in a thread (the next build waits for it): the old output after a swap,
    or a finished in-place build's directory (folders only by then)."""
    global _recycling
    _recycling = threading.Thread(target=_recycle, args=(tree, target))
    _recycling.start()


def discard(building: Path, target: Path) -> None:
    """An unfinished build's directory: its files go, its directories become the spare."""
    if building.exists():
        _recycle(building, target)


def files_under(building: Path, folder: str) -> list[str]:
    """The files under `building`/`folder`, as names relative to `building`."""
    found = []
    for directory, _directories, files in os.walk(building / folder):
        relative = os.path.relpath(directory, building)
        found += [os.path.join(relative, name) for name in files]
    return found


def prune_empty(folder: Path) -> None:
    """Remove the empty folders under `folder`, and `folder` itself if it is left empty."""
    for directory, _directories, files in os.walk(folder, topdown=False):
        if not files:
            with contextlib.suppress(OSError):  # not empty: a child folder stayed
                os.rmdir(directory)


def keep_same(building: Path, current: Path, names: list[str]) -> None:
    """Each of `names` in `building` whose bytes the current output's file has becomes that
    file (its inode and mtime kept)."""
    for name in names:
        new, old = os.path.join(building, name), os.path.join(current, name)
        if _same_bytes(new, old):
            _replace_with(old, new)


def copy_in(source: Path, target: Path, current: Path | None = None) -> None:
    """Every file of `source` (a folder elsewhere, on another file system perhaps) to the
    same place under `target`: the file at that place in `current` where it has the same
    bytes (its inode and mtime kept), else a copy, a new file (never written through a
    link)."""
    for folder, _directories, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        os.makedirs(os.path.join(target, relative), exist_ok=True)
        for name in files:
            new, placed = os.path.join(folder, name), os.path.join(target, relative, name)
            old = os.path.join(current, relative, name) if current else None
            if old and _same_bytes(new, old):
                _replace_with(old, placed)
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(placed)
            shutil.copyfile(new, placed)


def _same_bytes(new: str, old: str) -> bool:
    """The same bytes in another file (already the very file, as the output memo links
    it: nothing to replace)."""
    try:
        a, b = os.stat(new), os.stat(old)
        if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev) or a.st_size != b.st_size:
            return False
        with open(new, "rb") as one, open(old, "rb") as other:
            return one.read() == other.read()
    except OSError:  # no such file in the current output (or unreadable): a change
        return False


def _replace_with(old: str, new: str) -> None:
    temporary = f"{new}.link-tmp"
    try:
        os.link(old, temporary)
    except OSError:  # a file system without hard links: copy, keeping times
        shutil.copy2(old, temporary)
    os.replace(temporary, new)


def _recycle(tree: Path, target: Path) -> None:
    """Remove the files of `tree`, keep its directories, and make it the spare (or delete
    it when there is already one)."""
    spare = target.parent / SPARE.format(name=target.name)
    if spare.exists():
        shutil.rmtree(tree, ignore_errors=True)
        return
    for folder, _directories, files in os.walk(tree):
        for name in files:
            os.unlink(os.path.join(folder, name))
    try:
        tree.rename(spare)
    except OSError:
        shutil.rmtree(tree, ignore_errors=True)
