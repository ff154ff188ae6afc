"""Read content/issues, content/articles and content/series into raw front matter and bodies.

Only reading and YAML errors live here; field rules are in `fields.py`. Each file is read on
its own: whatever is wrong with one becomes its Problem and the others are still read.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from .containment import Refused, read_content_file, refusal
from .model import Source
from .problems import Problem, preview

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.M)
KINDS = ("series", "articles", "issues")

_yaml = YAMLHandler()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML as front matter needs it: plain scalars, lists and mappings, nothing more.

    No implicit dates: `date: 2025-13-01` must be a field error naming its line, not a
    constructor crash, so dates stay text until `Fields.date` checks them. No aliases: a
    few lines of `*a` can stand for billions of values (an "alias bomb"). No `!!binary`,
    `!!set`, `!!omap`, `!!pairs`: they would arrive as bytes or odd types, not text."""

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "this value is repeated by an alias (*name): aliases are not accepted in "
                "front matter; write the value out",
                node.start_mark,
            )
        return super().construct_object(node, deep)

    def construct_long_int(self, node):
        if len(node.value) > MAX_NUMBER_CHARACTERS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a number of {len(node.value):,} characters is too long",
                node.start_mark,
            )
        return self.construct_yaml_int(node)

    def construct_refused(self, node):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag {preview(node.tag)} is not accepted: write plain text, a list or a mapping",
            node.start_mark,
        )


MAX_NUMBER_CHARACTERS = 100  # int() of over 4,300 digits raises, and no field needs 100
_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_long_int)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_refused)
_Loader.add_constructor(None, _Loader.construct_refused)  # any other tag (`!custom`)


@dataclass
class RawFile:
    """One content file: its front matter, its Markdown body and where the body starts."""

    kind: str
    source: Source
    meta: dict
    body: str
    body_line: int  # line number of the body's first line in the file

    @property
    def stem(self) -> str:
        return Path(self.source.path).stem


# A parsed file's front matter by the SHA-256 of its bytes (and its kind and path): what a
# warm build reads instead of parsing YAML again (loader.py keeps it in the build cache).
FrontMatters = dict[str, tuple[dict, dict[str, int], int, int]]


# A long-lived process (preview) keeps each file it read with its identity as lstat() saw
# it: a regular file with the same inode, size, mtime and ctime is not read again.
_read: dict[str, tuple[tuple[int, ...], RawFile]] = {}


def read_kind(
    content_dir: Path,
    kind: str,
    root: Path,
    parsed: FrontMatters | None = None,
    live: bool = False,
) -> tuple[list[RawFile], list[Problem]]:
    """Every `*.md` file of one kind, sorted by name, and the problems reading them.
    `parsed` holds front matter parsed before and takes what is parsed now; `live` keeps
    what was read for the next build of this process."""
    folder, root = content_dir / kind, root.resolve()
    if not os.path.lexists(folder):
        return [], []
    reason = refusal(folder, content_dir, "dir")
    if reason:
        return [], [Problem(_relative(folder, root), 1, reason)]
    files, problems, seen = [], [], set()
    real_folder = os.path.realpath(folder)  # once, not once a file
    shown_folder = _shown(real_folder, folder, root)
    # By name, as strings: sorting thousands of Path objects costs more than reading them.
    for name in sorted(name for name in os.listdir(folder) if name.endswith(".md")):
        if name.startswith(".#"):
            continue  # an editor's lock file (Emacs), as Pelican's IGNORE_FILES skips it
        path = folder / name
        shown = f"{shown_folder}/{path.name}" if shown_folder else path.name
        if live:
            result = _read_live(path, kind, shown, content_dir, parsed, seen, real_folder)
        else:
            result = read_file(path, kind, shown, content_dir, parsed, real_folder)
        (files if isinstance(result, RawFile) else problems).append(result)
    if live:  # forget the files of this folder that are gone
        inside = os.path.join(folder, "")
        for gone in [p for p in _read if p.startswith(inside) and p not in seen]:
            del _read[gone]
    return files, problems


