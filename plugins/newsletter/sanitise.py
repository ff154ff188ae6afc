"""Raw HTML in Markdown, sanitised by an allowlist with nh3 (the Ammonia sanitiser), the same
for the web pages and the email: nothing that runs code or changes the page survives
(script, iframe, object, embed, form, meta, base, style, on* attributes, javascript:, data:
and vbscript: URLs).

nh3 does not say what it removed, so the HTML is parsed before and after (the stdlib
HTML parser, on nh3's well-formed output and on Markdown's) and the difference is reported:
one `path:line` warning per removal, which `check` fails on.
"""

from __future__ import annotations

import html as htmllib
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree.ElementTree import Element

import nh3

from .problems import Problem, preview

URL_SCHEMES = {"http", "https", "mailto", "tel"}  # and relative URLs ("/issues/3/", "{static}…")
URL_ATTRIBUTES = {"href", "src", "cite", "action", "formaction", "poster", "background"}
ATTRIBUTES: dict[str, set[str]] = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
ATTRIBUTES["*"] = {"id", "class", "title", "lang", "dir"}  # footnotes, attr_list, abbr
for _tag, _names in {"a": {"name"}, "img": {"title"}, "td": {"style"}, "th": {"style"}}.items():
    ATTRIBUTES.setdefault(_tag, set()).update(_names)
CLEANER = nh3.Cleaner(
    tags=set(nh3.ALLOWED_TAGS),
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=None,  # links stay as the editor wrote them
    filter_style_properties={"text-align"},  # Markdown's table column alignment
    strip_comments=True,
)
MAX_WARNINGS = 30  # per body: the first ones say what to fix


# A character reference such as `&#1` becomes the control character itself in nh3's output;
# no page needs one and XML (the feeds) cannot hold it.
NO_CONTROL = {c: None for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r"}


def clean(html: str) -> str:
    return CLEANER.clean(html).translate(NO_CONTROL)


@dataclass(frozen=True)
class Removal:
    what: str  # "<script>", "the onclick attribute of <a>", "the link 'javascript:…'"
    reason: str
    needles: tuple[str, ...]  # what to look for in the Markdown source, to name the line


def sanitise(html: str, body: str, path: str, body_line: int) -> tuple[str, list[Problem]]:
    """The HTML with everything outside the allowlist removed, and a warning per removal
    naming the body line that holds it."""
    cleaned = clean(html)
    if htmllib.unescape(cleaned) == htmllib.unescape(html):
        return cleaned, []  # only entities were rewritten (&rsquo; as ’): nothing removed
    removals = removed(html, cleaned)
    finder = _LineFinder(body, body_line)
    problems = [
        Problem(path, finder.line(r.needles), _message(r), warning=True, fails_check=True)
        for r in removals[:MAX_WARNINGS]
    ]
    if len(removals) > MAX_WARNINGS:
        more = len(removals) - MAX_WARNINGS
        message = f"and {more} more pieces of raw HTML removed: see the ones above"
        problems.append(Problem(path, body_line, message, warning=True, fails_check=True))
    return cleaned, problems


def removed(before: str, after: str) -> list[Removal]:
    """What `after` lacks of `before`: tags, attributes and link values, in document order."""
    old, new = _Walk.of(before), _Walk.of(after)
    gone_tags = old.tags - new.tags
    removals = []
    for tag, name, value in old.items:
        if name is None and gone_tags[tag] > 0:
            gone_tags[tag] -= 1
            removals.append(Removal(f"<{tag}>", "raw HTML not allowed in content", (f"<{tag}",)))
        elif name is not None and tag in new.tags:
            removals += _attribute(old, new, tag, name, value)
    return removals


def _attribute(old: _Walk, new: _Walk, tag: str, name: str, value: str | None) -> list[Removal]:
    key = (tag, name, value if name in URL_ATTRIBUTES else None)
    if new.attributes[key] >= old.attributes[key]:
        return []
    old.attributes[key] -= 1  # one report per occurrence
    if name in URL_ATTRIBUTES and value:
        return [_link_removal(value)]
    reason = "event handlers run code" if name.startswith("on") else "not an allowed attribute"
    return [Removal(f"the {name} attribute of <{tag}>", reason, (name,))]


def _link_removal(value: str) -> Removal:
    squeezed = "".join(char for char in value if char > " ").lower()
    scheme = "".join(c for c in squeezed.partition(":")[0] if c.isalnum() or c in "+.-")[:20]
    reason = f"a {scheme}: URL; links may be http:, https:, mailto:, tel: or relative"
    tail = value.partition(":")[2]
    return Removal(f"the link {preview(value, 40)}", reason, (value, tail))


class _Walk(HTMLParser):
    """Start tags and their attributes, counted, and in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter = Counter()
        self.attributes: Counter = Counter()
        self.items: list[tuple[str, str | None, str | None]] = []

    @classmethod
    def of(cls, html: str) -> _Walk:
        walk = cls()
        walk.feed(html)
        walk.close()
        return walk

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.items.append((tag, None, None))
        for name, value in attrs:
            self.attributes[(tag, name, value if name in URL_ATTRIBUTES else None)] += 1
            self.items.append((tag, name, value))

    handle_startendtag = handle_starttag


def _message(removal: Removal) -> str:
    return f"removed {removal.what} ({removal.reason}): not on the web page, not in the email"


class _LineFinder:
    """The body line of the n-th occurrence of each needle (case-insensitive); the first
    body line when the source does not hold it as written (an entity, a Markdown link)."""

    def __init__(self, body: str, body_line: int) -> None:
        self.body, self.lower, self.body_line = body, body.lower(), body_line
        self.after: dict[str, int] = {}

    def line(self, needles: tuple[str, ...]) -> int:
        for needle in (n.lower() for n in needles if n.strip()):
            found = self.lower.find(needle, self.after.get(needle, 0))
            if found >= 0:
                self.after[needle] = found + len(needle)
                return self.body_line + self.body.count("\n", 0, found)
        return self.body_line


def unsafe_url(value: str) -> bool:
    """A URL with a scheme outside URL_SCHEMES (browsers ignore whitespace and control
    characters inside a scheme: "java\tscript:" is javascript:)."""
    squeezed = "".join(char for char in value if char > " ").lower()
    scheme, colon, _rest = squeezed.partition(":")
    if not colon or any(mark in scheme for mark in "/?#"):
        return False  # relative: "/issues/3/", "x.md#part", "{static}/images/a.png"
    return scheme not in URL_SCHEMES


def clean_tree(tree: Element) -> Element:
    """The element tree the text edition is written from, with the same links removed."""
    for element in tree.iter():
        for name in URL_ATTRIBUTES & set(element.keys()):
            if unsafe_url(element.get(name, "")):
                del element.attrib[name]
    return tree
