"""The welcome email: an edition under output/editions/welcome/, sent after a reader confirms.

Its text is `content/pages/welcome.md` (a `Title:` line, the subject, then Markdown) or, without
that file, NEWSLETTER["welcome"] ({"subject": ..., "body": Markdown}). It is rendered with the
editions' MJML look (theme/email/welcome.mjml.j2) and links to the latest issue. The file
contract is the editions' one (docs/editions.md), with "kind": "welcome" and number 0, so the
subscription service sends it without importing any build code. No welcome: no directory.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .body import render_body
from .edition import FORMAT, Edition, _templates, write_edition
from .edition_view import content_dir, read_email_settings
from .email_html import TemplateProblem
from .links import Absolutiser
from .message import (
    PLACEHOLDERS,
    RECIPIENT,
    UNSUBSCRIBE_URL,
    edition_headers,
)
from .model import Newsletter, Source
from .plaintext import Parsed, TextRenderer, markdown_parser, wrap
from .problems import Problem
from .reader import RawFile

PAGE = "pages/welcome.md"  # inside the content directory
TEMPLATE = "welcome.mjml.j2"
DIRECTORY = "welcome"  # output/editions/welcome/


@dataclass(frozen=True)
class WelcomeText:
    subject: str
    body: str  # Markdown
    source: str  # "content/pages/welcome.md", or the settings file for the setting
    sha256: str | None  # of the page file; None for the setting (settings changes rebuild)
    body_line: int = 1  # line of the page file the body starts on, for warnings


def is_welcome_page(source_path: str, settings: dict[str, Any]) -> bool:
    """True for content/pages/welcome.md: it is an email, not a page of the archive."""
    path = Path(settings.get("PATH") or "content") / PAGE
    return os.path.abspath(source_path) == os.path.abspath(path)


def read_welcome(settings: dict[str, Any], root: Path) -> tuple[WelcomeText | None, list[Problem]]:
    page = Path(settings.get("PATH") or root / "content") / PAGE
    shown = f"{content_dir(settings, root)}/{PAGE}"
    if page.is_file():
        return _from_page(page, shown)
    given = (settings.get("NEWSLETTER") or {}).get("welcome")
    if not given:
        return None, []
    if not isinstance(given, dict) or not isinstance(given.get("body"), str):
        message = 'NEWSLETTER["welcome"] must be {"subject": "...", "body": "Markdown"}'
        return None, [Problem("pelicanconf.py", 1, message)]
    return WelcomeText(str(given.get("subject") or "Welcome"), given["body"], "", None), []


def _from_page(page: Path, shown: str) -> tuple[WelcomeText | None, list[Problem]]:
    """`Title: ...` (and other Pelican metadata lines) up to the first blank line, then Markdown."""
    data = page.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(shown, 1, "not UTF-8 text: save it as UTF-8")]
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    meta, body_line = {}, head.count("\n") + 3  # after the metadata and the blank line
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            body, body_line = text, 1  # no metadata block: the whole file is the body
            meta = {}
            break
        meta[key.strip().lower()] = value.strip()
    if not meta.get("title"):
        return None, [Problem(shown, 1, "the welcome email needs a 'Title:' line: its subject")]
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return WelcomeText(meta["title"], body, shown, digest, body_line), []


def write_welcome(
    newsletter: Newsletter, settings: dict[str, Any], output_path: Path, root: Path
) -> list[Problem]:
    """Render and write output/editions/welcome/, if the newsletter has a welcome text."""
    welcome, problems = read_welcome(settings, root)
    if welcome is None or problems:
        return problems
    config, problems = read_email_settings(settings, root)
    templates = _templates(settings, root, config)
    if config is None or templates is None:
        return problems
    if not (templates.template_dir / TEMPLATE).is_file():
        missing = f"{welcome.source or 'NEWSLETTER'}: the theme has no email/{TEMPLATE}"
        return [Problem(welcome.source or "pelicanconf.py", 1, missing)]
    links = Absolutiser(config["public_url"], settings.get("SITEURL") or "", newsletter.url_of)
    templates.env.filters["absolute"] = links.page
    md = markdown_parser(settings.get("MARKDOWN") or {})
    path = welcome.source or "pelicanconf.py"
    raw = RawFile("page", Source(path), {}, welcome.body, welcome.body_line)
    html_body, parsed, problems = render_body(md, raw)  # limits and the sanitiser
    if any(not p.warning for p in problems):
        return problems
    body, relative = links.rewrite_html(html_body, "pages")
    problems += [
        Problem(path, welcome.body_line, f"link {target!r} is relative in the welcome email")
        for target in relative
    ]
    latest = newsletter.latest
    web_url = links.page(latest.url) if latest else config["public_url"] + "/"
    subject = f"{config['name']}: {welcome.subject}"
    context = _context(config, subject, web_url, Markup(body), latest)
    try:
        mjml = templates.render_mjml(context, TEMPLATE)
        html = templates.mjml_to_html(mjml, "the welcome email", welcome.source)
    except TemplateProblem as error:
        return [*problems, error.problem]
    text = _text(config, parsed, TextRenderer(md, links.absolute), latest, web_url)
    edition = _edition(config, subject, web_url, html, text, welcome)
    write_edition(edition, output_path / "editions" / DIRECTORY)
    return problems


def _context(config: dict, subject: str, web_url: str, body: Markup, latest: Any) -> dict:
    return {
        "settings": config,
        "subject": subject,
        "preheader": "",
        "site_url": config["public_url"] + "/",
        "web_url": web_url,
        "body": body,
        "latest": latest,
        "part": None,  # the footer of a series part differs
        "subscribe_url": config["subscribe_url"],
        "subscribe_mailto": config["subscribe_mailto"],
        "unsubscribe_mailto": config["unsubscribe_mailto"],
        "recipient": RECIPIENT,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PLACEHOLDERS["preferences_url"],
    }


def _text(config: dict, body: Parsed, renderer: TextRenderer, latest: Any, web_url: str) -> str:
    """The text part, from the sanitised tree: nothing the HTML part lost comes back here."""
    blocks = [config["name"].upper(), renderer.render(body, "pages"), renderer.references()]
    if latest is not None:
        blocks.append(f"The latest issue: #{latest.number}, {latest.subject}\n{web_url}")
    footer = [
        f"You receive {config['name']} because {RECIPIENT} subscribed to it.",
        f"Unsubscribe in one click: {UNSUBSCRIBE_URL}",
        f"or reply UNSUBSCRIBE to {config['requests_address']}.",
        f"Choose what you receive: {PLACEHOLDERS['preferences_url']}",
    ]
    blocks.append("\n".join(line for part in footer for line in wrap(part)))
    return "\n\n".join(block for block in blocks if block) + "\n"


def _edition(
    config: dict, subject: str, web_url: str, html: str, text: str, welcome: WelcomeText
) -> Edition:
    headers = edition_headers(config, subject)
    files = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8")}
    meta = {
        "format": FORMAT,
        "kind": "welcome",
        "number": 0,
        "status": "published",
        "subject": subject,
        "preheader": "",
        "web_url": web_url,
        "headers": headers,
        "unsubscribe_url_template": config["unsubscribe_url_template"],
        "preferences_url_template": config["preferences_url_template"],
        "placeholders": {name: {"token": token} for name, token in PLACEHOLDERS.items()},
        "files": {"html": "email.html", "text": "email.txt"},
        "hashes": {n: "sha256:" + hashlib.sha256(d).hexdigest() for n, d in files.items()},
        "sources": {welcome.source: welcome.sha256} if welcome.sha256 else {},
        "warnings": [],
    }
    return Edition(None, files, meta)  # type: ignore[arg-type]  # no issue: only files and meta
