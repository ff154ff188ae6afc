"""The NEWSLETTER settings dict, checked in one place before anything is read."""

from __future__ import annotations

from pathlib import Path

from .problems import Problem

REQUIRED = {
    "name": "the newsletter's name",
    "public_url": "the https:// address of the web archive",
    "from": "the From address, like 'Name <news@example.org>'",
    "reply_to": "the address replies go to",
    "list_id": "a domain you own naming the list, like 'news.example.org'",
    "copyright": "the copyright line",
    "service_url": "the https:// address of the subscription service (publish.py serve)",
    "requests_address": "the address that takes SUBSCRIBE / UNSUBSCRIBE replies",
}
PUBLISHER = ("name", "address", "contact")


def check_settings(settings: dict) -> list[Problem]:
    """Every missing or malformed NEWSLETTER key, as problems against the settings file
    (the one given to publish.py --settings, else pelicanconf.py), at its NEWSLETTER line."""
    _problem = _reporter(settings)
    newsletter = settings.get("NEWSLETTER")
    if not isinstance(newsletter, dict):
        return [_problem("NEWSLETTER is missing: add the NEWSLETTER = {...} dict")]
    problems = [
        _problem(f"NEWSLETTER['{key}'] is missing: set it to {what}")
        for key, what in REQUIRED.items()
        if not str(newsletter.get(key) or "").strip()
    ]
    publisher = newsletter.get("publisher") or {}
    problems += [
        _problem(f"NEWSLETTER['publisher']['{key}'] is missing: the email footer needs it")
        for key in PUBLISHER
        if not str(publisher.get(key) or "").strip()
    ]
    problems += _section_problems(newsletter.get("sections"), _problem)
    for key in ("public_url", "service_url"):
        value = str(newsletter.get(key) or "")
        if value and not value.startswith(("https://", "http://")):
            problems.append(_problem(f"NEWSLETTER['{key}'] must start with https://"))
    return problems


def sections_setting(settings: dict) -> list[str] | None:
    """NEWSLETTER["sections"] when it is a list of names (check_settings reports otherwise)."""
    sections = (settings.get("NEWSLETTER") or {}).get("sections")
    if isinstance(sections, list | tuple) and all(isinstance(s, str) for s in sections):
        return list(sections)
    return None


def _section_problems(sections: object, _problem) -> list[Problem]:
    if sections is None:
        return []
    if not isinstance(sections, list | tuple) or not all(
        isinstance(name, str) and name.strip() for name in sections
    ):
        return [_problem("NEWSLETTER['sections'] must be a list of section names, "
                         "like ['Features', 'Events', 'Recommended Reading']")]  # fmt: skip
    return []


def _reporter(settings: dict):
    path = Path(settings.get("NEWSLETTER_SETTINGS_FILE") or "pelicanconf.py")
    if not path.is_absolute():
        path = Path(settings.get("PATH") or ".").parent / path
    line = _newsletter_line(path)
    return lambda message: Problem(path.name, line, f"newsletter: {message}")


def _newsletter_line(path: Path) -> int:
    """The line defining NEWSLETTER, so an editor lands on it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, text in enumerate(lines, 1) if text.startswith("NEWSLETTER")), 1)
