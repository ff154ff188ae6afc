"""One Markdown body to safe HTML: size and nesting limits, Markdown, the sanitiser.

The per-file render: it never raises, so one body that cannot be rendered is an error
naming its file and line while every other body is still rendered.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from markdown import Markdown

from .limits import body_limit
from .plaintext import Parsed, parse
from .problems import Problem, preview
from .reader import RawFile
from .sanitise import clean, clean_tree, sanitise


def render_body(md: Markdown, raw: RawFile) -> tuple[str, Parsed, list[Problem]]:
    """The body's sanitised HTML, its tree for the text edition, and its problems."""
    path, first = raw.source.path, raw.body_line
    limit = body_limit(raw.body)
    if limit:
        return "", _nothing(), [Problem(path, first + limit[0], limit[1])]
    try:
        html, parsed = parse(md, raw.body)
    except RecursionError:
        message = "the Markdown is nested too deeply to render: flatten its lists and quotes"
        return "", _nothing(), [Problem(path, first, message)]
    except Exception as error:  # Markdown's extensions on odd input: this body only
        message = f"cannot render the Markdown: {type(error).__name__}: {preview(str(error))}"
        return "", _nothing(), [Problem(path, first, message)]
    html, problems = sanitise(html, raw.body, path, first)
    stash = [clean(s) if isinstance(s, str) else s for s in parsed.stash]
    return html, Parsed(clean_tree(parsed.tree), stash), problems


def _nothing() -> Parsed:
    return Parsed(Element("div"), [])