def _identity(path: Path) -> tuple[int, ...] | None:
    try:
        found = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):  # a symlink, a FIFO: read_file judges it each time
        return None
    return found.st_ino, found.st_dev, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def _read_live(
    path: Path,
    kind: str,
    shown: str,
    content_dir: Path,
    parsed: FrontMatters | None,
    seen: set,
    real_folder: str,
) -> RawFile | Problem:
    """read_file, or the file as the last build of this process read it when lstat() says
    it is the same file. The identity is taken before reading: a file saved meanwhile
    counts as changed next time, never as read."""
    seen.add(str(path))
    before = _identity(path)
    known = _read.get(str(path))
    same = known is not None and before is not None and known[0] == before
    if same and (known[1].kind, known[1].source.path) == (kind, shown):  # type: ignore[index]
        return known[1]
    result = read_file(path, kind, shown, content_dir, parsed, real_folder)
    # A file written within the last second may be written again within the same tick of
    # the file system's clock, same size, same times: remembered only once it is older.
    settled = before is not None and time.time_ns() - before[3] > 1_000_000_000
    if settled and isinstance(result, RawFile):
        _read[str(path)] = (before, result)  # type: ignore[assignment]
    return result


def read_file(
    path: Path,
    kind: str,
    shown_path: str,
    content_dir: Path,
    parsed: FrontMatters | None = None,
    real_folder: str | None = None,
) -> RawFile | Problem:
    """One content file, or the Problem that stops it; never an exception."""
    try:
        data = read_content_file(path, content_dir, real_folder=real_folder)
    except Refused as refused:
        return Problem(shown_path, 1, str(refused))
    try:
        return _parse(data, kind, shown_path, {} if parsed is None else parsed)
    except Exception as error:  # a file's content must never stop the other files
        return Problem(shown_path, 1, f"cannot read this file: {type(error).__name__}")


def _parse(data: bytes, kind: str, shown_path: str, parsed: FrontMatters) -> RawFile | Problem:
    sha256 = "sha256:" + hashlib.sha256(data).hexdigest()
    entry = front_matter_entry(sha256, kind, shown_path)
    known = parsed.get(entry)
    if known is not None:  # the same bytes as a build before: its front matter as it was
        meta, lines, body_start, body_line = known
        text = data.decode("utf-8-sig")
        source = Source(shown_path, dict(lines), sha256)
        return RawFile(kind, source, meta, text[body_start:], body_line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = 1 + data[: error.start].count(b"\n")
        return Problem(shown_path, line, "not UTF-8 text: save the file as UTF-8")
    match = FRONT_MATTER.match(text)
    if not match:
        if text.startswith("---"):
            return Problem(shown_path, 1, "front matter not closed: add a line of three dashes")
        return Problem(shown_path, 1, "no front matter: start the file with a line of three dashes")
    block = match.group(1)
    try:
        meta = _yaml.load(block, Loader=_Loader)
    except yaml.YAMLError as error:
        return _yaml_problem(shown_path, error)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Problem(shown_path, 2, "front matter must be `key: value` lines")
    lines = {m[1]: 2 + block.count("\n", 0, m.start()) for m in TOP_LEVEL_KEY.finditer(block)}
    body_line = 1 + text.count("\n", 0, match.end())
    # Kept as it is: the field checks only read front matter (their lists are new ones).
    parsed[entry] = (meta, dict(lines), match.end(), body_line)
    return RawFile(kind, Source(shown_path, lines, sha256), meta, text[match.end() :], body_line)


def _yaml_problem(path: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 2 if mark else 2  # +1 for 1-based, +1 for the opening dashes
    reason = getattr(error, "problem", None) or str(error).splitlines()[0]
    return Problem(path, line, f"bad YAML in front matter: {reason[:200]}")


def front_matter_entry(sha256: str, kind: str, shown_path: str) -> str:
    """A file's place in FrontMatters: its bytes, and its kind and path (what is checked)."""
    return f"{sha256} {kind} {shown_path}"


def _shown(real_folder: str, folder: Path, root: Path) -> str:
    """A folder as messages show it (see _relative), from its real path."""
    try:
        return Path(real_folder).relative_to(root).as_posix()
    except ValueError:
        return folder.as_posix()


def _relative(path: Path, root: Path) -> str:
    """The path as messages show it, relative to the project; a symlink is named as itself,
    never as the file it points to."""
    try:
        return (Path(os.path.realpath(path.parent)) / path.name).relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
