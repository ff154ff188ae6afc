"""Email editions inside a real cold build: ms per edition and per phase.

    .venv/bin/python bench/edition_site_bench.py [--issues 400] [--workers 1]

Generates build_bench.py's archive of N issues (5 articles each, series, events), builds it
with `masthead.build.build(..., cache=False)` and prints the build's own edition timers
divided by the editions made (issue and series-part editions). Unlike edition_bench.py the
editions are the generator's real ones, written to disk. `--workers 1` keeps the work in one
process (per-edition cost); the default of the build spreads it over the cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "plugins")]

import build_bench  # noqa: E402
import build_table  # noqa: E402

from masthead.build import build  # noqa: E402
from newsletter import timing  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="masthead-editions-") as tmp:
        items, series = build_bench.generate(args.issues)
        site = Path(tmp) / "site"
        settings = build_table.masthead_project(site, build_bench.write_masthead, items, series)
        timing.reset()
        start = time.perf_counter()
        extra = {"NEWSLETTER_WORKERS": args.workers, "NEWSLETTER_SEARCH": False}
        build(settings, output=site / "output", cache=False, extra=extra)
        total = time.perf_counter() - start
    phases = timing.totals()
    editions = phases["edition: bodies"][2]
    print(f"{args.issues} issues: {editions} editions, build {total:.1f} s, ms per edition:")
    for name, (wall, cpu, _count) in phases.items():
        if name.startswith("edition"):
            print(
                f"  {name:<30} {1000 * wall / editions:6.2f} wall {1000 * cpu / editions:6.2f} CPU"
            )


if __name__ == "__main__":
    main()
