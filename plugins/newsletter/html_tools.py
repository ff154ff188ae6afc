"""Small jobs on rendered HTML, done with an HTML parser (never a regex over HTML): the
stdlib's, which says where in the source each tag is, and lexbor's (selectolax), for `audit`.

`audit` reads a whole email's links and images; `images_without_alt` finds <img> tags a
blocked-images reader gets nothing from; `demote_headings` moves an article body's headings
below the title it is shown under; `rewrite_links` changes href/src values; `email_body`
does those three to an article body in one parse. The rewriting ones splice their edits into
the source, so everything else comes back byte for byte.
"""

from __future__ import annotations

import html as htmllib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from selectolax.lexbor import LexborHTMLParser

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
VOID = ("area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr")


class _Audit(HTMLParser):
    """In one pass: every href/src value, and the src of each <img> without alt text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.missing_alt: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]
        if tag == "img":
            values = dict(attrs)
            if not (values.get("alt") or "").strip():
                self.missing_alt.append((values.get("src") or "").strip() or "(no src)")

    handle_startendtag = handle_starttag


@dataclass
class Audit:
    """What `audit` found in a document."""

    urls: list[str] = field(default_factory=list)  # every href and src value
    missing_alt: list[str] = field(default_factory=list)  # src of each <img> without alt text


def audit(html: str) -> Audit:
    """`.urls` and `.missing_alt` of a whole document, in document order, as an HTML5 parser
    reads it. Lexbor's, in C: a finished email (40 KB, a thousand tags) took the stdlib
    parser 2 ms, more than rendering it; lexbor takes 0.3."""
    tree = LexborHTMLParser(html)
    found = Audit()
    for node in tree.css("[href], [src]"):
        found.urls += [v for name, v in node.attributes.items() if name in ("href", "src") and v]
    for image in tree.css("img"):
        attributes = image.attributes
        if not (attributes.get("alt") or "").strip():
            found.missing_alt.append((attributes.get("src") or "").strip() or "(no src)")
    return found


def images_without_alt(html: str) -> list[str]:
    """The src of every <img> whose alt text is missing or blank, in document order."""
    if "<img" not in html.lower():  # no image at all, as in most bodies: no parse needed
        return []
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.missing_alt


class _Located(HTMLParser):
    """A parser that knows the offset in the source of the tag being handled."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]  # HTMLParser counts lines by "\n" alone
        for line in html.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def run(self) -> _Located:
        self.feed(self.html)
        self.close()
        return self


def _splice(source: str, edits: list[tuple[int, int, str]]) -> str:
    """`source` with each (start, end) span replaced by its text; spans in order."""
    pieces, done = [], 0
    for start, end, text in edits:
        pieces += [source[done:start], text]
        done = end
    pieces.append(source[done:])
    return "".join(pieces)


class _Headings(_Located):
    """Records where each heading tag's name is in the source."""

    def __init__(self, html: str) -> None:
        super().__init__(html)
        self.tags: list[tuple[int, int, int]] = []  # (start, end, level) of each tag's name

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HEADINGS:
            start = self._offset() + 1  # after "<"
            self.tags.append((start, start + 2, int(tag[1])))

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADINGS:
            start = self._offset() + 2  # after "</"
            self.tags.append((start, start + 2, int(tag[1])))


def demote_headings(html: str, below: int) -> str:
    """The body's headings shifted so the highest becomes h(below + 1): an article's own
    subheads must not outrank the article title (an h`below`). Levels stop at h6; a body
    already below the title, or with no headings, comes back unchanged."""
    tags = _Headings(str(html)).run().tags
    if not tags:
        return html
    shift = below + 1 - min(level for _start, _end, level in tags)
    if shift <= 0:
        return html
    edits = [(start, end, f"h{min(level + shift, 6)}") for start, end, level in tags]
    return type(html)(_splice(str(html), edits))  # Markup stays Markup


