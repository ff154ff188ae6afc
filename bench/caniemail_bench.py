"""Measure the email editions against caniemail.com's data, per email client.

    .venv/bin/python bench/caniemail_bench.py [--output DIR] [--features]

Builds the sample (drafts too) into DIR (default: a temporary directory) unless DIR already
holds editions, then runs bench/caniemail/check.mjs (node, the npm package `caniemail`) on
every email.html. The package is installed with npm from the npm registry into
bench/caniemail/node_modules (git-ignored) when missing. For each client it prints the
features caniemail lists as not supported and as partly supported, counted once per
feature (and how often they occur over all editions); --features names them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from masthead import build as site  # noqa: E402

PACKAGE_DIR = ROOT / "bench" / "caniemail"
CLIENTS = {
    "gmail.desktop-webmail": "Gmail (web)",
    "gmail.ios": "Gmail (iOS)",
    "gmail.android": "Gmail (Android)",
    "gmail.mobile-webmail": "Gmail (mobile web)",
    "outlook.windows": "Outlook (Windows)",
    "outlook.windows-mail": "Outlook (Windows Mail)",
    "outlook.macos": "Outlook (macOS)",
    "outlook.ios": "Outlook (iOS)",
    "outlook.android": "Outlook (Android)",
    "outlook.outlook-com": "Outlook.com",
    "apple-mail.macos": "Apple Mail (macOS)",
    "apple-mail.ios": "Apple Mail (iOS)",
    "yahoo.desktop-webmail": "Yahoo (web)",
    "yahoo.ios": "Yahoo (iOS)",
    "yahoo.android": "Yahoo (Android)",
}


def install() -> None:
    """npm install of the pinned package.json, once (node_modules is git-ignored)."""
    if (PACKAGE_DIR / "node_modules" / "caniemail" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("caniemail_bench: npm not found (apt-get install npm)")
    print("installing caniemail from the npm registry into bench/caniemail/node_modules")
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--registry", "https://registry.npmjs.org/"],
        cwd=PACKAGE_DIR,
        check=True,
    )


def check(files: list[Path]) -> dict:
    """check.mjs's report: {file: {client: {unsupported, partial, unknown}}}."""
    command = ["node", str(PACKAGE_DIR / "check.mjs"), ",".join(CLIENTS), *map(str, files)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def per_client(report: dict) -> dict[str, dict[str, Counter]]:
    """client -> kind -> Counter(feature: occurrences over every edition)."""
    totals: dict[str, dict[str, Counter]] = {}
    for clients in report.values():
        for client, kinds in clients.items():
            into = totals.setdefault(client, {"unsupported": Counter(), "partial": Counter()})
            for kind in into:
                into[kind].update(kinds[kind])
    return totals


def show(totals: dict[str, dict[str, Counter]], editions: int, features: bool) -> None:
    print(f"{editions} editions; features (occurrences) caniemail lists per client:")
    print(f"{'client':26} {'not supported':>18} {'partial':>16}")
    for client, name in CLIENTS.items():
        kinds = totals[client]
        cells = [f"{len(kinds[k])} ({sum(kinds[k].values())})" for k in ("unsupported", "partial")]
        print(f"{name:26} {cells[0]:>18} {cells[1]:>16}")
        if features and kinds["unsupported"]:
            print("    not supported: " + ", ".join(sorted(kinds["unsupported"])))
    every = set.intersection(*(set(t["unsupported"]) for t in totals.values()))
    print("not supported anywhere above: " + (", ".join(sorted(every)) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="a built output directory to measure")
    parser.add_argument("--features", action="store_true", help="name unsupported features")
    args = parser.parse_args()
    install()
    with tempfile.TemporaryDirectory(prefix="caniemail-bench-") as scratch:
        output = args.output or Path(scratch) / "output"
        if not (output / "editions").is_dir():
            site.build(ROOT / "pelicanconf.py", output, drafts=True)
        files = sorted((output / "editions").glob("*/email.html"))
        show(per_client(check(files)), len(files), args.features)


if __name__ == "__main__":
    main()
