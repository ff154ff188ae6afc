"""Small jobs on rendered HTML, done with the stdlib HTML parser (never a regex over HTML).

`images_without_alt` finds <img> tags a blocked-images reader gets nothing from;
`demote_headings` moves an article body's headings below the title it is shown under.
"""

from __future__ import annotations

from html.parser import HTMLParser

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.missing: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            if not (values.get("alt") or "").strip():
                self.missing.append((values.get("src") or "").strip() or "(no src)")

    handle_startendtag = handle_starttag


def images_without_alt(html: str) -> list[str]:
    """The src of every <img> whose alt text is missing or blank, in document order."""
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.missing


class _Headings(HTMLParser):
    """Records where each heading tag starts and ends in the source, to splice it there."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]  # HTMLParser counts lines by "\n" alone
        for line in html.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.tags: list[tuple[int, int, int]] = []  # (start, end, level) of each tag's name

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

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
    parser = _Headings(str(html))
    parser.feed(str(html))
    parser.close()
    if not parser.tags:
        return html
    shift = below + 1 - min(level for _start, _end, level in parser.tags)
    if shift <= 0:
        return html
    pieces, done = [], 0
    source = parser.html
    for start, end, level in parser.tags:
        pieces += [source[done:start], f"h{min(level + shift, 6)}"]
        done = end
    pieces.append(source[done:])
    return type(html)("".join(pieces))  # Markup stays Markup
