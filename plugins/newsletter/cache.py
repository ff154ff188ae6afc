"""The persistent build cache: what a rebuild reuses from the builds before it.

An entry is a pickle in `<cache>/<kind>/<key>`. Its key is a SHA-256 of everything it was made
from (a content file's bytes, the settings that shape it, the version of the code, libraries
and templates), so a change is a different key, never a stale entry: a warm build computes
every key and renders only what has none. Entries a build did not use are removed after it
succeeds. An entry that cannot be read discards the whole cache, with one warning, and the
build goes on as a cold one. Writes go through a temporary file and a rename, so forked
workers and two builds at once never see half an entry.

NEWSLETTER_CACHE: True (default: `.masthead-cache` in the project, beside output/),
False (off, as `--no-cache`), or a directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache

from .problems import Problem

logger = logging.getLogger(__name__)

FORMAT = 1
DEFAULT_NAME = ".masthead-cache"
# Every library whose version can change a byte of the output (pages, feeds, calendars,
# editions): a new version is a new key, so the memo renders everything again.
LIBRARIES = ("markdown", "mjml-python", "jinja2", "pelican", "PyYAML", "nh3", "markupsafe")
LIBRARIES += ("feedgenerator", "icalendar", "tzdata", "phonenumbers", "selectolax", "Unidecode")
_code_version: str | None = None


def code_version() -> str:
    """A hash of this plugin's source and the versions of the libraries that shape output."""
    global _code_version
    if _code_version is None:
        digest = hashlib.sha256(f"format {FORMAT}".encode())
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        for name in LIBRARIES:
            try:
                digest.update(f"{name}={metadata.version(name)}".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{name} absent".encode())
        _code_version = digest.hexdigest()
    return _code_version


def key(*parts: Any) -> str:
    """SHA-256 of the parts: bytes as they are, text as UTF-8, anything else as canonical
    JSON (each kind tagged, so no two kinds can spell the same bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


def keys_with(*parts: Any, last: list[Any]) -> list[str]:
    """`key(*parts, item)` for each item of `last`, the common parts hashed once."""
    digest = hashlib.sha256()
    for part in parts:
        _update(digest, part)
    found = []
    for item in last:
        one = digest.copy()
        _update(one, item)
        found.append(one.hexdigest())
    return found


def _update(digest: Any, part: Any) -> None:
    # Text as it is: JSON-escaping a long body costs more than hashing it.
    if isinstance(part, bytes):
        data = b"b" + part
    elif isinstance(part, str):
        data = b"s" + part.encode("utf-8", "surrogatepass")
    else:
        data = b"j" + _canonical(part).encode("utf-8")
    digest.update(len(data).to_bytes(8, "big") + data)


# Settings that name this build's directories, steer only how it runs, or are set by the
# build itself; drafts change the model, which every key that depends on it shows.
VOLATILE_SETTINGS = frozenset({
    "OUTPUT_PATH", "NEWSLETTER_OUTPUT", "NEWSLETTER_SETTINGS_FILE", "NEWSLETTER_CACHE",
    "NEWSLETTER_WORKERS", "NEWSLETTER_MIN_ITEMS", "NEWSLETTER_DRAFTS", "PLUGINS",
    "NEWSLETTER_LIVE", "NEWSLETTER_MEMO", "NEWSLETTER_REFUSED",
    "NEWSLETTER_SEARCH_SECONDS", "NEWSLETTER_SEARCH_PROBLEM", "NEWSLETTER_SEARCH_EARLY",
})  # fmt: skip


def settings_key(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as a cache key sees them: the ones that can shape output."""
    return {name: value for name, value in settings.items() if name not in VOLATILE_SETTINGS}


def _canonical(value: Any) -> str:
    # Values JSON cannot hold (functions, compiled patterns in Pelican's settings) count by
    # their type only: their repr carries a memory address that changes every run.
    return json.dumps(value, sort_keys=True, default=lambda v: f"<{type(v).__name__}>")


def tree_version(directory: Path) -> str:
    """A hash of every file under `directory` (names and bytes): a template set."""
    digest = hashlib.sha256()
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


# Entries a long-lived process (preview, NEWSLETTER_LIVE) keeps between its builds, by
# (directory, kind, key): read from disk once, not once a save. Pruned with the disk.
_memory: dict[tuple[str, str, str], Any] = {}


class BuildCache:
    """Entries by kind and key; `BuildCache(None)` is a cache that is always empty."""

    def __init__(self, directory: Path | None, memory: bool = False):
        self.directory = directory
        self.memory = _memory if memory and directory is not None else None
        self.used: dict[str, set[str]] = {}
        self.problems: list[Problem] = []
        self.hits = self.misses = 0

    @classmethod
    def from_settings(cls, settings: dict[str, Any], project_root: Path) -> BuildCache:
        wanted = settings.get("NEWSLETTER_CACHE", True)
        if wanted is False or wanted is None:
            return cls(None)
        directory = Path(wanted) if isinstance(wanted, str | os.PathLike) else None
        directory = directory or project_root / DEFAULT_NAME
        directory = directory if directory.is_absolute() else project_root / directory
        return cls(directory, memory=bool(settings.get("NEWSLETTER_LIVE")))

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def path(self, kind: str, entry: str) -> Path:
        return self.directory / kind / entry  # type: ignore[operator]

    def get(self, kind: str, entry: str) -> Any | None:
        """The value stored under (kind, key), or None; the key counts as used either way."""
        if self.directory is None:
            return None
        self.used.setdefault(kind, set()).add(entry)
        remembered = self._remembered(kind, entry)
        if remembered is not None:
            self.hits += 1
            return remembered
        try:
            data = self.path(kind, entry).read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as error:
            self._discard(f"cannot read {kind}/{entry[:12]}…: {error.strerror}")
            return None
        try:
            value = pickle.loads(data)
        except Exception as error:  # a truncated or foreign file: any unpickling error
            self._discard(f"entry {kind}/{entry[:12]}… is corrupt ({type(error).__name__})")
            return None
        self.hits += 1
        self._remember(kind, entry, value)
        return value

    def _remembered(self, kind: str, entry: str) -> Any | None:
        if self.memory is None:
            return None
        return self.memory.get((str(self.directory), kind, entry))

    def _remember(self, kind: str, entry: str, value: Any) -> None:
        if self.memory is not None:
            self.memory[(str(self.directory), kind, entry)] = value

    def keep(self, kind: str, entry: str) -> None:
        """Mark an entry used without reading it (another process will)."""
        if self.directory is not None:
            self.used.setdefault(kind, set()).add(entry)

    def put(self, kind: str, entry: str, value: Any) -> bool:
        """Store a value (from a forked worker too: the rename makes it appear whole);
        False when it could not be stored (a full disk, a value too deep to pickle)."""
        if self.directory is None:
            return False
        self.used.setdefault(kind, set()).add(entry)
        target = self.path(kind, entry)
        temporary = target.with_name(f".{entry}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, target)
            self._remember(kind, entry, value)
        except (OSError, RecursionError, pickle.PicklingError) as error:
            # a full disk or a hostile value slows the next build down, nothing more
            temporary.unlink(missing_ok=True)
            logger.debug("cache: cannot write %s: %s", target, error)
            return False
        return True

    def prune(self) -> None:
        """Remove the entries of every kind this build used that it did not use."""
        if self.directory is None:
            return
        if self.memory is not None:
            for place in [p for p in self.memory if p[0] == str(self.directory)]:
                if place[1] in self.used and place[2] not in self.used[place[1]]:
                    del self.memory[place]
        for kind, keep in self.used.items():
            folder = self.directory / kind
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)

    def _discard(self, reason: str) -> None:
        """Throw the whole cache away (one bad entry says nothing good about the rest); this
        build fills a new one."""
        shutil.rmtree(self.directory, ignore_errors=True)  # type: ignore[arg-type]
        if self.memory is not None:
            self.memory.clear()
        self.problems.append(
            Problem(
                str(self.directory),
                1,
                f"build cache discarded: {reason}; this build runs cold and makes a new one",
                warning=True,
            )
        )


class CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's compiled templates in the build cache; one that cannot be written or read
    is compiled again, nothing worse (the cache may be discarded during a build).

    Jinja finds a compiled template by its name and source only, but what it compiles to
    also depends on the environment's options (trim_blocks, delimiters, extensions) and
    Jinja's version: `options` name a folder of their own."""

    def __init__(self, directory: Path, options: dict[str, Any] | None = None):
        directory = directory / key(code_version(), options or {})[:16]
        directory.mkdir(parents=True, exist_ok=True)
        super().__init__(str(directory))

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry: Jinja compiles the template
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)  # the cache may be discarded meanwhile
            super().dump_bytecode(bucket)
        except OSError as error:
            logger.debug("cannot keep a compiled template: %s", error)
