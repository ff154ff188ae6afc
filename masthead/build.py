"""Run one Pelican build of the newsletter and report what it made."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican, signals
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from newsletter.generator import NewsletterGenerator  # noqa: E402
from newsletter.problems import ContentError, Problem  # noqa: E402

__all__ = ["BuildReport", "ContentError", "Problem", "build", "load_settings"]


class SettingsFileError(Exception):
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
    warnings: list[Problem] = field(default_factory=list)


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
) -> BuildReport:
    """Build the web archive and the editions; raises ContentError listing every problem."""
    overrides = {
        "OUTPUT_PATH": str(Path(output).resolve()) if output else None,
        "PATH": str(Path(content).resolve()) if content else None,
    }
    settings = load_settings(settings_file, **overrides)
    settings["NEWSLETTER_DRAFTS"] = bool(drafts)
    captured: list[NewsletterGenerator] = []

    def capture(generators) -> None:
        captured.extend(g for g in generators if isinstance(g, NewsletterGenerator))

    signals.all_generators_finalized.connect(capture)
    try:
        Pelican(settings).run()
    finally:
        signals.all_generators_finalized.disconnect(capture)
    return _report(Path(settings["OUTPUT_PATH"]), captured[0])


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
        warnings=generator.context.get("build_warnings", []),
    )
