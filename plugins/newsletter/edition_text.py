"""The plain-text part of an edition: masthead, contents, welcome, articles, footer."""

from __future__ import annotations

import functools

from .edition_view import EditionView
from .message import PREFERENCES_URL, RECIPIENT, UNSUBSCRIBE_URL
from .model import DEFAULT_SECTION, Article
from .plaintext import HARDBREAK, WIDTH, TextRenderer, heading, wrap

RULE = "=" * WIDTH
THIN_RULE = "-" * WIDTH


def edition_text(view: EditionView, renderer: TextRenderer) -> str:
    """The whole text part; `%%recipient%%` and `%%unsubscribe_url%%` are left for the send."""
    blocks = [*_draft(view), _masthead(view), _contents(view)]
    if view.issue.welcome_md.strip():
        blocks.append(
            renderer.render(
                view.issue.welcome_parsed or view.issue.welcome_md, view.source_dir(view.issue)
            )
        )
        blocks += _references(renderer)
    for section, articles in view.issue.sections:
        blocks += [RULE] if view.part else [RULE, section.upper()]
        for index, article in enumerate(articles):
            blocks += [THIN_RULE] if index else []
            blocks += _article(view, renderer, article)
    blocks += [RULE, _footer(view)]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _draft(view: EditionView) -> list[str]:
    return ["*** DRAFT: a preview, never sent to subscribers ***"] if view.draft else []


def _masthead(view: EditionView) -> str:
    config, issue = view.config, view.issue
    lines = [config["name"].upper()]
    if config.get("tagline"):
        lines += wrap(config["tagline"])
    label = view.part.label if view.part else f"Issue #{issue.number}"
    lines += wrap(f"{label} · {issue.date_text}")
    lines += [f"On the web: {view.web_url}"]
    return "\n".join(lines)


def _contents(view: EditionView) -> str:
    if not view.issue.articles or view.part:
        return ""
    lines = heading("IN THIS ISSUE", "-")
    for section, articles in view.issue.sections:
        label = "" if section == DEFAULT_SECTION else f" ({section})"
        for article in articles:
            lines += wrap(f"{article.title}{label}", first="* ", rest="  ")
    return "\n".join(lines)


def _article(view: EditionView, renderer: TextRenderer, article: Article) -> list[str]:
    head = heading(article.title.upper(), "=")
    if article.byline:
        head += wrap(f"By {article.byline}")
    blocks = ["\n".join(head), _series_note(view, article), _event(article)]
    blocks.append(renderer.render(article.body_parsed or article.body_md, view.source_dir(article)))
    blocks.append(f"Read it on the web: {view.links.page(article.url)}")
    return [*blocks, *_references(renderer)]


def _series_note(view: EditionView, article: Article) -> str:
    series = article.series
    if series is None or article.part is None:
        return ""
    earlier = [p.title for p in series.published_parts if p.number < article.part]
    later = [p.title for p in series.parts if p.number > article.part]
    note = f"Part {article.part} of {series.total} of {series.title}"
    if earlier:
        note += " — earlier parts: " + "; ".join(earlier)
    if later:
        note += "; coming next: " + ", ".join(later) + "."
    else:
        note += ". This completes the series." if series.complete else "."
    note += f" The series: {view.links.page(series.url)}"
    return "\n".join(wrap(note, first="[", rest=" ")) + "]"


def _event(article: Article) -> str:
    event = article.event
    if event is None:
        return ""
    lines = []
    for label, value in (
        ("When", event.when_text),
        ("Where", event.location),
        ("How to register", event.register),
    ):
        if value:
            lines += wrap(f"{label}: {value}", rest="    ")
    return "\n".join(lines)


def _references(renderer: TextRenderer) -> list[str]:
    refs = renderer.references()
    return ["Links:\n" + refs] if refs else []


def _footer(view: EditionView) -> str:
    c = view.config
    # Placeholders end their line: filled in after wrapping, they must not push text past 72.
    paragraphs = [
        *(_part_footer(view) if view.part else _issue_footer(view)),
        f"Choose what you receive (the whole newsletter, single series, or nothing):\n"
        f"{PREFERENCES_URL}",
        f"{c['publisher']['name']}, {c['publisher']['address']}"
        + (f" · {c['publisher']['contact']}" if c["publisher"].get("contact") else ""),
        c["copyright"],
    ]
    return "\n\n".join(_wrapped(paragraph) for paragraph in paragraphs)


@functools.lru_cache(maxsize=64)
def _wrapped(paragraph: str) -> str:
    """A footer paragraph wrapped ("\n" a hard break): most read the same in every edition
    of a build, and wrapping is a good part of the footer's cost."""
    return "\n".join(wrap(paragraph.replace("\n", HARDBREAK)))


def _issue_footer(view: EditionView) -> list[str]:
    c = view.config
    return [
        f"You receive {c['name']} because you subscribed to it as\n{RECIPIENT}",
        f"View this issue in your browser: {view.web_url}",
        "Pass it on: forward this email to a colleague. They can subscribe at "
        f"{c['subscribe_url']} or by sending an email with the subject SUBSCRIBE to "
        f"{c['requests_address']}.",
        f"Unsubscribe in one click:\n{UNSUBSCRIBE_URL}",
        "Or reply with UNSUBSCRIBE: send an email with the subject UNSUBSCRIBE to "
        f"{c['requests_address']}.",
    ]


def _part_footer(view: EditionView) -> list[str]:
    part, c = view.part, view.config
    series = part.series.title
    paragraphs = [
        f"You receive this part because you follow {series}, a series of {c['name']}, as"
        f"\n{RECIPIENT}",
        f"Read it in your browser: {view.web_url}",
    ]
    if part.last:
        paragraphs.append(
            "The series is complete: this was its last part, and your follow of it ends here."
        )
    paragraphs.append(f"Leave {series} in one click (nothing else changes):\n{UNSUBSCRIBE_URL}")
    return paragraphs
