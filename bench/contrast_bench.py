"""Count the texts of every email edition below WCAG AA contrast, light and dark scheme.

    .venv/bin/python bench/contrast_bench.py [--output DIR]

Builds the sample (drafts too) into DIR (default: a temporary directory) unless DIR already
holds editions, opens each email.html in headless Debian chromium with the light and then the
dark colour scheme emulated, and prints the texts below AA and the counts per scheme.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from masthead import build as site  # noqa: E402
from masthead.contrast import below_aa, text_contrast  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def measure(editions: Path, verbose: bool) -> dict[str, tuple[int, int]]:
    """scheme -> (texts below AA, texts measured), over every edition."""
    from playwright.sync_api import sync_playwright

    totals = {"light": [0, 0], "dark": [0, 0]}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 600, "height": 900})
        page.route("**/*", lambda route: route.abort())  # the edition alone, offline
        for html in sorted(editions.glob("*/email.html"), key=lambda p: int(p.parent.name)):
            for scheme in totals:
                page.emulate_media(color_scheme=scheme)
                page.set_content(html.read_text(encoding="utf-8"))
                failing = below_aa(page)
                totals[scheme][0] += len(failing)
                totals[scheme][1] += len(text_contrast(page))
                for text in failing if verbose else []:
                    print(f"  edition {html.parent.name} {scheme}: {text}")
        browser.close()
    return {scheme: (below, seen) for scheme, (below, seen) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="a built output directory to measure")
    parser.add_argument("--quiet", action="store_true", help="counts only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contrast-bench-") as scratch:
        output = args.output or Path(scratch) / "output"
        if not (output / "editions").is_dir():
            site.build(ROOT / "pelicanconf.py", output, drafts=True)
        for scheme, (below, seen) in measure(output / "editions", not args.quiet).items():
            print(f"{scheme}: {below} of {seen} texts below WCAG AA")


if __name__ == "__main__":
    main()
