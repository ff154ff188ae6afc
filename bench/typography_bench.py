"""What smart typography costs per body: Python-Markdown's `smarty` versus typography.py's
FastSmarty (the same output, tests/test_typography.py) versus none.

    .venv/bin/python bench/typography_bench.py [--issues 80] [--repeat 7]

Bodies: build_bench.py's generated articles (~250 words, no quotes) and the sample
newsletter's issues, articles and series (content/: apostrophes, quotes, dashes). Each body
is parsed as the loader parses it (`plaintext.parse`: HTML and tree, extra + typography);
the three parsers take turns and the best of `--repeat` runs is kept, in ms per body.
"typography" is a parser's time minus the time without typography.
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


def best_ms(mds: dict[str, markdown.Markdown], bodies: list[str], repeat: int) -> dict[str, float]:
    """Best ms per body of each parser; they take turns, so a busy moment hits all three."""
    best = dict.fromkeys(mds, float("inf"))
    for _ in range(repeat):
        for name, md in mds.items():
            start = time.perf_counter()
            for body in bodies:
                parse(md, body)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: 1000 * seconds / len(bodies) for name, seconds in best.items()}


def report(label: str, ms: dict[str, float]) -> None:
    none = ms["none"]
    slow, fast = ms["smarty"] - none, ms["FastSmarty"] - none
    print(f"\n{label}")
    print(f"  {'parser':<12} {'ms/body':>8} {'typography ms':>14}")
    for name, value in ms.items():
        print(f"  {name:<12} {value:>8.3f} {value - none:>14.3f}")
    print(
        f"  typography: FastSmarty costs {fast / slow:.1%} of smarty "
        f"({slow / max(fast, 1e-9):.0f}x less); "
        f"a whole body {ms['smarty'] / ms['FastSmarty']:.2f}x faster"
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
