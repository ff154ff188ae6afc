"""The plain-text part is written from the Markdown source."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edition_fixtures import MARKDOWN
from newsletter import plaintext
from newsletter.links import Absolutiser
from newsletter.plaintext import TextRenderer, markdown_parser, wrap

LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 4


@pytest.fixture
def renderer() -> TextRenderer:
    links = Absolutiser("https://frontline.example.org", "", {"articles/x.md": "issues/3/x/"})
    return TextRenderer(markdown_parser(MARKDOWN), links.absolute)


def test_inline_forms(renderer: TextRenderer) -> None:
    text = renderer.render('Some *soft* and **hard** words, "quoted" and `code`.')
    assert text == "Some _soft_ and *hard* words, “quoted” and `code`."


def test_links_become_numbered_references(renderer: TextRenderer) -> None:
    source = "See [x](/issues/1/) and [y]({filename}x.md) and [x again](/issues/1/)."
    first = renderer.render(source, source_dir="articles")
    assert first == "See x [1] and y [2] and x again [1]."
    assert renderer.references() == (
        "[1] https://frontline.example.org/issues/1/\n[2] https://frontline.example.org/issues/3/x/"
    )
    assert renderer.render("[z](https://example.com/)") == "z [3]"  # numbers run on
    assert renderer.references() == "[3] https://example.com/"


def test_bare_urls_stay_inline_and_unbroken(renderer: TextRenderer) -> None:
    text = renderer.render(f"Read <{LONG_URL}> today. " + "filler words " * 10)
    assert LONG_URL in text.splitlines()[0] + text.splitlines()[1]
    assert any(line.strip().startswith(LONG_URL) for line in text.splitlines())
    assert renderer.references() == ""


def test_wrap_at_72_and_reference_kept_with_its_word(renderer: TextRenderer) -> None:
    text = renderer.render(("word " * 13) + "[linked](https://example.com/) " + "tail " * 20)
    assert all(len(line) <= 72 for line in text.splitlines())
    assert "linked [1]" in text


def test_blocks(renderer: TextRenderer) -> None:
    source = (
        "## A heading\n\n* one\n* two\n\nThen:\n\n1. first\n2. second\n\n> quoted\n\n"
        "```\ncode  kept\n```\n\n---\n\nEnd."
    )
    assert renderer.render(source) == (
        "A heading\n---------\n\n* one\n* two\n\nThen:\n\n1. first\n2. second\n\n> quoted\n\n"
        "    code  kept\n\n* * *\n\nEnd."
    )


def test_long_list_items_hang(renderer: TextRenderer) -> None:
    text = renderer.render("* " + "item words " * 12)
    lines = text.splitlines()
    assert lines[0].startswith("* ") and all(line.startswith("  ") for line in lines[1:])


def test_image_alt_and_reference(renderer: TextRenderer) -> None:
    assert renderer.render("![A chart]({static}/images/c.png)") == "[image: A chart] [1]"
    assert renderer.references() == "[1] https://frontline.example.org/images/c.png"


def test_wrap_keeps_urls_whole() -> None:
    assert wrap(f"x {LONG_URL} y", width=20) == ["x", LONG_URL, "y"]


def test_a_blank_body_parses_to_an_empty_tree_not_the_previous_one():
    from newsletter.plaintext import markdown_parser, parse

    md = markdown_parser({})
    parse(md, "A *full* paragraph.")
    html, parsed = parse(md, "  \n")
    assert html == ""
    assert list(parsed.tree) == [] and not parsed.tree.text


def _wrap_by_textwrap(text, width=plaintext.WIDTH, first="", rest=""):
    """plaintext.wrap without its shortcuts (one line, greedy fill): every part through
    textwrap."""
    import textwrap

    wrapper = textwrap.TextWrapper(
        width=width, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    lines = []
    for i, part in enumerate(text.split(plaintext.HARDBREAK)):
        wrapper.initial_indent = first if i == 0 else rest
        lines += wrapper.wrap(part.strip()) or [wrapper.initial_indent.rstrip()]
    return [line.replace(plaintext.NOBREAK, " ") for line in lines]


ALPHABET = [*"ab -—é\t\n\r\x0b\x0c\xa0", plaintext.NOBREAK, plaintext.HARDBREAK]


@given(
    text=st.text(alphabet=st.sampled_from(ALPHABET), max_size=120),
    width=st.integers(min_value=8, max_value=80),
    first=st.sampled_from(["", "* ", "  1. "]),
    rest=st.sampled_from(["", "  ", "     "]),
)
@settings(max_examples=300, deadline=None)
def test_the_shortcuts_wrap_as_textwrap_does(text, width, first, rest):
    assert plaintext.wrap(text, width, first, rest) == _wrap_by_textwrap(text, width, first, rest)


WORDS = ["a", "to", "word", "exactly", "é—", "https://example.org/a/long/path", "x" * 30]
SEPARATORS = [" ", " ", " ", "  ", plaintext.NOBREAK, "\xa0", "\t", plaintext.HARDBREAK]


@given(
    words=st.lists(
        st.one_of(st.sampled_from(WORDS), st.text(alphabet="ab-", min_size=1, max_size=14)),
        max_size=60,
    ),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=60, max_size=60),
    width=st.integers(min_value=2, max_value=80),
    first=st.sampled_from(["", "* ", "  1. ", "[", " " * 12]),
    rest=st.sampled_from(["", " ", "  ", "     ", " " * 12]),
)
@settings(max_examples=500, deadline=None)
def test_paragraphs_of_words_wrap_as_textwrap_does(words, separators, width, first, rest):
    """Long paragraphs (the greedy fill), words that fill a line to the column, words longer
    than the line, indents as wide as it, and a few separators textwrap treats its own way."""
    text = "".join(word + sep for word, sep in zip(words, separators, strict=False)).strip(" ")
    assert plaintext.wrap(text, width, first, rest) == _wrap_by_textwrap(text, width, first, rest)
