"""Helpers for the CLI tests: a small newsletter in a temporary project directory, with
its own settings file, driven through publish.py's click group."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publish import cli
from tests.conftest import MINIMAL, ROOT, write_tree

SETTINGS = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from pelicanconf import *  # the repository's settings, with this directory's content

PATH = "content"
OUTPUT_PATH = "output"
THEME = {str(ROOT / "theme")!r}
PLUGIN_PATHS = [{str(ROOT / "plugins")!r}]
"""


@dataclass
class Newsletter:
    """A project directory: settings.py, content/ (MINIMAL), output/ after a build."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def run(self, *args: str) -> Result:
        """publish.py --settings settings.py ARGS, stdout and stderr kept apart."""
        return CliRunner().invoke(cli, ["--settings", "settings.py", *args])

    def write(self, files: dict[str, str | None]) -> None:
        write_tree(self.root, files)


def make_newsletter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Newsletter:
    """MINIMAL and a settings file in tmp_path, which becomes the working directory."""
    write_tree(tmp_path, MINIMAL)
    (tmp_path / "settings.py").write_text(SETTINGS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return Newsletter(tmp_path)


def write_edition(output: Path, number: int, **changes: str) -> Path:
    """An edition directory as docs/editions.md describes it (the email branch writes the
    real ones); `changes` replaces file contents after the hashes are taken."""
    folder = output / "editions" / str(number)
    folder.mkdir(parents=True)
    files = {
        "email.html": f"<html><body><p>Issue {number}</p></body></html>\n",
        "email.txt": f"Front Line #{number}\n\nHello.\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    hashes = {n: "sha256:" + hashlib.sha256(t.encode()).hexdigest() for n, t in files.items()}
    meta = {"format": 1, "number": number, "files": {}, "hashes": hashes}
    (folder / "edition.json").write_text(json.dumps(meta), encoding="utf-8")
    for name, text in changes.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def one_line_error(result: Result, code: int) -> str:
    """The command failed with `code`, saying so in one line, with no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: "), result.stderr
    return lines[-1]
