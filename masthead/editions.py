"""`edition N`: find one built edition (docs/editions.md) in the output directory."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .project import shown

FILES = {"text": "email.txt", "html": "email.html", "eml": "email.eml"}


def edition_dir(output: Path, number: int) -> Path:
    """output/editions/<number>/, or a UsageError saying to build first."""
    folder = output / "editions" / str(number)
    if (folder / "edition.json").is_file():
        return folder
    if not (output / "editions").is_dir():
        raise UsageError(f"no editions in {shown(output)} yet: run `publish.py build` first")
    built = sorted(int(p.name) for p in (output / "editions").iterdir() if p.name.isdigit())
    known = ", ".join(map(str, built)) or "none"
    raise UsageError(
        f"no edition of issue {number} in {shown(output / 'editions')} (built: {known}): "
        "check the number, or run `publish.py build` (`--drafts` for a draft issue)"
    )


def edition_file(output: Path, number: int, kind: str) -> Path:
    """One file of an edition: kind is text, html or eml."""
    path = edition_dir(output, number) / FILES[kind]
    if not path.is_file():
        raise UsageError(f"{shown(path)} is missing: run `publish.py build` again")
    return path
