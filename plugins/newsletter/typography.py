"""Smart quotes, dashes and ellipses: Python-Markdown's `smarty`, with the same output, cheaper.

`markdown.extensions.smarty` runs a second InlineProcessor over the whole tree with 18
regex patterns. That processor tries every pattern on every text and tail through several
Python calls each, which doubled the cost of a body here (issue 15), although most texts
hold nothing a pattern can match.

`FastSmarty` is a drop-in for that second processor. It takes smarty's own compiled
patterns and substitutions (from the real extension, so a config would carry over too) and
applies them with the same algorithm, step for step:

* the same texts in the same order (InlineProcessor.run's breadth-first walk: each child's
  text, then its tail; AtomicString texts, i.e. code, are left alone);
* per text, pattern after pattern in registry order; each pattern from the start, each
  match replaced by an inline placeholder (STX ... ETX) that later patterns see as such,
  the search resuming just past it;
* each substitution stored in `md.htmlStash` at the same moment, so the stash (and the
  text edition that reads it) is identical, placeholders and numbers included;
* the placeholders put back as InlineProcessor.__processPlaceholders does for string nodes.

What it skips: a text that holds none of the substrings any pattern needs (a quote, `--`,
`...`) cannot change, and a pattern whose substring is absent cannot match. Those checks are
`in` tests in C instead of ~18 Python-level pattern attempts per text.

The emulation follows the InlineProcessor of one Markdown release (the resume position
after a match changed across releases): with any other version `typography_extension`
hands back the real smarty.
"""

from __future__ import annotations

import re
from collections import deque
from xml.etree.ElementTree import Element

import markdown
from markdown import util
from markdown.extensions import smarty
from markdown.extensions.smarty import SmartyExtension, SubstituteTextPattern
from markdown.treeprocessors import Treeprocessor

# The Markdown release whose InlineProcessor this module reproduces (tests/test_typography.py
# proves it against the real smarty). Another release: re-run that test, then add it here.
VERIFIED_MARKDOWN = frozenset({"3.11.3"})
SMARTY_NAMES = frozenset({"markdown.extensions.smarty", "smarty"})

_PREFIX = util.INLINE_PLACEHOLDER_PREFIX
_PLACEHOLDER_RE = util.INLINE_PLACEHOLDER_RE

# What each of smarty's regexes needs in the text to match: a literal every match contains.
# A pattern missing here is always tried, so an unknown one costs time, never correctness.
_NEEDS = {
    r"(?<!-)---(?!-)": "---",
    r"(?<!-)--(?!-)": "--",
    r"(?<!\.)\.{3}(?!\.)": "...",
    r"\<\<": "<<",
    r"\>\>": ">>",
    smarty.singleQuoteStartRe: "'",
    smarty.doubleQuoteStartRe: '"',
    smarty.doubleQuoteSetsRe: "'",  # "' : either quote would do
    smarty.singleQuoteSetsRe: "'",  # '"
    smarty.doubleQuoteSetsRe2: "'",  # '"
    smarty.singleQuoteSetsRe2: "'",  # "'
    smarty.decadeAbbrRe: "'",
    smarty.openingSingleQuotesRegex: "'",
    smarty.closingSingleQuotesRegex: "'",
    smarty.closingSingleQuotesRegex2: "'",
    smarty.remainingSingleQuotesRegex: "'",
    smarty.openingDoubleQuotesRegex: '"',
    smarty.closingDoubleQuotesRegex: '"',
    smarty.closingDoubleQuotesRegex2: '"',
    smarty.remainingDoubleQuotesRegex: '"',
}


