"""What smart typography costs per body: Python-Markdown's `smarty` versus typography.py's
FastSmarty (the same output, tests/test_typography.py) versus none.

    .venv/bin/python bench/typography_bench.py [--issues 80] [--repeat 7]

Bodies: build_bench.py's generated articles (~250 words, no quotes) and the sample
newsletter's issues, articles and series (content/: apostrophes, quotes, dashes). Each body
is parsed as the loader parses it (`plaintext.parse`: HTML and tree, extra + typography);
the three parsers take turns and the best of `--repeat` runs is kept, in ms per body.
"pass" is the typography treeprocessor's own time (its run() timed inside the parse), the
figure compared; "whole body" is the full parse against the parse without typography.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

import build_bench  # noqa: E402
import markdown  # noqa: E402

from newsletter import typography  # noqa: E402
from newsletter.plaintext import markdown_parser, parse  # noqa: E402
from newsletter.reader import KINDS, read_kind  # noqa: E402

EXTRA = {"markdown.extensions.extra": {}}
SMARTY = {"markdown.extensions.smarty": {}}


def parsers() -> dict[str, markdown.Markdown]:
    """smarty, ours and none; smarty is forced by hiding the verified Markdown release."""
    verified = typography.VERIFIED_MARKDOWN
    typography.VERIFIED_MARKDOWN = frozenset()
    real = markdown_parser({"extension_configs": {**EXTRA, **SMARTY}})
    typography.VERIFIED_MARKDOWN = verified
    fast = markdown_parser({"extension_configs": {**EXTRA, **SMARTY}})
    assert isinstance(fast.treeprocessors["smarty"], typography.FastSmarty)
    assert not isinstance(real.treeprocessors["smarty"], typography.FastSmarty)
    return {
        "smarty": real,
        "FastSmarty": fast,
        "none": markdown_parser({"extension_configs": EXTRA}),
    }


class Timed:
    """A treeprocessor's run(), timed: the seconds it took since the last reset."""

    def __init__(self, md: markdown.Markdown):
        self.processor, self.seconds = md.treeprocessors["smarty"], 0.0
        self.run = self.processor.run
        self.processor.run = self

    def __call__(self, root):
        start = time.perf_counter()
        try:
            return self.run(root)
        finally:
            self.seconds += time.perf_counter() - start


def best_ms(mds: dict[str, markdown.Markdown], bodies: list[str], repeat: int) -> dict:
    """Best ms per body of each parser, whole parse and typography pass; the parsers take
    turns, so a busy moment hits all three."""
    timers = {name: Timed(md) for name, md in mds.items() if name != "none"}
    best = {name: [float("inf"), float("inf")] for name in mds}
    for _ in range(repeat):
        for name, md in mds.items():
            if name in timers:
                timers[name].seconds = 0.0
            start = time.perf_counter()
            for body in bodies:
                parse(md, body)
            total = time.perf_counter() - start
            passed = timers[name].seconds if name in timers else 0.0
            best[name] = [min(best[name][0], total), min(best[name][1], passed)]
    return {name: [1000 * s / len(bodies) for s in pair] for name, pair in best.items()}


def report(label: str, ms: dict) -> None:
    none = ms["none"][0]
    print(f"\n{label}")
    print(f"  {'parser':<12} {'ms/body':>8} {'pass ms':>8} {'vs none':>8}")
    for name, (whole, passed) in ms.items():
        print(f"  {name:<12} {whole:>8.3f} {passed:>8.3f} {whole / none:>7.2f}x")
    slow, fast = ms["smarty"][1], ms["FastSmarty"][1]
    print(
        f"  pass: FastSmarty {fast:.3f} ms against smarty {slow:.3f} ms "
        f"({fast / slow:.1%}, {slow / fast:.0f}x less); "
        f"whole body {ms['smarty'][0] / ms['FastSmarty'][0]:.2f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=80, help="generated issues (5 bodies each)")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best is kept")
    args = parser.parse_args()
    mds = parsers()
    generated = [item.body for item in build_bench.generate(args.issues)[0]]
    sample = [raw.body for kind in KINDS for raw in read_kind(ROOT / "content", kind, ROOT)[0]]
    print(f"Python {sys.version.split()[0]}, Markdown {markdown.__version__}, ", end="")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, best of {args.repeat}")
    report(f"build_bench bodies ({len(generated)})", best_ms(mds, generated, args.repeat))
    report(f"sample content/ bodies ({len(sample)})", best_ms(mds, sample, args.repeat))


if __name__ == "__main__":
    main()
