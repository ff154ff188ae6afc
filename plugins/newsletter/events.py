"""Events: an .ics file per dated event, "today" for past/upcoming, phone numbers as tel: links."""

from __future__ import annotations

import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import phonenumbers

from .model import Article, Newsletter

ICS_NAME = "event.ics"
MAX_REGISTER = 1000  # characters searched for phone numbers: front matter is one line anyway


def today(settings: dict) -> datetime.date:
    """The build date in the newsletter's time zone; NEWSLETTER_TODAY fixes it (tests)."""
    fixed = settings.get("NEWSLETTER_TODAY")
    if isinstance(fixed, datetime.date):
        return fixed
    if fixed:
        return datetime.date.fromisoformat(str(fixed))
    return datetime.datetime.now(ZoneInfo(settings.get("TIMEZONE") or "UTC")).date()


def ics_url(article: Article) -> str:
    return f"{article.url}{ICS_NAME}"


def calendar(article: Article, base: str, timezone: str) -> icalendar.Calendar:
    """One VEVENT: start (a date, or a local time with its VTIMEZONE), place, link back."""
    event = article.event
    when = event.when
    if isinstance(when, datetime.datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    published = article.issue.date
    entry = icalendar.Event()
    entry.add("uid", f"{article.url.strip('/').replace('/', '-')}@{urlsplit(base).hostname}")
    entry.add("dtstamp", datetime.datetime(*published.timetuple()[:3], tzinfo=datetime.UTC))
    entry.add("dtstart", when)
    entry.add("summary", article.title)
    entry.add("url", f"{base}/{article.url}")
    if event.location:
        entry.add("location", event.location)
    details = [article.summary or "", f"Register: {event.register}" if event.register else ""]
    entry.add("description", "\n".join(line for line in details if line) or article.title)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Masthead//newsletter events//EN")
    cal.add("version", "2.0")
    cal.add_component(entry)
    year = event.day.year  # the VTIMEZONE covers the event's years, not 1970-2038
    cal.add_missing_timezones(datetime.date(year - 1, 1, 1), datetime.date(year + 2, 1, 1))
    return cal


def write_calendars(
    newsletter: Newsletter, base: str, timezone: str, output: Path, memo=None, fingerprints=None
) -> int:
    """An .ics beside every dated event's page; returns how many there are. With an output
    memo and the build's fingerprints, an unchanged one keeps its file (output_memo.py)."""
    written = 0
    for issue in newsletter.issues:
        for article in issue.articles:
            if article.event and article.event.day:
                written += 1
                name = ics_url(article)
                made = fingerprints and fingerprints.calendar(article, base, timezone)
                if memo is not None and made and memo.keep([name], made):
                    continue
                path = output / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(calendar(article, base, timezone).to_ical())
                if memo is not None and made:
                    memo.wrote([name], made)
    return written


def contact_links(text: str, region: str = "US") -> list[tuple[str, str | None]]:
    """`text` cut into (words, tel: href or None) pieces, phone numbers found by
    libphonenumber's matcher (bounded work per candidate, no backtracking regex)."""
    pieces: list[tuple[str, str | None]] = []
    done = 0
    for match in phonenumbers.PhoneNumberMatcher(text[:MAX_REGISTER], region):
        if match.start > done:
            pieces.append((text[done : match.start], None))
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        pieces.append((match.raw_string, f"tel:{e164}"))
        done = match.end
    if done < len(text):
        pieces.append((text[done:], None))
    return pieces
