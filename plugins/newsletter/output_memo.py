"""Files a warm build does not render again: the current output's, kept by a hard link.

The memo remembers, per output file, the fingerprint it was made from (fingerprints.py) and
the file's identity (inode, size, mtime) when the build that made it was swapped in. A
build that computes the same fingerprint for the same name, while the current output still
holds that very file, links it into its own directory instead of rendering it. A file
changed by anyone else (another build, `--no-cache`, a hand edit) has another identity and
is rendered again. The memo lives in the build cache, one per output directory; it is
written when the build is finished, just before the swap (a build that fails earlier leaves
the last one; a swap that fails after it costs nothing worse than renders, as the identities
it records then match no file of the output).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from pathlib import Path

from .cache import BuildCache, key

logger = logging.getLogger(__name__)

FORMAT = 3  # 2: every file of the output is recorded; 3: and the output directory itself
WRITTEN = "written"  # the fingerprint of a file the memo cannot tell the inputs of
# Never removed by an in-place build: made after it by others (proof sheets, a preview's
# search index).
NOT_OURS = ("pagefind/", "proofs/")
# The memo a long-lived process (preview, NEWSLETTER_LIVE) saved last, by file: not read
# back from disk each build.
_saved: dict[str, dict] = {}
Identity = tuple[int, int, int]  # inode, size, mtime in nanoseconds


def identity(path: str | Path) -> Identity | None:
    try:
        found = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _folder(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class OutputMemo:
    """What the current output was made from; `OutputMemo(None, …)` reuses nothing."""

    def __init__(self, file: Path | None, current: Path, building: Path, live: bool = False):
        self.file, self.current, self.building, self.live = file, current, building, live
        self.problem: str | None = None  # why a memo that was there could not be read
        self.folder: tuple[int, int] | None = None  # (device, inode) of the output it knew
        self.known: dict[str, tuple[str, Identity]] = self._load() if file else {}
        self.made: dict[str, str] = {}  # name -> fingerprint, this build (kept or written)
        self._by_fingerprint: dict[str, list[str]] | None = None
        self.linked: set[str] = set()  # names linked from the current output
        self.settled: set[str] = set()  # names already compared with the current output's
        # A preview builds into the current output itself once the memo knows every file of
        # it: only rendered files are written, and nothing is linked. The memo knows them
        # when the output is the very directory it was saved with: any other build swaps in
        # a new directory (a build without the cache too), and an in-place update that
        # failed forgets the memo.
        self.in_place = live and bool(self.known) and self.folder == _folder(current)

    @classmethod
    def for_build(cls, build_cache: BuildCache, current: Path, building: Path) -> OutputMemo:
        if not build_cache.enabled:
            return cls(None, current, building)
        name = key(FORMAT, str(current.resolve()))
        live = build_cache.memory is not None
        return cls(build_cache.path("output", name), current, building, live)

    @property
    def enabled(self) -> bool:
        return self.file is not None

    def keep(self, names: list[str], fingerprint: str) -> bool:
        """Link `names` (made together from `fingerprint`) from the current output when it
        holds them as this fingerprint made them; False: render them, and then none of
        them is linked (a writer must never write through a link into the live output)."""
        if not self.enabled or not names:
            return False
        if any(self.known.get(name, ("",))[0] != fingerprint for name in names):
            return False
        if self.in_place:
            current = [identity(os.path.join(self.current, name)) for name in names]
            if current != [self.known[name][1] for name in names]:
                return False
            return self._kept(names, fingerprint)
        linked: list[str] = []
        for name in names:
            # Linked first, then checked: the link is the file the new output will hold,
            # whatever happened to the name in the current output meanwhile.
            if not self._link(name):
                return self._unlink(linked)
            linked.append(name)
            if identity(os.path.join(self.building, name)) != self.known[name][1]:
                return self._unlink(linked)
        return self._kept(names, fingerprint)

    def _kept(self, names: list[str], fingerprint: str) -> bool:
        for name in names:
            self.made[name] = fingerprint
        self.linked.update(names)
        return True

    def written(self, names: list[str]) -> None:
        """Files of the build that no fingerprint made (Pelican's pages, the theme's files):
        recorded so that an in-place build knows when they are gone."""
        if self.enabled:
            for name in names:
                self.made.setdefault(name, WRITTEN)

    def gone(self) -> list[str]:
        """The files the last build had that this one does not make."""
        return [n for n in self.known if n not in self.made and not n.startswith(NOT_OURS)]

    def _unlink(self, names: list[str]) -> bool:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.building, name))
        return False

    def identity_of(self, name: str) -> tuple[int, int, int] | None:
        """(inode, size, mtime) of a file this build linked from the current output, as the
        memo knows it (no stat() needed); None for any other file."""
        if name not in self.linked:
            return None
        inode, size, mtime = self.known[name][1]
        return inode, size, mtime

    def names_made_by(self, fingerprint: str) -> list[str]:
        """The files the current output holds from `fingerprint` (one made many: a search
        index, an edition); empty when there are none."""
        if self._by_fingerprint is None:
            self._by_fingerprint = {}
            for name, (made, _identity) in self.known.items():
                self._by_fingerprint.setdefault(made, []).append(name)
        return self._by_fingerprint.get(fingerprint, [])

    def keep_made_by(self, fingerprint: str, prefix: str = "") -> bool:
        """`keep` every file the current output holds from `fingerprint` (under `prefix`)."""
        names = [name for name in self.names_made_by(fingerprint) if name.startswith(prefix)]
        return self.keep(names, fingerprint)

    def wrote(self, names: list[str], fingerprint: str) -> None:
        """`names` were rendered from `fingerprint`."""
        if self.enabled:
            for name in names:
                self.made[name] = fingerprint

    def drop(self, prefix: str) -> None:
        """Files under `prefix` the build removed again (a search bundle made anew)."""
        for name in [name for name in self.made if name.startswith(prefix)]:
            del self.made[name]
            self.linked.discard(name)
            self.settled.discard(name)

    def save(self) -> None:
        """Record what the finished build holds (call after unchanged files are linked to
        the current output's and before the swap: identities survive the rename; in place,
        after the written files are moved in)."""
        if not self.enabled:
            return
        root = self.current if self.in_place else self.building
        folder = _folder(root)  # the building directory becomes the output by a rename
        entries = {}
        if self.in_place:  # the search index a preview makes itself: as it was
            entries = {n: v for n, v in self.known.items() if n.startswith(NOT_OURS)}
        for name, fingerprint in self.made.items():
            if name in self.linked:  # the current output's file, as the memo knew it
                entries[name] = self.known[name]
                continue
            found = identity(os.path.join(root, name))
            if found:
                entries[name] = (fingerprint, found)
        temporary = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            data = pickle.dumps((FORMAT, folder, entries), pickle.HIGHEST_PROTOCOL)
            temporary.write_bytes(data)
            os.replace(temporary, self.file)
            if self.live:
                _saved[str(self.file)] = (folder, entries)
        except OSError as error:  # the next build renders more, nothing worse
            temporary.unlink(missing_ok=True)
            logger.debug("cannot write the output memo %s: %s", self.file, error)

    def forget(self) -> None:
        """Throw the memo away (an in-place update that failed half-way): the next build
        renders everything and swaps."""
        _saved.pop(str(self.file), None)
        if self.file is not None:
            self.file.unlink(missing_ok=True)

    def _load(self) -> dict[str, tuple[str, Identity]]:
        if self.live and str(self.file) in _saved:
            self.folder, entries = _saved[str(self.file)]
            return entries
        try:
            version, self.folder, entries = pickle.loads(self.file.read_bytes())
        except FileNotFoundError:
            return {}
        except Exception as error:  # a damaged memo costs one full render, nothing more
            self.problem = f"output memo {self.file.name[:12]}… is corrupt ({type(error).__name__})"
            return {}
        return entries if version == FORMAT and isinstance(entries, dict) else {}

    def _link(self, name: str) -> bool:
        """One link() in the usual case: the folder is there (the spare's skeleton) and the
        name free; otherwise the folder is made or the name freed, then linked again."""
        source, target = os.path.join(self.current, name), os.path.join(self.building, name)
        for _attempt in range(2):
            try:
                os.link(source, target)
                return True
            except FileNotFoundError:
                if not os.path.exists(source):
                    return False  # the current output lost it: render it
                os.makedirs(os.path.dirname(target), exist_ok=True)
            except FileExistsError:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
            except OSError:  # no hard links on this file system: render it
                return False
        return False
