"""`proof N`: output/proofs/N/index.html, the one page an editor signs off before `send N`.

It shows the edition as the inbox and the reader get it (a sample subscriber's copy):
From, subject and preheader as an inbox list shows them; screenshots at 375 and 600 px in
light and dark (headless Chromium; without one the sheet says so and shows the rest); the
text part; every link with its result; the size against Gmail's clip; the headers; and the
checks of proof_checks.py. proof.json beside it records which build was proofed, so the send
(which never imports this code) can say when the edition it sends has no proof sheet.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import os
import shutil
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

import jinja2

from .contrast import below_aa
from .editions import edition_dir
from .project import Project
from .proof_checks import Check, Link, Site, check_links, edition_checks, links_of
from .subscriber_view import localised, sample_copy

from newsletter.message import SAMPLE_RECIPIENT, fill, sample_values  # isort: skip

PROOF_JSON = "proof.json"
WIDTHS = (375, 600)
SCHEMES = ("light", "dark")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Shot:
    width: int
    scheme: str
    file: str  # beside index.html


@dataclass
class ProofSheet:
    number: int
    path: Path
    checks: list[Check]
    links: list[Link]
    shots: list[Shot] = field(default_factory=list)
    browser_note: str = ""

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


def make_proof(
    project: Project,
    number: int,
    chromium: str | None,
    timeout: float = 3.0,
    offline: bool = False,
) -> ProofSheet:
    """Write output/proofs/<number>/ (index.html, screenshots, email.html, proof.json)."""
    folder = edition_dir(project.output, number)
    meta, html, text = sample_copy(folder)
    public = str(project.setting("public_url"))
    site = Site(project.output, public, str(project.newsletter.get("service_url") or ""))
    into = project.output / "proofs" / str(number)
    into.mkdir(parents=True, exist_ok=True)
    (into / "email.html").write_text(localised(html, into, public), encoding="utf-8")
    headers = _headers(meta)
    links = check_links(links_of(html), site, timeout, offline)
    sheet = ProofSheet(
        number,
        into / "index.html",
        edition_checks(html, headers, str(meta.get("subject", "")), links),
        links,
    )
    _screenshots(sheet, into, chromium)
    _write(sheet, meta, headers, html, text)
    _write_json(into / PROOF_JSON, meta, sheet)
    return sheet


def _headers(meta: dict) -> dict[str, str]:
    values = sample_values(str(meta.get("unsubscribe_url_template") or "{token}"))
    return {str(k): fill(str(v), values) for k, v in (meta.get("headers") or {}).items()}


def _screenshots(sheet: ProofSheet, into: Path, chromium: str | None) -> None:
    """Full-page shots of proofs/N/email.html; contrast of every text at 600 px, per scheme."""
    if chromium is None:
        sheet.browser_note = (
            "No browser found (install Debian's chromium): no screenshots or contrast check. "
            "Everything else on this sheet was checked."
        )
        return
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        sheet.browser_note = "Playwright is not installed: no screenshots (run `make build`)."
        return

    def run() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                _shoot(browser.new_page(), sheet, into)
            finally:
                browser.close()

    # A thread of its own: Playwright's sync API refuses to start in a thread that already
    # runs it (a caller's own browser session, as the tests have).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(run).result()
        except Error as error:
            sheet.browser_note = f"Chromium failed ({str(error).splitlines()[0]}): no screenshots."


def _shoot(page, sheet: ProofSheet, into: Path) -> None:
    # The edition's own files only: external images stay out, as many inboxes block them.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())  # fmt: skip
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto((into / "email.html").as_uri())
            name = f"email-{width}-{scheme}.png"
            page.screenshot(path=str(into / name), full_page=True)
            sheet.shots.append(Shot(width, scheme, name))
        below = below_aa(page)  # at 600 px, the last width
        detail = "every text meets WCAG AA" if not below else "; ".join(map(str, below[:5]))
        sheet.checks.append(Check(f"Contrast, {scheme} scheme", not below, detail))


def _write(sheet: ProofSheet, meta: dict, headers: dict[str, str], html: str, text: str) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    name, address = parseaddr(headers.get("From", ""))
    page = env.get_template("proof.html.j2").render(
        sheet=sheet,
        meta=meta,
        headers=headers,
        sender=name or address,
        address=address,
        recipient=SAMPLE_RECIPIENT,
        size=len(html.encode("utf-8")),
        text=text,
        made=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    _replace(sheet.path, page)


def _write_json(path: Path, meta: dict, sheet: ProofSheet) -> None:
    """Last, after the sheet: the send trusts a proof.json only with its sheet beside it."""
    hashes = meta.get("hashes") or {}
    record = {
        "format": 1,
        "number": sheet.number,
        # What the send compares with edition.json: the bodies every subscriber gets.
        "hashes": {name: hashes.get(name) for name in ("email.html", "email.txt")},
        "made_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "failed": [check.name for check in sheet.failed],
    }
    _replace(path, json.dumps(record, indent=2) + "\n")


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
