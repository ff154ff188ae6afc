"""What the hostile-input guards cost per body: Markdown alone versus the per-file render
(limits, Markdown, nh3 sanitiser and the before/after walk that reports removals).

    .venv/bin/python bench/sanitise_bench.py [--repeat 7]

Bodies: the sample newsletter's issues, articles and series (content/), and the same bodies
with a block of raw HTML appended (a table, an image, a link, one removed <script>), so the
sanitiser has something to do. Best of `--repeat` runs, milliseconds per body.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

import pelicanconf  # noqa: E402
from newsletter.body import render_body  # noqa: E402
from newsletter.plaintext import markdown_parser, parse  # noqa: E402
from newsletter.reader import KINDS, read_kind  # noqa: E402

RAW_HTML = """

<table><tr><th>Team</th><th>Hours</th></tr><tr><td>North</td><td>120</td></tr></table>
<p><img src="https://example.org/chart.png" alt="Chart"> <a href="https://example.org/">More</a></p>
<script>alert(1)</script>
"""


def best(works: list, items, repeat: int) -> list[float]:
    """Best time per item of each work; the works take turns, so a busy moment on a shared
    machine falls on both."""
    runs: list[list[float]] = [[] for _ in works]
    for _ in range(repeat):
        for work, times in zip(works, runs, strict=True):
            started = time.perf_counter()
            for item in items:
                work(item)
            times.append(time.perf_counter() - started)
    return [min(times) / len(items) * 1000 for times in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    md = markdown_parser(pelicanconf.MARKDOWN)
    bodies = [f for kind in KINDS for f in read_kind(ROOT / "content", kind, ROOT)[0]]
    with_html = [replace(f, body=f.body + RAW_HTML) for f in bodies]
    print(f"{len(bodies)} bodies from content/, best of {args.repeat}, ms per body")
    for label, files in (("sample bodies", bodies), ("with raw HTML", with_html)):
        works = [lambda f: parse(md, f.body), lambda f: render_body(md, f)]
        markdown, guarded = best(works, files, args.repeat)
        print(
            f"  {label:14} Markdown {markdown:.2f}  guarded render {guarded:.2f}  "
            f"ratio {guarded / markdown:.2f}"
        )


if __name__ == "__main__":
    main()
