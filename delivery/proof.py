"""Has the editor looked at this build? output/proofs/<number>/proof.json (written by
`publish.py proof N`, after its sheet) names the bodies it proofed; the send compares them
with edition.json's and says so when they differ. Only the files: no build code here."""

from __future__ import annotations

import json
from pathlib import Path

from .settings import SendSettings

PROOFED = ("email.html", "email.txt")  # the bodies every subscriber gets


def proof_note(settings: SendSettings, number: int) -> str | None:
    """A line for the editor when edition `number` has no proof sheet for this build."""
    sheet = settings.output_path / "proofs" / str(number) / "index.html"
    proofed = _hashes(sheet.with_name("proof.json"))
    built = _hashes(settings.edition_dir(number) / "edition.json")
    if built is None or proofed == built:
        return None  # no edition: loading it says what to do
    if proofed is None or not sheet.is_file():
        return (
            f"note: edition {number} has no proof sheet: `publish.py proof {number}` writes "
            f"{sheet} to look over before a send"
        )
    return (
        f"note: the proof sheet {sheet} is of an earlier build of edition {number}: "
        f"run `publish.py proof {number}` again and look it over"
    )


def _hashes(path: Path) -> dict[str, str] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    hashes = meta.get("hashes") if isinstance(meta, dict) else None
    if not isinstance(hashes, dict):
        return None
    return {name: str(hashes.get(name)) for name in PROOFED}
