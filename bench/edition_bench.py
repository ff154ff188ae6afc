"""Time email editions: 100 generated issues of 5 articles, through write_editions.

    .venv/bin/python bench/edition_bench.py [--issues 100] [--articles 5] [--repeat 3]

Prints milliseconds per edition for the whole write_editions call (render + write) and
for MRML alone, so a slow template or a slow text part shows up.
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

from newsletter import email_html, plaintext  # noqa: E402
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        newsletter = generate(root, args.issues, args.articles)
        shares = {"MRML": 0.0, "Markdown tree to text": 0.0}
        _time(email_html.mjml, "mjml2html", shares, "MRML")
        _time(plaintext.TextRenderer, "render", shares, "Markdown tree to text")
        best = float("inf")
        for _ in range(args.repeat):
            shares.update(dict.fromkeys(shares, 0.0))
            start = time.perf_counter()
            problems = write_editions(newsletter, settings(root), root / "output", root)
            elapsed = time.perf_counter() - start
            assert not [p for p in problems if not p.warning], problems
            if elapsed < best:
                best, best_shares = elapsed, dict(shares)
        size = (root / "output/editions/1/email.html").stat().st_size
    per = 1000 * best / args.issues
    print(
        f"{args.issues} editions x {args.articles} articles: {1000 * best:.0f} ms total, "
        f"{per:.2f} ms per edition (best of {args.repeat}); email.html {size / 1024:.1f} KB"
    )
    for name, seconds in best_shares.items():
        print(f"  of which {name}: {1000 * seconds / args.issues:.2f} ms per edition")


def _time(owner: object, name: str, shares: dict[str, float], key: str) -> None:
    """Wrap owner.name to add its run time to shares[key]."""
    original = getattr(owner, name)

    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            shares[key] += time.perf_counter() - start

    setattr(owner, name, timed)


if __name__ == "__main__":
    main()
