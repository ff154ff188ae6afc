"""`edition N`: find one built edition (docs/editions.md) in the output directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError
from .project import shown

from newsletter.message import sample_message  # isort: skip  (plugins/ is on sys.path now)

FILES = {"text": "email.txt", "html": "email.html"}


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
    """One file of an edition: kind is text or html."""
    path = edition_dir(output, number) / FILES[kind]
    if not path.is_file():
        raise UsageError(f"{shown(path)} is missing: run `publish.py build` again")
    return path


def read_edition(folder: Path) -> tuple[dict[str, Any], str, str]:
    """edition.json, email.html and email.txt of the edition in `folder`, the bodies as
    the build wrote them (no newline translation)."""
    try:
        meta = json.loads((folder / "edition.json").read_text(encoding="utf-8"))
        html = (folder / "email.html").read_bytes().decode("utf-8")
        text = (folder / "email.txt").read_bytes().decode("utf-8")
    except (OSError, ValueError) as error:
        raise UsageError(f"{shown(folder)}: cannot read the edition ({error}): rebuild") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{shown(folder / 'edition.json')} is not a JSON object: rebuild")
    return meta, html, text


def sample_eml(folder: Path) -> bytes:
    """The edition in `folder` as one complete MIME message for a sample reader: made on
    request from the built files (the build writes no email.eml), the same bytes every time."""
    meta, html, text = read_edition(folder)
    try:
        return sample_message(meta, text, html)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise UsageError(
            f"{shown(folder / 'edition.json')} lacks what a message needs ({error!r}): rebuild"
        ) from None
