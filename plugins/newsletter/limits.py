"""Size and nesting limits for a Markdown body, checked before Python-Markdown sees it.

Python-Markdown recurses once per level of nesting (a few hundred nested lists or quotes
exhaust the stack) and some inputs cost it time that grows with the square of their length
(a long run of `[`, thousands of abbreviations, unclosed `<tag` openings, which its stdlib
HTML parser rescans). Real articles stay far below every limit here; a body that passes
them renders in well under a second. Every check is one linear pass, no regular expression.
"""

from __future__ import annotations

MAX_BODY_CHARACTERS = 500_000
MAX_DEPTH = 16  # nested lists and quotes, counted per line
MAX_BRACKETS = 400  # `[` in one paragraph (links, images, footnotes)
MAX_ABBREVIATIONS = 200  # `*[HTML]: …` definitions (the abbr extension)
MAX_TAGS = 10_000  # `<tag` openings in one body
MAX_RESCANNED = 1_000_000  # characters the HTML parser rescans after unclosed `<tag`s
TAG_WINDOW = 2_000  # a tag longer than this counts as unclosed


def body_limit(body: str) -> tuple[int, str] | None:
    """(line offset in the body, message) for the first limit `body` passes, or None."""
    if len(body) > MAX_BODY_CHARACTERS:
        return 0, (
            f"the body is {len(body):,} characters long: the limit is "
            f"{MAX_BODY_CHARACTERS:,}; split it into several articles"
        )
    checks = (_control, _nesting, _abbreviations, _brackets, _tags)
    return next((found for found in (check(body) for check in checks) if found), None)


# C0 controls but tab, line feed and carriage return; DEL; C1: none has a place in a page,
# and XML (the feeds) cannot hold them at all.
CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r"]


def _control(body: str) -> tuple[int, str] | None:
    found = [at for at in (body.find(char) for char in CONTROL) if at >= 0]
    if not found:
        return None
    at = min(found)
    return body.count("\n", 0, at), (
        f"the body holds the control character U+{ord(body[at]):04X}: remove it"
    )


def _nesting(body: str) -> tuple[int, str] | None:
    fenced = False
    for number, line in enumerate(body.split("\n")):
        stripped = line.lstrip(" \t>")
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            continue
        depth = line_depth(line)
        if depth > MAX_DEPTH:
            return number, (
                f"lists and quotes nested more than {MAX_DEPTH} levels deep: flatten them"
            )
    return None


def line_depth(line: str) -> int:
    """Quote markers, list markers and indentation (four columns a level) before the text."""
    depth = columns = 0
    for position, char in enumerate(line[: 4 * (MAX_DEPTH + 2) * 2]):
        if char == " ":
            columns += 1
        elif char == "\t":
            columns += 4
        elif char == ">" or _list_marker(line, position):
            depth += 1 + columns // 4
            columns = 0
        elif char.isdigit() or char in ".)":
            continue  # inside an ordered list marker ("12. "), counted at its first digit
        else:
            break
    return depth + columns // 4


def _list_marker(line: str, at: int) -> bool:
    """`-`, `*` or `+`, or a number and `.` or `)`, then a space: the start of a list item."""
    end = at
    if line[at] in "-*+":
        end = at + 1
    elif line[at].isdigit() and (at == 0 or not line[at - 1].isdigit()):
        while end < len(line) and end - at < 9 and line[end].isdigit():
            end += 1
        end += line[end : end + 1] in (".", ")")
        if end == at or line[end - 1] not in ".)":
            return False
    return end > at and line[end : end + 1] in (" ", "\t")


def _brackets(body: str) -> tuple[int, str] | None:
    offset = 0
    for paragraph in body.split("\n\n"):
        count = paragraph.count("[")
        if count > MAX_BRACKETS:
            return body.count("\n", 0, offset), (
                f"a paragraph holds {count:,} '[': at most {MAX_BRACKETS} (links, images, "
                "footnotes) in one paragraph; split it, or write \\[ for a bracket"
            )
        offset += len(paragraph) + 2
    return None


def _abbreviations(body: str) -> tuple[int, str] | None:
    lines = [n for n, line in enumerate(body.split("\n")) if line.startswith("*[")]
    if len(lines) > MAX_ABBREVIATIONS:
        message = (
            f"{len(lines):,} abbreviation definitions (`*[X]: …`): at most {MAX_ABBREVIATIONS}"
        )
        return lines[0], message
    return None


def _tags(body: str) -> tuple[int, str] | None:
    """Raw HTML: too many tags, or `<tag` openings left without their `>`, each of which the
    HTML parser inside Markdown rescans to the end of the body (the work is counted)."""
    openings = rescanned = 0
    start = body.find("<")
    while start >= 0:
        if body[start + 1 : start + 2].isalpha() or body[start + 1 : start + 2] in "/!?":
            openings += 1
            if not _closed(body, start):
                rescanned += len(body) - start
        if openings > MAX_TAGS:
            message = f"more than {MAX_TAGS:,} HTML tags: simplify the raw HTML"
            return body.count("\n", 0, start), message
        if rescanned > MAX_RESCANNED:
            message = "too many HTML tags opened without their `>`: write &lt; for a plain `<`"
            return body.count("\n", 0, start), message
        start = body.find("<", start + 1)
    return None


def _closed(body: str, start: int) -> bool:
    """Whether a `>` outside quotes ends the tag opened at `start`, within TAG_WINDOW."""
    end = min(len(body), start + TAG_WINDOW)
    at = start
    while True:
        close = body.find(">", at, end)
        if close < 0:
            return False
        quotes = [q for q in (body.find("'", at, close), body.find('"', at, close)) if q >= 0]
        if not quotes:
            return True
        quote = min(quotes)
        at = body.find(body[quote], quote + 1, end) + 1  # past the closing quote
        if at == 0:
            return False
