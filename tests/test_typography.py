"""typography.py against the real `markdown.extensions.smarty`: the same HTML, the same element
tree (texts, tails, string types) and the same raw-HTML stash, byte for byte, on the sample
content, on the benchmark's generated bodies and on random text rich in what smarty reads.

The default run is short; `-m slow` runs many more random examples."""

from __future__ import annotations

import importlib.util
import sys
from xml.etree.ElementTree import Element, tostring

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pelicanconf
from newsletter import typography
from newsletter.plaintext import TextRenderer, markdown_parser, parse
from newsletter.reader import KINDS, read_kind
from newsletter.typography import FastSmarty
from tests.conftest import ROOT


def _build_bench():
    """bench/build_bench.py, whose generator makes the benchmark's bodies (bench/ is no
    package)."""
    if "build_bench" not in sys.modules:
        path = ROOT / "bench" / "build_bench.py"
        spec = importlib.util.spec_from_file_location("build_bench", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["build_bench"] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["build_bench"]


def _parser(fast: bool) -> markdown.Markdown:
    """The MARKDOWN setting as the repository ships it: extra + smarty, default config."""
    assert pelicanconf.MARKDOWN["extension_configs"]["markdown.extensions.smarty"] == {}
    md = markdown_parser(pelicanconf.MARKDOWN)
    assert isinstance(md.treeprocessors["smarty"], FastSmarty) is fast
    return md


@pytest.fixture(scope="module")
def parsers() -> tuple[markdown.Markdown, markdown.Markdown]:
    """(the real smarty, ours), each with Markdown's `extra` as pelicanconf.py has it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typography, "VERIFIED_MARKDOWN", frozenset())  # forces the real one
        real = _parser(False)
    return real, _parser(True)


def _tree(element: Element) -> list:
    """Everything the serialiser and the text edition read, string types included
    (an AtomicString is code that later processors leave alone)."""
    nodes = []
    for node in element.iter():
        nodes.append((node.tag, sorted(node.attrib.items()), len(node)))
        nodes.append((type(node.text).__name__, node.text, type(node.tail).__name__, node.tail))
    return nodes


def _stash(md: markdown.Markdown) -> list:
    blocks = md.htmlStash.rawHtmlBlocks
    return [b if isinstance(b, str) else tostring(b, encoding="unicode") for b in blocks]


def outcome(md: markdown.Markdown, body: str) -> tuple:
    html, parsed = parse(md, body)
    return html, _tree(parsed.tree), _stash(md), md.htmlStash.html_counter


def assert_same(parsers: tuple, body: str) -> None:
    real, fast = parsers
    expected = outcome(real, body)
    assert outcome(fast, body) == expected, repr(body)


def _sample_bodies() -> list[str]:
    content = ROOT / "content"
    return [raw.body for kind in KINDS for raw in read_kind(content, kind, ROOT)[0]]


def test_the_fast_path_is_on_for_the_pinned_markdown() -> None:
    """Markdown upgraded: run this file against the new release, then add it to
    typography.VERIFIED_MARKDOWN (until then the real smarty runs, slower, same output)."""
    assert markdown.__version__ in typography.VERIFIED_MARKDOWN
    rules = _parser(True).treeprocessors["smarty"].rules
    assert len(rules) == 18  # 15 quote rules, 2 dashes, 1 ellipsis
    assert all(need for _, _, need in rules), "a pattern typography._NEEDS does not know"


def test_other_configs_keep_the_real_smarty() -> None:
    md = markdown_parser({"extension_configs": {"markdown.extensions.smarty": {"smart_dashes": 0}}})
    assert not isinstance(md.treeprocessors["smarty"], FastSmarty)
    assert "&ndash;" not in md.convert("a -- b")
    named = markdown_parser({"extensions": ["smarty"]})
    assert isinstance(named.treeprocessors["smarty"], FastSmarty)


def test_sample_content(parsers) -> None:
    bodies = _sample_bodies()
    assert len(bodies) > 40
    assert any("&rsquo;" in parse(parsers[1], body)[0] for body in bodies)
    for body in bodies:
        assert_same(parsers, body)
    # The text edition, from the trees and stashes just compared: the same text.
    real, fast = (TextRenderer(md, lambda url, _: url) for md in parsers)
    for body in bodies:
        assert fast.render(body) == real.render(body)


def test_benchmark_bodies(parsers) -> None:
    items, _ = _build_bench().generate(20)
    for item in items:
        assert_same(parsers, item.body)


CASES = [
    "",
    "plain words only",
    "\"Hello,\" she said -- 'it's the '80s' --- and...  ....",
    "'\"Quoted\" words' and \"'quoted' ones\"",
    "'.' at start, \".\" too, 'a' 'b''c' ''d' don't rock 'n' roll",
    "`code 'spans' -- ...` and \\'escaped\\' \\\"quotes\\\" \\-- and \\...",
    "<span title=\"x--y\">it's</span> &amp; &mdash;'a &nbsp;\"b &#8211;'c –'d —\"e",
    "    indented 'code' -- block\n\npara's",
    "```\nfenced 'code' -- ...\n```\n\n~~~\nmore\n~~~",
    "*Abbr's* text\n\n*[Abbr's]: it's \"an\" abbreviation -- yes",
    "Note[^1] 'here'.\n\n[^1]: The \"footnote\" -- it's...",
    "| a 'b' | \"c\" |\n|---|---|\n| d -- e | f... |",
    "# Title 'quoted' {: #id .cls title=\"it's\" }\n\npara\n{: .x }",
    "<div markdown=\"1\">\n'inside' -- *html*\n</div>\n\n<!-- a 'comment' -- -->",
    "[link 'text'](http://x.org/'a' \"title 'x'\") ![alt 'a'](i.png \"it's\")",
    "a\n'b\n\"c\n--\n...\n",
    "Term\n: 'definition' -- here",
    "<<angled>> >> << 'x'<b>\"y\"</b>'z'",
]


@pytest.mark.parametrize("body", CASES)
def test_chosen_cases(parsers, body: str) -> None:
    assert_same(parsers, body)


# Random text: smarty's characters, Markdown's, entities, HTML and code, in any order.
PIECES = [
    *"'\"`-.<>&*_[]()!:|#{}~^\\=",
    " ", "  ", "\n", "\n\n", "\t", "    ", "a", "s", "word", "80s", "'80s", "1", "it's",
    "--", "---", "...", "–", "—", "\u00a0", "&nbsp;", "&mdash;", "&ndash;", "&#8211;",
    "&#8212;", "&amp;", "&quot;", "&#39;", "<b>", "</b>", "<span title=\"a'b\">", "</span>",
    "<!-- c -->", "<div>", "</div>", "<div markdown=\"1\">", "\n```\n", "\n~~~\n", "``",
    "[x](y)", "[x]: /y \"t\"", "![a](b.png)", "<http://a.org/'x'>", "[^1]", "\n[^1]: ",
    "*[HTML]: h", "HTML", "\n| a | b |\n|---|---|\n| c | d |\n", "{: .c }", "\n- ", "\n1. ",
    "\n> ", "\n# ", "\nTerm\n: ", "\\'", "\\\"", "\\-", "\\.",
]  # fmt: skip
bodies = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
RULES = _parser(True).treeprocessors["smarty"].rules


@settings(max_examples=300, deadline=None)
@given(bodies | st.text(max_size=60))
def test_a_pattern_never_matches_without_its_need(body: str) -> None:
    """The skips are sound: each rule's literal is in every one of its matches (a match
    may also start at a quote a dash substitution left, so anywhere in the text)."""
    for regex, _, need in RULES:
        for match in regex.finditer(body):
            assert need in match.group(0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_random_text(parsers, body: str) -> None:
    assert_same(parsers, body)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies | st.text(max_size=200))
def test_random_text_long(parsers, body: str) -> None:
    assert_same(parsers, body)
