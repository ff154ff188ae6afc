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
