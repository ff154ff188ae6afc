"""Plain text from the Markdown source: what a reader sees when the HTML part is not shown.

Python-Markdown parses the source to an element tree (a treeprocessor keeps it after the
inline patterns ran); this module walks the tree. Links become numbered references ("text [3]")
listed after each article; the numbers run through the whole edition.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions.footnotes import FN_BACKLINK_TEXT, NBSP_PLACEHOLDER
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER, STX

from .typography import SMARTY_NAMES, typography_extension

WIDTH = 72
NOBREAK = "\x1f"  # joins words textwrap must keep together ("text [3]"); a space once wrapped
HARDBREAK = "\x1e"  # a <br>: survives whitespace collapsing, splits the paragraph afterwards
BLOCKS = {
    "p", "ul", "ol", "li", "blockquote", "pre", "hr", "table", "thead", "tbody", "tr",
    "div", "dl", "dt", "dd", "figure", "details", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_STASHED = re.compile(HTML_PLACEHOLDER.replace("%s", r"(\d+)"))
_TAG = re.compile(r"<[^<>]+>")  # not [^>]: from each of many `<`, a scan to the end
_MARKS = (STX, "<", "&")  # in a stash placeholder (all of Markdown's start with STX), tag, entity
_SPACES = re.compile(r"[ \t\r\n]+")
_TEXTWRAP_SPACE = "\t\n\x0b\x0c\r"  # textwrap turns each into a space (no tab stops here)


class _KeepTree(Treeprocessor):
    def run(self, root: Element) -> None:
        self.md.tree = root  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Parsed:
    """One Markdown document as the loader parsed it: the element tree and the raw HTML
    it stashed. The text edition walks it instead of parsing the source a second time."""

    tree: Element
    stash: list


def markdown_parser(markdown_settings: dict) -> markdown.Markdown:
    """Pelican's MARKDOWN setting, as its own reader applies it, keeping the element tree."""
    configs = dict(markdown_settings.get("extension_configs", {}))
    named = list(markdown_settings.get("extensions", []))
    md = markdown.Markdown(
        extensions=[_fast(e, configs) for e in named + [e for e in configs if e not in named]],
        extension_configs=configs,
        output_format=markdown_settings.get("output_format", "html5"),
    )
    md.treeprocessors.register(_KeepTree(md), "masthead-keep-tree", -100)
    return md


def _fast(extension: object, configs: dict) -> object:
    """smarty by name -> the same typography at a fraction of the cost (typography.py)."""
    if isinstance(extension, str) and extension in SMARTY_NAMES:
        return typography_extension(configs.get(extension) or {})
    return extension


def parse(md: markdown.Markdown, source: str) -> tuple[str, Parsed]:
    """HTML for the web and the tree for the text edition, from one parse."""
    md.reset().tree = Element("div")  # convert() skips the treeprocessors for a blank source
    html = md.convert(source)
    return html, Parsed(md.tree, md.htmlStash.rawHtmlBlocks)  # type: ignore[attr-defined]


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> list[str]:
    """Wrapped lines; URLs and other long words are never broken."""
    lines: list[str] = []
    for i, part in enumerate(text.split(HARDBREAK)):
        lines += _wrap_part(part.strip(), width, first if i == 0 else rest, rest)
    return [line.replace(NOBREAK, " ") for line in lines]