class FastSmarty(Treeprocessor):
    """smarty's second InlineProcessor, without the per-pattern, per-text overhead."""

    def __init__(self, md: markdown.Markdown, patterns: list[SubstituteTextPattern]):
        super().__init__(md)
        self.rules = []
        for pattern in patterns:
            regex = pattern.getCompiledRegExp()
            self.rules.append((regex, tuple(pattern.replace), _NEEDS.get(regex.pattern, "")))
        # A text matching none of the needs cannot change ("" matches anywhere); nor can one
        # without a placeholder prefix to put back.
        needs = sorted({need for _, _, need in self.rules} | {_PREFIX})
        self.trigger = re.compile("|".join(map(re.escape, needs)))
        self.nodes: dict[str, str] = {}

    def run(self, root: Element) -> None:
        self.nodes = {}  # InlineProcessor numbers its placeholders across the whole tree
        queue = deque([root])
        while queue:
            for child in queue.popleft():
                text = child.text
                if text and not isinstance(text, util.AtomicString):
                    child.text = self._educate(text)
                if child.tail:
                    child.tail = self._educate(child.tail)
                if len(child):
                    queue.append(child)

    def _educate(self, text: str) -> str | None:
        """One text or tail, as InlineProcessor.__handleInline then __processPlaceholders."""
        if not self.trigger.search(text):
            return text
        if isinstance(text, util.AtomicString):  # a tail of code: no pattern runs on it
            return _put_back(text, self.nodes)
        for regex, replace, need in self.rules:
            if need in text:
                text = self._apply(regex, replace, text)
        return _put_back(text, self.nodes)

    def _apply(self, regex: re.Pattern[str], replace: tuple, text: str) -> str:
        """Every match of one pattern, left to right, each replaced by a placeholder;
        the search resumes past the placeholder, so it sees STX/ETX, not the old text."""
        start = 0
        while match := regex.search(text, start):
            number = f"{len(self.nodes):04d}"  # InlineProcessor.__makePlaceholder's ids
            self.nodes[number] = self._substitute(match, replace)
            placeholder = util.INLINE_PLACEHOLDER % number
            text = text[: match.start()] + placeholder + text[match.end() :]
            start = match.start() + len(placeholder)
        return text

    def _substitute(self, match: re.Match[str], replace: tuple) -> str:
        """SubstituteTextPattern.handleMatch: groups kept, entities stashed as raw HTML."""
        stash = self.md.htmlStash
        return "".join(match.group(p) if isinstance(p, int) else stash.store(p) for p in replace)


def _put_back(data: str, nodes: dict[str, str]) -> str | None:
    """InlineProcessor.__processPlaceholders for string nodes, quirks included: a placeholder
    it does not know stays as text, and the pieces are joined as its linkText() joins them
    (an AtomicString survives only as the sole piece)."""
    pieces: list[str] = []
    start = 0
    while True:
        index = data.find(_PREFIX, start)
        if index == -1:
            rest = data[start:]
            pieces.append(util.AtomicString(rest) if isinstance(data, util.AtomicString) else rest)
            break
        found = _PLACEHOLDER_RE.search(data, index)
        if found and found.group(1) in nodes:
            pieces += [data[start:index], nodes[found.group(1)]]
            start = found.end()
        else:  # not one of ours: the prefix is kept as text, the search goes on after it
            end = index + len(_PREFIX)
            pieces.append(data[start:end])
            start = end
    joined: str | None = None
    for piece in pieces:
        if piece:
            joined = piece if joined is None else joined + piece
    return joined


class TypographyExtension(SmartyExtension):
    """smarty, registered as smarty registers itself, with FastSmarty as its processor."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        super().extendMarkdown(md)  # patterns, ESCAPED_CHARS, the angled-quote html rule
        patterns = list(self.inlinePatterns)
        md.treeprocessors.register(FastSmarty(md, patterns), "smarty", 6)


def typography_extension(config: dict) -> markdown.extensions.Extension | str:
    """What to give Markdown for smarty with `config`: the fast one for the default config
    on the verified Markdown release, else the real extension by name."""
    if config or markdown.__version__ not in VERIFIED_MARKDOWN:
        return "markdown.extensions.smarty"
    return TypographyExtension()
