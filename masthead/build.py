"""Run one Pelican build of the newsletter and report what it made."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican, signals
from pelican.contents import Content
from pelican.log import LimitFilter, console
from pelican.settings import read_settings

from .errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from newsletter import discard_unfinished  # noqa: E402
from newsletter.generator import NewsletterGenerator  # noqa: E402
from newsletter.problems import ContentError, Problem  # noqa: E402

__all__ = ["BuildReport", "ContentError", "Problem", "build", "load_settings"]


class SettingsFileError(SettingsError):
    """The settings file is missing or cannot be executed."""


@dataclass
class BuildReport:
    output: Path
    issues: int = 0
    drafts: int = 0
    articles: int = 0
    series: int = 0
    topics: int = 0
    editions: int = 0
    latest_issue: int | None = None  # the newest issue built (a draft too, with --drafts)
    warnings: list[Problem] = field(default_factory=list)
    pelican_warnings: list[str] = field(default_factory=list)  # Pelican's own, not ours
    search_seconds: float | None = None  # Pagefind's indexing, part of the build (None: off)

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + len(self.pelican_warnings)


def load_settings(settings_file: str | Path, **overrides) -> dict:
    path = Path(settings_file)
    if not path.is_file():
        raise SettingsFileError(f"{path}: no such settings file (give --settings FILE)")
    try:
        return read_settings(str(path), override={k: v for k, v in overrides.items() if v})
    except Exception as error:  # a user's Python file: any error is theirs to fix
        raise SettingsFileError(f"{path}: cannot read settings: {error}") from error


def build(
    settings_file: str | Path = "pelicanconf.py",
    output: str | Path | None = None,
    drafts: bool = False,
    content: str | Path | None = None,
    extra: dict | None = None,
    cache: bool = True,
) -> BuildReport:
    """Build the web archive and the editions; raises ContentError listing every problem.
    `extra` overrides settings after the file is read (tests, benchmarks); `cache=False`
    renders everything again, as NEWSLETTER_CACHE = False does."""
    overrides = {
        "OUTPUT_PATH": str(Path(output).resolve()) if output else None,
        "PATH": str(Path(content).resolve()) if content else None,
    }
    settings = load_settings(settings_file, **overrides)
    settings["NEWSLETTER_DRAFTS"] = bool(drafts)
    settings["NEWSLETTER_SETTINGS_FILE"] = str(Path(settings_file).resolve())  # for messages
    settings.update(extra or {})
    if not cache:
        settings["NEWSLETTER_CACHE"] = False
    captured: list[NewsletterGenerator] = []

    def capture(generators) -> None:
        captured.extend(g for g in generators if isinstance(g, NewsletterGenerator))

    signals.all_generators_finalized.connect(capture)
    try:
        with quiet_pelican() as pelican_warnings:
            Pelican(settings).run()
    except BaseException:
        discard_unfinished(settings["OUTPUT_PATH"])
        raise
    finally:
        signals.all_generators_finalized.disconnect(capture)
        forget_pages()
    report = _report(Path(settings["OUTPUT_PATH"]), captured[0])
    report.pelican_warnings = pelican_warnings
    report.search_seconds = settings.get("NEWSLETTER_SEARCH_SECONDS")
    if settings.get("NEWSLETTER_SEARCH_PROBLEM"):
        report.warnings = [*report.warnings, settings["NEWSLETTER_SEARCH_PROBLEM"]]
    return report


def forget_pages() -> None:
    """Empty Pelican's class-level memo of rendered page content: it keeps every build's
    pages, and through their context the whole model, alive (a preview grew ~36 MB a save)."""
    for name in ("get_content", "get_summary"):
        memo = Content.__dict__.get(name)
        if memo is not None and hasattr(memo, "cache"):
            memo.cache.clear()


class _Collect(logging.Handler):
    """Keeps Pelican's warnings as text; the plugin's own arrive as Problems in the report."""

    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("newsletter"):
            self.into.append(record.getMessage())


@contextlib.contextmanager
def quiet_pelican() -> Iterator[list[str]]:
    """Silence Pelican's console ("Done: Processed 0 articles…") and its log output.

    Pelican prints through a rich Console in pelican.log and logs through `logging`; with no
    handler installed, Python's last-resort handler would print every record (ours twice).
    A handler on the root logger collects the warnings instead, so the CLI prints them once.
    """
    collected: list[str] = []
    handler = _Collect(collected)
    root = logging.getLogger()
    root.addHandler(handler)
    # Pelican drops a message it has logged once per process; a preview rebuilds in one
    # process and must show a warning that is still there.
    LimitFilter._raised_messages.clear()
    was_quiet, console.quiet = console.quiet, True
    try:
        yield collected
    finally:
        console.quiet = was_quiet
        root.removeHandler(handler)


def _report(output: Path, generator: NewsletterGenerator) -> BuildReport:
    newsletter = generator.newsletter
    editions = output / "editions"
    return BuildReport(
        output=output,
        issues=len(newsletter.published_issues),
        drafts=len(newsletter.issues) - len(newsletter.published_issues),
        articles=len(newsletter.articles),
        series=len(newsletter.series),
        topics=len(newsletter.topics),
        editions=len(list(editions.glob("*/edition.json"))) if editions.is_dir() else 0,
        latest_issue=newsletter.issues[-1].number if newsletter.issues else None,
        warnings=generator.context.get("build_warnings", []),
    )
