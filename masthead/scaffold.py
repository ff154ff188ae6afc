"""`new issue` and `new article`: the next free number, part and slug, written as a scaffold
whose front matter explains itself. Existing content is read with the plugin's reader, so
the numbers and slugs here are the ones the build will see. Nothing is ever overwritten."""

from __future__ import annotations

import calendar
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError, UsageError
from .project import Project

from newsletter.mistakes import SCAFFOLD_TEXT  # isort: skip
from newsletter.model import slugify  # isort: skip  (plugins/ is on sys.path via .build)
from newsletter.reader import RawFile  # isort: skip

WEEKDAYS = [day.lower() for day in calendar.day_name]


# --- new issue -----------------------------------------------------------------------------


def new_issue(
    project: Project,
    date: datetime.date | None = None,
    subject: str | None = None,
    today: datetime.date | None = None,
) -> Path:
    """Write content/issues/NNN.md for the next free issue number; returns its path."""
    issues = _issues(project)
    number = max(issues, default=0) + 1
    if date is None:
        latest = max((d for d in map(_date_of, issues.values()) if d), default=None)
        date = next_publication_day(project, latest, today or datetime.date.today())
    path = project.content / "issues" / f"{number:0{_width(project)}d}.md"
    _write_new(path, _issue_text(project, number, date, subject), project)
    return path


def next_publication_day(
    project: Project, latest: datetime.date | None, today: datetime.date
) -> datetime.date:
    """The first publication day after the latest issue that is not in the past."""
    weekday = _publication_weekday(project)
    day = max(latest + datetime.timedelta(days=1), today) if latest else today
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _publication_weekday(project: Project) -> int:
    name = str(project.setting("publication_day")).strip().lower()
    if name not in WEEKDAYS:
        raise SettingsError(
            f"{project.settings_file}: NEWSLETTER['publication_day'] is {name!r}: "
            "set it to a weekday like 'Tuesday' (or give --date)"
        )
    return WEEKDAYS.index(name)


def _issues(project: Project) -> dict[int, RawFile]:
    numbers = {}
    for raw in project.raw("issues"):
        number = raw.meta.get("number")
        if isinstance(number, int) and not isinstance(number, bool):
            numbers[number] = raw
    return numbers


def _date_of(raw: RawFile) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(raw.meta.get("date")).strip())
    except ValueError:
        return None


def _width(project: Project) -> int:
    """Zero-padding as the existing file names have it (001.md: 3), else 3."""
    stems = [p.stem for p in (project.content / "issues").glob("*.md") if p.stem.isdigit()]
    return max((len(s) for s in stems if s.startswith("0")), default=3)


def _issue_text(project: Project, number: int, date: datetime.date, subject: str | None) -> str:
    name = project.newsletter.get("name", "the newsletter")
    subject_line = f"subject: {_yaml_text(subject)}" if subject else "# subject: ..."
    return f"""---
# Issue {number} of {name}; README.md ("An issue") describes every field.
number: {number}    # required: a unique whole number (the next free one)
date: {date.isoformat()}    # required: YYYY-MM-DD, the day it goes out
{subject_line}    # optional; default: the lead article's title
# preheader: ...    # optional: the preview text inboxes show after the subject
# articles: [slug-a, slug-b]    # optional order; default: articles with `issue: {number}`
# A draft is built by `build --drafts` and `preview`, never listed or sent:
# set `status: published` when the issue is ready.
status: draft
---
{SCAFFOLD_TEXT["issue"]}
"""


# --- new article ---------------------------------------------------------------------------


@dataclass
class NewArticle:
    path: Path
    slug: str
    title: str
    part: int | None = None
    listed_by_issue: bool = False  # the issue has an `articles:` list: add the slug there


def new_article(
    project: Project,
    title: str | None,
    issue: int,
    series: str | None = None,
    part: int | None = None,
    section: str | None = None,
    slug: str | None = None,
) -> NewArticle:
    """Write content/articles/<slug>.md for `issue`; with a series, its next free part, and
    that part's planned title when no title is given ("-" or nothing)."""
    issue_file = _issues(project).get(issue)
    if issue_file is None:
        raise UsageError(_unknown_issue(project, issue))
    articles = project.raw("articles")
    if series:
        part, title = _series_place(project, articles, series, part, title)
    elif part is not None:
        raise UsageError("--part needs --series: a part belongs to a series")
    if not title or title == "-":
        raise UsageError("give the article's TITLE (or --series SLUG to use its planned title)")
    slug = slug or slugify(title)
    path = project.content / "articles" / f"{slug}.md"
    _refuse_slug_clash(project, articles, slug)
    text = _article_text(title, issue, series, part, section, slug)
    _write_new(path, text, project)
    listed = issue_file.meta.get("articles") is not None
    return NewArticle(path, slug, title, part, listed)


