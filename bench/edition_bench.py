"""Time email editions: 100 generated issues of 5 articles, through write_editions.

    .venv/bin/python bench/edition_bench.py [--issues 100] [--articles 5] [--repeat 3]

Prints milliseconds per edition for the whole write_editions call (render + write) and
per phase (timing.py: its timers run in the forked workers too and are added up in the
parent), so a slow template, text part or message shows up. `--workers 1` keeps it in one
process.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from newsletter import plaintext, timing  # noqa: E402
from newsletter.edition import write_editions  # noqa: E402
from newsletter.model import Article, Event, Issue, Newsletter, Series, Source  # noqa: E402

EXTENSIONS = {"markdown.extensions.extra": {}, "markdown.extensions.smarty": {}}
PARAGRAPH = (
    "Teams that answer the phone on the first ring still lose customers when nobody owns "
    "the follow-up. See [the earlier piece](/issues/{prev}/article-{prev}-1/) and "
    "[a guide](https://example.com/guide/{n}) for the *details*; the **short** version is "
    "that one named person per account does more than any script."
)
BODY = "\n\n".join(
    [PARAGRAPH] * 4
    + ["## What to try", "* Name an owner\n* Write it down\n* Check in a week", PARAGRAPH] * 2
)


def _source(root: Path, path: str, text: str) -> Source:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text, encoding="utf-8")
    return Source(path)


def generate(root: Path, issues: int, per_issue: int) -> Newsletter:
    # Parsed as the loader parses: one pass gives the web HTML and the tree the text walks.
    md = plaintext.markdown_parser({"extension_configs": EXTENSIONS})
    series = Series(
        "steady", "STEADY", None, [f"Part {n}" for n in range(1, issues + 1)], "x", "<p>x</p>",
        _source(root, "content/series/steady.md", "x"),
    )  # fmt: skip
    all_issues, articles = [], []
    for n in range(1, issues + 1):
        welcome = f"Welcome to issue {n}. Last time: [issue {n - 1}](/issues/{max(n - 1, 1)}/)."
        issue = Issue(
            n, datetime.date(2020, 1, 1) + datetime.timedelta(weeks=n), None, None, "published",
            None, welcome, "", _source(root, f"content/issues/{n:03}.md", welcome),
        )  # fmt: skip
        issue.welcome_html, issue.welcome_parsed = plaintext.parse(md, welcome)
        for k in range(1, per_issue + 1):
            body = BODY.format(prev=max(n - 1, 1), n=n)
            article = Article(
                f"article-{n}-{k}", f"Article {k} of issue {n}", n, ["A. Writer"],
                "Events" if k == per_issue else "Features", [], None,
                "steady" if k == 1 else None, n if k == 1 else None,
                Event(issue.date, "Hall", "https://example.com/r") if k == per_issue else None,
                body, "", _source(root, f"content/articles/article-{n}-{k}.md", body),
            )  # fmt: skip
            article.body_html, article.body_parsed = plaintext.parse(md, body)
            article.issue, article.series = issue, series if k == 1 else None
            if k == 1:
                series.articles[n] = article
            issue.articles.append(article)
            articles.append(article)
        all_issues.append(issue)
    return Newsletter(all_issues, articles, {"steady": series}, {})


def settings(root: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    import pelicanconf  # the project's real settings

    return {
        "NEWSLETTER": pelicanconf.NEWSLETTER,
        "SITEURL": "",
        "PATH": str(root / "content"),
        "THEME": str(ROOT / "theme"),
        "MARKDOWN": {"extension_configs": EXTENSIONS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100)
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="NEWSLETTER_WORKERS (0: cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        newsletter = generate(root, args.issues, args.articles)
        config = settings(root) | {"NEWSLETTER_WORKERS": args.workers or None}
        best = float("inf")
        for run in range(args.repeat):
            timing.reset()
            cpu = time.process_time()
            start = time.perf_counter()
            problems = write_editions(newsletter, config, root / "output" / str(run), root)
            elapsed = time.perf_counter() - start
            assert not [p for p in problems if not p.warning], problems
            if elapsed < best:
                best, best_cpu, phases = elapsed, time.process_time() - cpu, timing.totals()
        size = (root / "output/0/editions/1/email.html").stat().st_size
    n = args.issues
    print(
        f"{n} editions x {args.articles} articles: {1000 * best:.0f} ms total, "
        f"{1000 * best / n:.2f} ms per edition wall (best of {args.repeat}; parent CPU "
        f"{1000 * best_cpu / n:.2f} ms); email.html {size / 1024:.1f} KB"
    )
    print("  per edition, summed over every process (wall ms, CPU ms):")
    for name, (wall, cpu, _count) in phases.items():
        print(f"    {name:<32} {1000 * wall / n:7.2f} {1000 * cpu / n:7.2f}")


if __name__ == "__main__":
    main()
