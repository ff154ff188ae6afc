"""Read content/issues, content/articles and content/series into raw front matter and bodies.

Only reading and YAML errors live here; field rules are in `validate.py`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from .model import Source
from .problems import Problem

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.M)
KINDS = ("series", "articles", "issues")

_yaml = YAMLHandler()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML without implicit dates: `date: 2025-13-01` must be a field error naming its
    line, not a constructor crash, so dates stay text until `Fields.date` checks them."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


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


def read_kind(content_dir: Path, kind: str, root: Path) -> tuple[list[RawFile], list[Problem]]:
    """Every `*.md` file of one kind, sorted by name, and the problems reading them."""
    files, problems = [], []
    root = root.resolve()
    for path in sorted((content_dir / kind).glob("*.md")):
        result = read_file(path, kind, _relative(path, root))
        (files if isinstance(result, RawFile) else problems).append(result)
    return files, problems


def read_file(path: Path, kind: str, shown_path: str) -> RawFile | Problem:
    data = path.read_bytes()
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
    source = Source(shown_path, lines, "sha256:" + hashlib.sha256(data).hexdigest())
    return RawFile(kind, source, meta, text[match.end() :], body_line)


def _yaml_problem(path: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 2 if mark else 2  # +1 for 1-based, +1 for the opening dashes
    reason = getattr(error, "problem", None) or str(error).splitlines()[0]
    return Problem(path, line, f"bad YAML in front matter: {reason}")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