def _unknown_issue(project: Project, issue: int) -> str:
    numbers = sorted(_issues(project))
    known = f"{numbers[0]}-{numbers[-1]}" if numbers else "none yet"
    return f"issue {issue} does not exist (issues: {known}): run `publish.py new issue` first"


def _series_place(
    project: Project, articles: list[RawFile], slug: str, part: int | None, title: str | None
) -> tuple[int, str | None]:
    series = {raw.stem: raw for raw in project.raw("series")}
    if slug not in series:
        known = ", ".join(sorted(series)) or "none yet"
        raise UsageError(f"series '{slug}' does not exist in content/series/ (known: {known})")
    taken = _parts_taken(articles, slug)
    if part is None:
        part = next(n for n in range(1, len(taken) + 2) if n not in taken)
    elif part in taken:
        raise UsageError(
            f"part {part} of series '{slug}' is already {taken[part]}: "
            "give another --part, or none for the next free one"
        )
    if not title or title == "-":
        title = _planned_title(series[slug], slug, part)
    return part, title


def _parts_taken(articles: list[RawFile], series: str) -> dict[int, str]:
    return {
        raw.meta["part"]: raw.source.path
        for raw in articles
        if raw.meta.get("series") == series and isinstance(raw.meta.get("part"), int)
    }


def _planned_title(series: RawFile, slug: str, part: int) -> str:
    planned = series.meta.get("parts") or []
    if isinstance(planned, list) and part <= len(planned) and str(planned[part - 1]).strip():
        return str(planned[part - 1]).strip()
    raise UsageError(
        f"series '{slug}' plans no title for part {part} ({series.source.path} lists "
        f"{len(planned) if isinstance(planned, list) else 0}): give the article's TITLE"
    )


def _refuse_slug_clash(project: Project, articles: list[RawFile], slug: str) -> None:
    path = project.content / "articles" / f"{slug}.md"
    owner = next((raw for raw in articles if str(raw.meta.get("slug") or raw.stem) == slug), None)
    if owner is not None or path.exists():
        where = owner.source.path if owner else project.shown(path)
        raise UsageError(f"slug '{slug}' is already used by {where}: give another --slug")


def _article_text(
    title: str,
    issue: int,
    series: str | None,
    part: int | None,
    section: str | None,
    slug: str,
) -> str:
    section_line = f"section: {_yaml_text(section)}" if section else "# section: Features"
    if series:
        series_lines = f"series: {series}    # a file name in content/series/\npart: {part}"
    else:
        series_lines = "# series: a-series    # a file name in content/series/ ...\n# part: 1"
    return f"""---
# An article; every field is described in README.md, "An article".
title: {_yaml_text(title)}    # required: the headline
issue: {issue}    # required: the issue it appears in
# author: Your Name    # or authors: [A, B]
{section_line}    # optional; default Features (e.g. Events, Recommended Reading)
# topics: [A topic, Another]    # optional: the topical index
# summary: One sentence for listings and feeds.
{series_lines}    # ... and then the part number, unique in that series
# slug: {slug}    # optional; default: the file name
# In the body, link to another article with [its title]({{filename}}other-slug.md)
# and to an image in content/images/ with ![alt text]({{static}}/images/chart.png).
---
{SCAFFOLD_TEXT["article"]}
"""


# --- new series ----------------------------------------------------------------------------


def new_series(
    project: Project, slug: str, title: str, parts: list[str], subtitle: str | None = None
) -> Path:
    """Write content/series/<slug>.md: its title, planned part titles and a description to
    write; `new article --series SLUG` then takes its parts in order."""
    if slug != slugify(slug):
        raise UsageError(f"series slug {slug!r} is not a file name: try {slugify(slug)!r}")
    if not title.strip():
        raise UsageError("give the series a --title")
    planned = "\n".join(f"  - {_yaml_text(part)}" for part in parts)
    parts_block = (
        f"parts:    # planned part titles, in order\n{planned}"
        if parts
        else ('# parts:    # planned part titles, in order: "part N of M"\n#   - "Part one"')
    )
    subtitle_line = f"subtitle: {_yaml_text(subtitle)}" if subtitle else "# subtitle: ..."
    text = f"""---
# A series; every field is described in README.md, "A series".
title: {_yaml_text(title)}    # required
{subtitle_line}    # optional
{parts_block}
---
{SCAFFOLD_TEXT["series"]}
"""
    path = project.content / "series" / f"{slug}.md"
    _write_new(path, text, project)
    return path


# --- both ----------------------------------------------------------------------------------


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar: JSON strings are valid YAML, so any title is safe."""
    return json.dumps(text, ensure_ascii=False)


def _write_new(path: Path, text: str, project: Project) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:  # "x": never overwrite
            file.write(text)
    except FileExistsError:
        raise UsageError(f"{project.shown(path)} already exists: nothing written") from None