def _wrap_part(part: str, width: int, first: str, rest: str) -> list[str]:
    """One paragraph as textwrap wraps it (the tests compare), by a shortcut when it can."""
    if part and _fits(part, first, width):
        return [first + part]  # what textwrap would make of it
    if part and width > max(len(first), len(rest)) and _plain(part):
        return _greedy(part, width, first, rest)
    wrapper = textwrap.TextWrapper(
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapper.wrap(part) or [first.rstrip()]


def _fits(part: str, indent: str, width: int) -> bool:
    """One line as it is: short enough, and no tab or line break for textwrap to change
    (most of an edition's wrap calls: list items, headings, short paragraphs)."""
    return len(indent) + len(part) <= width and not any(c in part for c in _TEXTWRAP_SPACE)


def _plain(part: str) -> bool:
    """Words between single spaces, none that textwrap would see as blank (str.strip()
    drops NOBREAK and other separators) or that it would change (tabs, line breaks)."""
    if "" in map(str.strip, part.split(" ")):
        return False
    return part.isprintable() or not any(c in part for c in _TEXTWRAP_SPACE)


def _greedy(part: str, width: int, first: str, rest: str) -> list[str]:
    """textwrap's greedy fill for a `_plain` paragraph, a line at a time instead of a word
    at a time (most of the text part's cost was textwrap): each line ends at the last space
    that fits; a word longer than the line stands alone."""
    lines, indent = [], first
    while len(indent) + len(part) > width:
        end = part.rfind(" ", 0, width - len(indent) + 1)
        if end < 0:  # the first word alone is too long
            end = part.find(" ")
            if end < 0:
                break
        lines.append(indent + part[:end])
        part, indent = part[end + 1 :], rest
    lines.append(indent + part)
    return lines


def heading(text: str, underline: str = "=") -> list[str]:
    return [text, underline * min(len(text), WIDTH)]


class TextRenderer:
    """Markdown to plain text, one per edition: it numbers link references across it."""

    def __init__(self, md: markdown.Markdown, absolute: Callable[[str, str], str]):
        self.md = md  # from markdown_parser(): building one costs more than a short article
        self.absolute = absolute
        self.numbers: dict[str, int] = {}
        self.pending: list[int] = []
        self.source_dir = ""
        self.stash: list = []

    def render(self, source: str | Parsed, source_dir: str = "") -> str:
        """Markdown (source, or as the loader parsed it) as wrapped plain-text blocks
        separated by blank lines."""
        parsed = source if isinstance(source, Parsed) else parse(self.md, source)[1]
        self.stash = parsed.stash
        self.source_dir = source_dir
        return "\n\n".join(self._container(parsed.tree, WIDTH))

    def reference(self, url: str) -> int:
        if url not in self.numbers:
            self.numbers[url] = len(self.numbers) + 1
            self.pending.append(self.numbers[url])
        return self.numbers[url]

    def references(self) -> str:
        """The references numbered since the last call, as a list: "[3] https://…"."""
        urls = {n: url for url, n in self.numbers.items()}
        lines = [f"[{n}] {urls[n]}" for n in self.pending]
        self.pending = []
        return "\n".join(lines)

    # Blocks: each returns a list of text blocks (a block is lines joined by "\n").

    def _container(self, el: Element, width: int) -> list[str]:
        """Children of `el`: runs of inline content become paragraphs, blocks render as such."""
        blocks: list[str] = []
        run = [self._text(el.text)]
        for child in el:
            if child.tag in BLOCKS:
                blocks += self._paragraph("".join(run), width)
                blocks += self._block(child, width)
                run = []
            else:
                run.append(self._inline(child))
            run.append(self._text(child.tail))
        blocks += self._paragraph("".join(run), width)
        return blocks

    def _paragraph(self, text: str, width: int) -> list[str]:
        text = _collapse(text)
        return ["\n".join(wrap(text, width))] if text.strip(" " + HARDBREAK) else []

    def _block(self, el: Element, width: int) -> list[str]:
        tag = el.tag
        if tag == "p" and len(el) == 0 and self._stashed_code(el.text):
            return [self._code(self._text(el.text))]
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            text = _collapse(self._inline_children(el)).replace(HARDBREAK, " ").strip()
            # "=" is kept for article titles in the edition; body headings sit below them.
            return ["\n".join(heading(text, "-"))]
        if tag in {"ul", "ol"}:
            return [self._list(el, width)]
        if tag == "blockquote":
            inner = "\n\n".join(self._container(el, width - 2))
            return ["\n".join(("> " + line).rstrip() for line in inner.split("\n"))]
        if tag == "pre":
            return [self._code(self._text("".join(el.itertext())))]
        if tag == "hr":
            return ["* * *"]
        if tag == "tr":
            cells = [_collapse(self._inline_children(c)).strip() for c in el]
            return ["\n".join(wrap(" | ".join(cells), width))]
        if tag == "table":
            rows = [row for row in el.iter("tr")]
            return ["\n".join(b for row in rows for b in self._block(row, width))]
        if tag == "dd":
            inner = "\n\n".join(self._container(el, width - 4))
            return ["\n".join(("    " + line).rstrip() for line in inner.split("\n"))]
        return self._container(el, width)

    def _stashed_code(self, text: str | None) -> bool:
        """A fenced code block: the `extra` extension stashes it whole, as raw HTML."""
        match = _STASHED.fullmatch((text or "").strip())
        raw = self.stash[int(match.group(1))] if match else None
        return isinstance(raw, str) and raw.lstrip().startswith("<pre")

    @staticmethod
    def _code(code: str) -> str:
        return "\n".join(("    " + line).rstrip() for line in code.strip("\n").split("\n"))

    def _list(self, el: Element, width: int) -> str:
        items = []
        for number, item in enumerate(el.findall("li"), start=1):
            marker = f"{number}. " if el.tag == "ol" else "* "
            pad = " " * len(marker)
            inner = "\n\n".join(self._container(item, width - len(marker)))
            lines = inner.split("\n")
            items.append("\n".join([marker + lines[0]] + [(pad + ln).rstrip() for ln in lines[1:]]))
        loose = any(item.find("p") is not None for item in el.findall("li"))
        return ("\n\n" if loose else "\n").join(items)

    # Inline content.

    def _inline_children(self, el: Element) -> str:
        parts = [self._text(el.text)]
        for child in el:
            parts += [self._inline(child), self._text(child.tail)]
        return "".join(parts)

    def _inline(self, el: Element) -> str:
        tag, inner = el.tag, self._inline_children(el)
        if tag in {"em", "i"}:
            return f"_{inner}_"
        if tag in {"strong", "b"}:
            return f"*{inner}*"
        if tag == "code":
            return f"`{inner}`"
        if tag == "br":
            return HARDBREAK
        if tag == "a":
            return self._footnote_link(el, inner) or self._link(inner, el.get("href", ""))
        if tag == "img":
            alt = el.get("alt", "").strip() or "image"
            url = self.absolute(el.get("src", ""), self.source_dir)
            return f"[image: {alt}]{NOBREAK}[{self.reference(url)}]"
        return inner

    @staticmethod
    def _footnote_link(el: Element, inner: str) -> str | None:
        """Footnote marks from the `extra` extension: "^1" in the text, no back-links."""
        kind = el.get("class", "")
        if kind == "footnote-backref":
            return NOBREAK  # its text is a placeholder the HTML postprocessor would replace
        return f"^{inner}" if kind == "footnote-ref" else None

    def _link(self, text: str, href: str) -> str:
        url = self.absolute(href, self.source_dir)
        if not url or url.startswith("#"):
            return text  # in-page anchors (footnotes) mean nothing in plain text
        bare = url.removeprefix("mailto:")
        if _collapse(text).strip() in {url, bare}:
            return bare
        return f"{text}{NOBREAK}[{self.reference(url)}]"

    def _text(self, text: str | None) -> str:
        """Source text with stashed snippets (smarty quotes, inline HTML) put back as text."""
        if not text:
            return ""
        if not any(c in text for c in _MARKS):
            return text  # most text: nothing stashed, no tag, no entity (the subs cost more)
        stash = self.stash

        def unstash(match: re.Match[str]) -> str:
            raw = stash[int(match.group(1))]
            return raw if isinstance(raw, str) else "".join(raw.itertext())

        text = text.replace(NBSP_PLACEHOLDER, "").replace(FN_BACKLINK_TEXT, "")
        return html.unescape(_TAG.sub("", _STASHED.sub(unstash, text)))


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text)