class _Links(_Located):
    def __init__(self, html: str, change: Callable[[str], str | None]) -> None:
        super().__init__(html)
        self.change = change
        self.edits: list[tuple[int, int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        new = [(name, self._value(name, value)) for name, value in attrs]
        raw = self.get_starttag_text() or ""
        if new == attrs and (not closed or raw.endswith("/>")):
            return
        start = self._offset()
        self.edits.append((start, start + len(raw), f"<{tag}{_attributes(new, closed)}"))

    def _value(self, name: str, value: str | None) -> str | None:
        if name in ("href", "src") and value:
            return self.change(value) or value
        return value


def _attributes(attrs: list[tuple[str, str | None]], closed: bool) -> str:
    """A start tag after its name: the attributes, escaped, and the end (` />` if void)."""
    written = "".join(
        f" {name}" if value is None else f' {name}="{htmllib.escape(value)}"'
        for name, value in attrs
    )
    return f"{written}{' /' if closed else ''}>"


def rewrite_links(html: str, change: Callable[[str], str | None]) -> str:
    """Every href and src value passed to `change`; a new value (None keeps the old one)
    is written back into its tag, the rest of the HTML untouched. Void tags come back
    closed (`<br />`): MRML reads mj-text as XML-like markup, html5 output omits the slash."""
    return _splice(html, _Links(html, change).run().edits)


class _EmailBody(_Links):
    """Headings, link edits and alt-less images of one body, from one parse (see email_body)."""

    def __init__(self, html: str, change: Callable[[str], str | None]) -> None:
        super().__init__(html, change)
        self.headings: list[tuple[int, int]] = []  # (offset of a heading tag's name, level)
        self.tags: list[tuple[int, int, str, str]] = []  # (start, end, name, rest) to rewrite
        self.missing_alt: list[str] = []
        self.unusual = False  # a self-closed heading (`<h2/>`): the three passes differ there

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.unusual = self.unusual or tag in HEADINGS
        self._tag(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADINGS:
            self.headings.append((self._offset() + 2, int(tag[1])))  # after "</"

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        new = [(name, self._value(name, value)) for name, value in attrs]
        if tag in HEADINGS:
            self.headings.append((self._offset() + 1, int(tag[1])))  # after "<"
        if tag == "img":  # read as images_without_alt reads the rewritten tag
            values = dict(new)
            if not (values.get("alt") or "").strip():
                self.missing_alt.append((values.get("src") or "").strip() or "(no src)")
        raw = self.get_starttag_text() or ""
        if new == attrs and (not closed or raw.endswith("/>")):
            return
        start = self._offset()
        self.tags.append((start, start + len(raw), tag, _attributes(new, closed)))

    def spliced(self, below: int | None) -> str:
        """The source with every edit in: headings shifted as demote_headings shifts them
        (a tag written anew is written with its new name), links as rewrite_links writes."""
        shift = 0
        if below is not None and self.headings:
            shift = max(0, below + 1 - min(level for _offset, level in self.headings))
        names = {f"h{n}": f"h{min(n + shift, 6)}" for n in range(1, 7)}
        edits = [
            (start, end, f"<{names.get(tag, tag)}{rest}") for start, end, tag, rest in self.tags
        ]
        # A heading start tag written anew already has its new name: its name (one past
        # the "<") gets no edit of its own.
        written = {start + 1 for start, _end, _text in edits}
        if shift:
            edits += [
                (offset, offset + 2, f"h{min(level + shift, 6)}")
                for offset, level in self.headings
                if offset not in written
            ]
        return _splice(self.html, sorted(edits))


def email_body(
    html: str, change: Callable[[str], str | None], demote_below: int | None = None
) -> tuple[str, list[str]]:
    """What `demote_headings(html, demote_below)` (unless None), then `rewrite_links(…,
    change)`, then `images_without_alt` of the result give, from one parse instead of three:
    (the HTML, the src of each image without alt text). An edition does this to every body."""
    seen: dict[str, str | None] = {}

    def record(value: str) -> str | None:
        seen[value] = change(value)
        return seen[value]

    parser = _EmailBody(str(html), record).run()
    if parser.unusual:  # the three passes, `change` asked again only about values it was not
        demoted = html if demote_below is None else demote_headings(html, demote_below)
        again = rewrite_links(str(demoted), lambda v: seen[v] if v in seen else change(v))
        return again, images_without_alt(again)
    return parser.spliced(demote_below), parser.missing_alt
