"""The HTML part: Jinja2 templates in theme/email/ produce MJML; MRML renders it to HTML.

Template problems become one-line Problems naming the template file and line; MJML that
MRML rejects names the template and the issue (and the article whose HTML MRML cannot read,
when one alone fails).
"""

from __future__ import annotations

import functools
import re
import traceback
from pathlib import Path
from typing import Any

import jinja2
import mjml
from markupsafe import Markup, escape

from . import timing
from .problems import Problem

MAIN_TEMPLATE = "edition.mjml.j2"
_POSITION = re.compile(r"position (\d+):\d+")
_HEAD_GAP = re.compile(r">[ \t]+<")
# An address starts only where a word starts (the lookbehind): tried from every position of a
# long word, the pattern would take time growing with the square of its length.
_EMAIL = re.compile(r"(?<![^@\s<>])[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}", re.IGNORECASE)


class TemplateProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def _linkify_email(text: str) -> Markup:
    """Registration text such as "write to events@example.org": the address becomes a mailto."""
    escaped = str(escape(text))
    return Markup(_EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped))


class EmailTemplates:
    """The theme's email templates, compiled once per build."""

    def __init__(self, template_dir: Path, project_root: Path, absolute: Any):
        self.template_dir = template_dir
        self.project_root = project_root
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=True,  # MJML is markup: every text value is escaped
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one build: no stat of every template on every include
        )
        self.env.filters["absolute"] = absolute
        self.env.filters["linkify_email"] = _linkify_email

    def check(self) -> list[Problem]:
        """Compile every template now, so a syntax error is reported before any rendering."""
        problems = []
        if not (self.template_dir / MAIN_TEMPLATE).is_file():
            path = self._relative(str(self.template_dir / MAIN_TEMPLATE))
            return [Problem(path, 1, "email template missing: the theme needs theme/email/")]
        for name in self.env.list_templates(filter_func=lambda n: n.endswith(".j2")):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as error:
                problems.append(self._syntax_problem(error, name))
        return problems

    def render_mjml(self, context: dict[str, Any], template: str = MAIN_TEMPLATE) -> str:
        try:
            return _tidy_head(self.env.get_template(template).render(context))
        except jinja2.TemplateSyntaxError as error:
            problem = self._syntax_problem(error, error.name or template)
            raise TemplateProblem(problem) from None
        except Exception as error:
            raise TemplateProblem(self._runtime_problem(error)) from None

    def _syntax_problem(self, error: jinja2.TemplateSyntaxError, name: str) -> Problem:
        path = self._relative(error.filename or str(self.template_dir / name))
        first_line = str(error.message or error).splitlines()[0]
        return Problem(path, error.lineno or 1, f"malformed email template: {first_line}")

    def _runtime_problem(self, error: Exception) -> Problem:
        """Jinja puts template files and lines in the traceback: name the innermost one."""
        frames = traceback.extract_tb(error.__traceback__)
        frames = [frame for frame in frames if frame.filename.endswith(".j2")]
        path = self._relative(frames[-1].filename) if frames else self.main_path
        line = (frames[-1].lineno or 1) if frames else 1
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Problem(path, line, f"email template failed: {message}")

    @functools.cached_property
    def main_path(self) -> str:
        """edition.mjml.j2 relative to the project (resolving it reads the file system)."""
        return self._relative(str(self.template_dir / MAIN_TEMPLATE))

    def _relative(self, path: str) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.project_root.resolve()))
        except ValueError:
            return path

    def mjml_to_html(self, source: str, issue_label: str, issue_path: str) -> str:
        """MRML's HTML; raises TemplateProblem naming the template and the issue."""
        try:
            with timing.phase("edition: MRML"):
                return mjml.mjml2html(source, disable_comments=True)
        except (ValueError, RuntimeError) as error:
            message = (
                f"MRML rejected the MJML that {self.main_path} made for {issue_label}: "
                f"{str(error).splitlines()[0]}{_where(source, str(error))}"
            )
            raise TemplateProblem(Problem(issue_path, 1, message)) from None


def _where(source: str, error: str) -> str:
    """MRML gives byte offsets ("position 137:139"): show the generated MJML line and text."""
    match = _POSITION.search(error)
    if not match:
        return ""
    data, start = source.encode("utf-8"), int(match.group(1))
    line = data[:start].count(b"\n") + 1
    near = data[max(start - 30, 0) : start + 30].decode("utf-8", "replace").replace("\n", " ")
    return f" (generated MJML line {line}, near {near!r})"


def _tidy_head(source: str) -> str:
    """MRML 1.4 rejects spaces-only text between tags in mj-head (a newline is fine)."""
    head, marker, body = source.partition("</mj-head>")
    return _HEAD_GAP.sub(">\n<", head) + marker + body if marker else source


def rejected_fragment(html: str) -> str | None:
    """MRML's complaint about one piece of body HTML on its own, or None if it takes it."""
    wrapped = (
        "<mjml><mj-body><mj-section><mj-column><mj-text>"
        f"{html}</mj-text></mj-column></mj-section></mj-body></mjml>"
    )
    try:
        mjml.mjml2html(wrapped)
    except (ValueError, RuntimeError) as error:
        return str(error).splitlines()[0]
    return None
