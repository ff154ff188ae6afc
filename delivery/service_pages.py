"""The subscription service's HTML pages, in the web archive's look.

Plain string templates (no Jinja: the service stays small and never imports the build side);
every value is escaped here. Links are relative, so the pages work under any path prefix a
reverse proxy gives the service (https://example.org/service/...).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} — {name}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<header class="site" role="banner">
  <p class="site-name">{home}</p>
</header>
<main id="main">
<article class="page">
  <h1>{title}</h1>
  {body}
</article>
</main>
<footer class="site" role="contentinfo">
  <p>{footer}</p>
</footer>
</body>
</html>
"""

# One button, posting back to the same path and token: a GET (a link scanner) changes nothing.
BUTTON = """<form class="subscribe" method="post" action="{action}">
    <input type="hidden" name="List-Unsubscribe" value="One-Click">
    <p><button type="submit">{label}</button></p>
  </form>"""


@dataclass(frozen=True)
class Look:
    """What every page shows around its content: the newsletter's name and archive."""

    name: str
    public_url: str = ""

    def subscribe_link(self, text: str) -> str:
        """The archive's subscribe page, or just the words when there is no archive URL."""
        if not self.public_url:
            return escape(text)
        return f'<a href="{escape(self.public_url.rstrip("/"))}/subscribe/">{escape(text)}</a>'

    def page(self, title: str, body: str) -> bytes:
        archive = escape(self.public_url.rstrip("/") + "/") if self.public_url else ""
        home = f'<a href="{archive}">{escape(self.name)}</a>' if archive else escape(self.name)
        footer = f'<a href="{archive}">Back to the archive</a>' if archive else escape(self.name)
        html = PAGE.format(
            title=escape(title), name=escape(self.name), home=home, body=body, footer=footer
        )
        return html.encode("utf-8")


def paragraphs(*texts: str) -> str:
    return "\n  ".join(f"<p>{escape(text)}</p>" for text in texts)


def button(action: str, label: str) -> str:
    return BUTTON.format(action=escape(action), label=escape(label))


def unsubscribe_question(look: Look, action: str, address: str) -> bytes:
    body = paragraphs(f"Stop sending {look.name} to {address}?") + button(action, "Unsubscribe")
    return look.page("Unsubscribe", body)


def unsubscribed(look: Look) -> bytes:
    body = paragraphs(f"You will receive no more issues of {look.name}.")
    again = look.subscribe_link("subscribe again")
    more = f"<p>Changed your mind? You can {again} at any time.</p>"
    return look.page("You are unsubscribed", f"{body}\n  {more}")


def confirm_question(look: Look, action: str, address: str) -> bytes:
    body = paragraphs(f"Send {look.name} to {address}?") + button(action, "Confirm subscription")
    return look.page("Confirm your subscription", body)


def confirmed(look: Look) -> bytes:
    return look.page(
        "Subscription confirmed",
        paragraphs(f"Thank you: the next issue of {look.name} will reach you by email."),
    )


def check_your_inbox(look: Look) -> bytes:
    # The same words whether the address is new, pending or already subscribed.
    body = paragraphs(
        "If this address can receive the newsletter, an email with a confirmation link "
        "is on its way. Open it to finish subscribing."
    )
    again = look.subscribe_link("subscribe again")
    more = f"<p>Nothing arrived after a few minutes? Look in your spam folder, or {again}.</p>"
    return look.page("Check your inbox", f"{body}\n  {more}")


def form_problem(look: Look, problem: str) -> bytes:
    return look.page(
        "Please check the form", paragraphs(problem, "Go back, correct it and send it again.")
    )


# -- series follows and preferences (issue 14) -----------------------------------------------


def leave_series_question(look: Look, action: str, address: str, title: str) -> bytes:
    body = paragraphs(f"Stop sending the parts of {title} to {address}?")
    body += paragraphs("Nothing else you receive from us changes.")
    return look.page(f"Leave {title}", body + button(action, f"Leave {title}"))


def left_series(look: Look, title: str) -> bytes:
    return look.page(
        f"You left {title}", paragraphs(f"No more parts of {title} will be sent to you.")
    )


@dataclass(frozen=True)
class SeriesOption:
    slug: str
    title: str
    followed: bool
    note: str = ""  # "complete: all parts sent", ...


PREFERENCES_FORM = """<form class="preferences" method="post" action="{action}">
  <fieldset>
    <legend>Send to {address}</legend>
    <p><label><input type="checkbox" name="newsletter" value="yes"{newsletter}>
      Every issue of {name}</label></p>
    {series}
  </fieldset>
  <p><button type="submit" name="save" value="yes">Save my choices</button></p>
  <p><button type="submit" name="nothing" value="yes">Send me nothing</button></p>
</form>"""


def preferences(
    look: Look,
    action: str,
    address: str,
    newsletter: bool,
    options: list[SeriesOption],
    unsubscribed: bool,
) -> bytes:
    """What the reader gets, as a form: the whole newsletter, each series, or nothing."""
    rows = []
    for option in options:
        checked = " checked" if option.followed else ""
        note = f" <small>({escape(option.note)})</small>" if option.note else ""
        rows.append(
            f'<p><label><input type="checkbox" name="follow-{escape(option.slug)}" value="yes"'
            f"{checked}> The series {escape(option.title)}</label>{note}</p>"
        )
    intro = (
        paragraphs("You receive nothing from us at the moment. Choose what you would like:")
        if unsubscribed
        else paragraphs("Choose what you receive. A series sends its parts as they appear.")
    )
    form = PREFERENCES_FORM.format(
        action=escape(action),
        address=escape(address),
        name=escape(look.name),
        newsletter=" checked" if newsletter and not unsubscribed else "",
        series="\n    ".join(rows),
    )
    return look.page("What you receive", intro + "\n  " + form)


def preferences_saved(look: Look, summary: str) -> bytes:
    return look.page("Your choices are saved", paragraphs(summary))
