"""Mistakes that build fine but should not go out: warnings in `build`, failures in `check`.

- the scaffold's placeholder text (`publish.py new`) left in a published issue or article,
  or in the description of a series with a part out;
- an article of a published issue with an empty body;
- a gap in the issue numbers (issue 7 after issue 5);
- a topic one edit away from another ("Staffng" beside "Staffing", or two letters swapped):
  did you mean?
  (topics differing only by case or spacing already share a page: an error of the loader).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from .model import Article, Issue, Newsletter, Series
from .problems import Problem

# What `publish.py new` writes as the body (masthead/scaffold.py uses these very strings).
SCAFFOLD_TEXT = {
    "issue": "The editor's welcome, in Markdown: what is in this issue and why it matters "
    "this week.",
    "article": "The article, in Markdown.",
    "series": "The series description, in Markdown.",
}


WHAT = {"issue": "welcome", "article": "article", "series": "series description"}


def find_mistakes(newsletter: Newsletter, root: Path) -> list[Problem]:
    published = [issue for issue in newsletter.issues if not issue.is_draft]
    problems = []
    for issue in published:
        problems += _placeholder(issue, issue.welcome_md, "issue", root)
        for article in issue.articles:
            problems += _placeholder(article, article.body_md, "article", root)
            problems += _empty(article, issue)
    for series in newsletter.series.values():
        if series.articles:  # a part is out: its page shows the description
            problems += _placeholder(series, series.description_md, "series", root)
    problems += _gaps(newsletter.issues)
    problems += _near_topics(newsletter)
    return problems


def _warning(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, message, warning=True, fails_check=True)


def _placeholder(item: Issue | Article | Series, body: str, kind: str, root: Path) -> list[Problem]:
    text = SCAFFOLD_TEXT[kind]
    if text not in body:
        return []
    line = _line_of(root / item.source.path, text)
    return [
        _warning(
            item.source.path,
            line,
            f"the scaffold's placeholder text is still here ({text[:40]!r}…): "
            f"write the {WHAT[kind]} or delete it",
        )
    ]


def _empty(article: Article, issue: Issue) -> list[Problem]:
    if article.body_md.strip():
        return []
    line = article.source.line("title")
    message = f"the article has no body, and issue {issue.number} is published: write it"
    return [_warning(article.source.path, line, message)]


def _gaps(issues: list[Issue]) -> list[Problem]:
    """Issue numbers in order, drafts included: a missing number is usually a typo."""
    problems = []
    ordered = sorted(issues, key=lambda issue: issue.number)
    for before, after in pairwise(ordered):
        if after.number > before.number + 1:
            missing = _range(before.number + 1, after.number - 1)
            message = f"issue {missing} missing: the issue before this one is {before.number}"
            problems.append(_warning(after.source.path, after.source.line("number"), message))
    return problems


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _near_topics(newsletter: Newsletter) -> list[Problem]:
    """Topic names one edit apart (insert, delete, change or swap letters), compared
    case-blind; names are bucketed by length so only neighbours are compared."""
    uses = _first_use(newsletter)
    by_length: dict[int, list[str]] = defaultdict(list)
    for name in uses:
        by_length[len(name)].append(name)
    problems = []
    for name in sorted(uses):
        for other in by_length[len(name)] + by_length[len(name) + 1] + by_length[len(name) - 1]:
            rarer = _weight(uses[other], other) > _weight(uses[name], name)  # report the rarer
            if rarer and _one_edit(name.casefold(), other.casefold()):
                article = uses[name][0]
                message = f"topic '{name}': did you mean '{other}'? (one edit apart)"
                problems.append(
                    _warning(article.source.path, article.source.line("topics"), message)
                )
    return problems


def _weight(articles: list[Article], name: str) -> tuple[int, int, str]:
    """More articles wins; on a tie the older topic (its first issue) is the right one."""
    return len(articles), -min(a.issue_number for a in articles), name


def _first_use(newsletter: Newsletter) -> dict[str, list[Article]]:
    return {topic.name: topic.articles for topic in newsletter.topics.values() if topic.articles}


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(differ) == 2 and differ[1] == differ[0] + 1  # two letters swapped
        return len(differ) == 1 or (swapped and a[differ[0]] == b[differ[1]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    index = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), None)
    index = len(short) if index is None else index
    return short[index:] == long[index + 1 :]


def _line_of(path: Path, needle: str) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines, 1) if needle[:30] in line), 1)
