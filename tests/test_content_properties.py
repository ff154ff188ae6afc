"""Property: any front matter and any body either builds or yields only one-line
`path:line: message` problems, within a time limit per document (hypothesis' deadline).

The default run is short; `-m slow` runs the long profile."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.build import ContentError
from tests.conftest import MINIMAL, ROOT, site, write_tree

FIELDS = ["title", "issue", "author", "authors", "section", "topics", "summary", "series"]
FIELDS += ["part", "slug", "event_date", "location", "register", "number", "date", "status"]
# Characters that mean something to YAML or Markdown, control characters, line separators.
SPECIAL = [*"-*_`[]()!<>#+|:{}^~=\\'\"&;%@?,. \t\n", "\x00", "\x1b", "\u2028", "\x85"]
odd_text = st.text(st.sampled_from(SPECIAL) | st.characters(), max_size=80)
scalars = (
    odd_text
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=True)
    | st.dates().map(str)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=8,
)
# Front matter as YAML dumped from values (well-formed, odd contents) or as raw lines.
dumped = st.dictionaries(st.sampled_from(FIELDS) | odd_text, values, max_size=6).map(
    lambda meta: yaml.safe_dump(meta, allow_unicode=True, width=10_000)
)
raw_lines = st.lists(
    st.tuples(st.sampled_from(FIELDS) | odd_text, odd_text).map(": ".join), max_size=6
).map("\n".join)
pieces = st.sampled_from([*SPECIAL, "a", "word ", "\n\n", "    ", "<p>", "</p>", "[x](y)"])
bodies = st.lists(pieces, max_size=200).map("".join) | st.text(max_size=300)
kinds = st.sampled_from(["articles/fuzz.md", "issues/003.md", "series/fuzz.md"])


def builds_or_reports(path: str, text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="masthead-property-") as scratch:
        root = Path(scratch)
        content = write_tree(root, MINIMAL)
        (content / path).write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            site.build(ROOT / "pelicanconf.py", root / "output", content=content)
        except ContentError as error:
            assert error.problems
            for problem in error.problems:
                shown = str(problem)
                assert shown.startswith("content/") and problem.line >= 1, shown
                assert shown.isprintable() and len(shown) < 600, shown


documents = st.tuples(kinds, dumped | raw_lines, bodies)


def check(document: tuple[str, str, str]) -> None:
    path, front_matter, body = document
    try:
        text = f"---\n{front_matter}\n---\n{body}\n"
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not text a file can hold
        return
    builds_or_reports(path, text)


QUICK = settings(
    max_examples=25,
    deadline=datetime.timedelta(seconds=15),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.timeout(600)
@QUICK
@given(documents)
def test_any_document_builds_or_yields_path_line_problems(document):
    check(document)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(QUICK, max_examples=600)
@given(documents)
def test_any_document_long_profile(document):
    check(document)
