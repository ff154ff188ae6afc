"""`publish.py proof N`: the sign-off sheet, with and without a browser, and the send's note
when the edition has no proof sheet for its build."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from masthead.proof_checks import edition_checks
from tests.conftest import ARTIFACTS

LINKS = """---
title: A workshop on handoffs
issue: 2
section: Events
register: https://example.org/register
---
Bring [the checklist]({ok}) and skip [the old one]({gone}); [nobody answers]({unreachable}).
Also [a page we never wrote](/issues/99/) and [issue one](/issues/1/).

![The room, set for twelve](/images/room.png)
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001aab3e3a30000000049454e44ae426082"
)


@pytest.fixture
def proofed(editor, serve, tmp_path: Path):
    """MINIMAL with issue 2 holding external links to a local web server, built."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "ok.html").write_text("<p>ok</p>")
    base = serve(tmp_path / "site")
    editor.write(
        {
            "articles/workshop.md": LINKS.format(
                ok=f"{base}/ok.html",
                gone=f"{base}/gone.html",
                unreachable="http://nowhere.invalid/",
            )
        }
    )
    (editor.content / "images").mkdir()
    (editor.content / "images" / "room.png").write_bytes(PNG)
    assert editor.run("build").exit_code == 0
    editor.base = base
    return editor


def _row(sheet: str, url: str) -> str:
    """The links table row of `url` (the sheet is ours: its rows are one line each)."""
    start = sheet.index(f'<td class="url">{url}</td>')
    return sheet[start : sheet.index("</tr>", start)]


def _png_width(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


@pytest.mark.browser
def test_proof_sheet_holds_everything_to_sign_off(proofed):
    from tests.conftest import chromium_path

    chromium_path()  # skips, or fails under CI, without a browser
    result = proofed.run("proof", "2", "--timeout", "2")
    assert result.exit_code == 0, result.output
    folder = proofed.output / "proofs" / "2"
    assert result.stdout == "Proof sheet: output/proofs/2/index.html (7 of 8 checks passed)\n"
    assert "warning: Links: " in result.stderr and "2 broken" in result.stderr
    sheet = (folder / "index.html").read_text()
    # The inbox list: From, subject, preheader.
    assert (
        "Front Line #2: Listening, again" in sheet
        and '<span class="from">Front Line</span>' in sheet
    )
    # Screenshots at both widths, both schemes, saved for the record too.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 600):
        for scheme in ("light", "dark"):
            shot = folder / f"email-{width}-{scheme}.png"
            assert _png_width(shot) == width and f'src="{shot.name}"' in sheet
            shutil.copy(shot, ARTIFACTS / f"proof-{shot.name}")
    # Every link with its result.
    assert "200 OK" in _row(sheet, f"{proofed.base}/ok.html")
    assert "404" in _row(sheet, f"{proofed.base}/gone.html")
    assert "not checked" in _row(sheet, "http://nowhere.invalid/")
    assert "missing from the build" in _row(sheet, "https://frontline.example.org/issues/99/")
    assert "in the build" in _row(sheet, "https://frontline.example.org/issues/1/")
    assert "in the build" in _row(sheet, "https://frontline.example.org/images/room.png")
    assert "subscription service" in _row(
        sheet, "https://frontline.example.org/service/unsubscribe?token=sample-token-not-valid"
    )
    # Size, headers, the text part, the checks.
    assert "Gmail hides the rest" in sheet and "KB of HTML" in sheet
    assert "List-Unsubscribe-Post" in sheet and "reader@example.org" in sheet
    assert "A WORKSHOP ON HANDOFFS" in sheet  # the text part
    for name in ("Alt text", "List-Unsubscribe", "Subject not in capitals", "Not image-only",
                 "Contrast, dark scheme"):  # fmt: skip
        assert f'<th scope="row">{name}</th><td class="ok">passed' in sheet, name
    assert "%%" not in sheet
    proof = json.loads((folder / "proof.json").read_text())
    edition = json.loads((proofed.output / "editions/2/edition.json").read_text())
    assert proof["hashes"] == {n: edition["hashes"][n] for n in ("email.html", "email.txt")}
    assert proof["failed"] == ["Links"]


def test_without_a_browser_the_sheet_says_so_and_lists_the_rest(proofed, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no chromium to find
    result = proofed.run("proof", "2", "--offline")
    assert result.exit_code == 0, result.output
    assert "No browser found" in result.stderr
    folder = proofed.output / "proofs" / "2"
    sheet = (folder / "index.html").read_text()
    assert "No browser found (install Debian&#39;s chromium)" in sheet
    assert not list(folder.glob("*.png"))
    assert "not checked (--offline)" in _row(sheet, f"{proofed.base}/ok.html")
    assert "missing from the build" in _row(sheet, "https://frontline.example.org/issues/99/")
    assert "A WORKSHOP ON HANDOFFS" in sheet and "List-Unsubscribe" in sheet


def test_proof_of_an_edition_not_built_is_one_line(editor):
    result = editor.run("proof", "2")
    assert result.exit_code == 2 and "run `publish.py build` first" in result.stderr


def test_checks_catch_capitals_images_alone_and_missing_alt():
    html = (
        '<html><body><p>Look</p><img src="https://x/a.png">'
        '<img src="https://x/b.png" alt="B"></body></html>'
    )
    headers = {"List-Unsubscribe": "<mailto:a@example.org>"}
    checks = {c.name: c for c in edition_checks(html, headers, "Front Line #3: BIG NEWS TODAY", [])}
    assert not checks["Alt text"].ok and "https://x/a.png" in checks["Alt text"].detail
    assert not checks["List-Unsubscribe"].ok
    assert not checks["Subject not in capitals"].ok
    assert not checks["Not image-only"].ok
    assert checks["Under Gmail's clipping size"].ok


def test_send_mentions_a_missing_or_stale_proof_sheet(proofed, monkeypatch, tmp_path):
    monkeypatch.setenv("MASTHEAD_SECRET", "x" * 32)
    monkeypatch.setenv("PATH", "/nonexistent")  # quick: no screenshots needed here
    assert proofed.run("subscribers", "add", "ada@example.org").exit_code == 0

    def dry_run():
        maildir = tmp_path / f"maildir-{len(list(tmp_path.glob('maildir-*')))}"
        result = proofed.run("send", "2", "--dry-run", "--maildir", str(maildir))
        assert result.exit_code == 0, result.output
        return result.stderr

    assert "edition 2 has no proof sheet: `publish.py proof 2`" in dry_run()
    assert proofed.run("proof", "2", "--offline").exit_code == 0
    assert "proof" not in dry_run()
    proofed.write({"issues/002.md": "---\nnumber: 2\ndate: 2025-01-14\n---\nChanged.\n"})
    assert proofed.run("build").exit_code == 0
    assert "is of an earlier build of edition 2" in dry_run()
