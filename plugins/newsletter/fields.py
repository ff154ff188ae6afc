"""Typed access to one file's front matter; every mistake becomes a Problem, none stops reading.

Each getter returns None when the field is missing or wrong, after noting why, so one run
reports every problem in every file (Pelican's "to not short circuit").
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import unicodedata

from .problems import Problem, preview
from .reader import RawFile

MAX_LINE = 1_000  # characters in a one-line field: a subject line, a title, a summary
LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}


def forbidden_character(text: str) -> str | None:
    """What makes `text` unfit for a one-line field (a title, a subject header, a feed
    entry), or None: a line break of any kind, or a control character (NUL, ESC, …)."""
    if len(text) > MAX_LINE:
        return f"is {len(text):,} characters long: keep it under {MAX_LINE:,}"
    if text.isprintable():  # no line break, no control character (the usual case, in C)
        return None
    for column, char in enumerate(text, start=1):
        if char in LINE_BREAKS:
            return "must be one line: join its lines"
        if unicodedata.category(char) == "Cc" and char != "\t":
            return f"holds the control character U+{ord(char):04X} at column {column}: remove it"
    return None


class Fields:
    def __init__(self, raw: RawFile, known: tuple[str, ...], problems: list[Problem]):
        self.raw = raw
        self.problems = problems
        self._warn_unknown(known)

    def problem(self, key: str | None, message: str, warning: bool = False) -> None:
        source = self.raw.source
        self.problems.append(Problem(source.path, source.line(key), message, warning))

    def _missing(self, key: str, required: bool, hint: str) -> None:
        if required:
            self.problem(None, f"field '{key}' is required: add `{key}: {hint}`")

    def text(self, key: str, required: bool = False, hint: str = "...") -> str | None:
        value = self.raw.meta.get(key)
        if value is None:
            return self._missing(key, required, hint)
        if isinstance(value, bool | list | dict):
            return self.problem(key, f"field '{key}' must be text, like `{key}: {hint}`")
        text = str(value).strip()
        if not text:
            return self._missing(key, required, hint)
        wrong = forbidden_character(text)
        if wrong:
            return self.problem(key, f"field '{key}' {wrong}")
        return text

    def positive_int(self, key: str, required: bool = False, most: int = 99_999) -> int | None:
        value = self.raw.meta.get(key)
        if value is None:
            return self._missing(key, required, "<number>")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            return self.problem(
                key, f"field '{key}' must be a whole number from 1 to {most}, not {preview(value)}"
            )
        return value

    def date(self, key: str, required: bool = False) -> datetime.date | None:
        value = self.raw.meta.get(key)
        if value is None:
            return self._missing(key, required, "YYYY-MM-DD")
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            return self.problem(key, _bad_date(key, str(value).strip(), value))

    def moment(self, key: str) -> datetime.date | datetime.datetime | None:
        """A date, or a date and time ("2025-03-20 17:45")."""
        value = self.raw.meta.get(key)
        if value is None or isinstance(value, datetime.date):
            return value
        text = str(value).strip() if isinstance(value, str | int | float) else ""
        try:
            if len(text) == len("YYYY-MM-DD"):
                return datetime.date.fromisoformat(text)
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            message = (
                f"field '{key}' must be YYYY-MM-DD or 'YYYY-MM-DD HH:MM', not {preview(value)}"
            )
            return self.problem(key, message)

    def text_list(self, key: str) -> list[str] | None:
        value = self.raw.meta.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(item, str | int)
            and not isinstance(item, bool)
            and str(item).strip()
            and not forbidden_character(str(item).strip())
            for item in value
        ):
            message = f"field '{key}' must be a list of one-line texts, like `{key}: [a, b]`"
            return self.problem(key, message)
        return [str(item).strip() for item in value]

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.raw.meta.get(key, options[0])
        if not isinstance(value, str) or value not in options:
            allowed = " or ".join(options)
            self.problem(key, f"field '{key}' must be {allowed}, not {preview(value)}")
            return options[0]
        return value

    def _warn_unknown(self, known: tuple[str, ...]) -> None:
        for key in self.raw.meta:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key)[:100], known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known_list = ", ".join(known)
            self.problem(
                str(key),
                f"unknown field {preview(key)}{hint}; known fields: {known_list}",
                warning=True,
            )


def _bad_date(key: str, text: str, value: object) -> str:
    """'2026-11-31 does not exist (November 2026 has 30 days)', else the format to use."""
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        year, month, day = map(int, parts)
        if not 1 <= month <= 12:
            return f"field '{key}': {text} does not exist (there is no month {month})"
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            name = calendar.month_name[month]
            return f"field '{key}': {text} does not exist ({name} {year} has {days} days)"
    return f"field '{key}' must be a date as YYYY-MM-DD, not {preview(value)}"
