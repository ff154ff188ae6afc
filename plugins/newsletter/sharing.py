"""What a shared link and a search engine see: absolute URLs, the lead image, JSON-LD.

JSON-LD is built as Python data and serialised with json.dumps, never by templating text, so
a title with quotes or `</script>` stays data: `<` is escaped as \\u003c inside the script.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from markupsafe import Markup

from .links import Absolutiser
from .model import Article, Issue, Newsletter


def site_base(settings: dict) -> str:
    """Where the archive lives: SITEURL when absolute (publishconf.py), else the public URL."""
    site = str(settings.get("SITEURL") or "")
    if site.startswith(("https://", "http://")):
        return site.rstrip("/")
    return str(settings["NEWSLETTER"]["public_url"]).rstrip("/")


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.src is None:
            self.src = dict(attrs).get("src") or None


def first_image(html: str) -> str | None:
    """The src of the first <img> in an article body (its share image), parsed, not matched."""
    parser = _FirstImage()
    parser.feed(html)
    parser.close()
    return parser.src


class Sharing:
    """The templates' helper for canonical links, card images and structured data."""

    def __init__(self, newsletter: Newsletter, settings: dict):
        self.newsletter = newsletter
        self.base = site_base(settings)
        self.name = settings["NEWSLETTER"]["name"]
        self.publisher = settings["NEWSLETTER"]["publisher"]["name"]
        self.absolutiser = Absolutiser(self.base, str(settings.get("SITEURL") or ""))
        self._images: dict[str, str | None] = {}  # article URL -> its share image, parsed once

    def url(self, path: str = "") -> str:
        """A model URL ("issues/3/") as the absolute address readers share."""
        return f"{self.base}/{path.lstrip('/')}"

    def image(self, article: Article) -> str | None:
        if article.url not in self._images:
            src = first_image(article.body_html)
            self._images[article.url] = self.absolutiser.absolute(src) if src else None
        return self._images[article.url]

    def article_jsonld(self, article: Article) -> Markup:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "url": self.url(article.url),
            "mainEntityOfPage": self.url(article.url),
            "datePublished": article.issue.date.isoformat(),
            "articleSection": article.section,
            "author": [{"@type": "Person", "name": name} for name in article.authors],
            "publisher": {"@type": "Organization", "name": self.publisher},
            "isPartOf": self._issue_ref(article.issue),
        }
        if article.summary:
            data["description"] = article.summary
        if article.topics:
            data["keywords"] = [topic.name for topic in article.topics]
        image = self.image(article)
        if image:
            data["image"] = [image]
        return script(data)

    def issue_jsonld(self, issue: Issue) -> Markup:
        data = {
            "@context": "https://schema.org",
            **self._issue_ref(issue),
            "name": issue.subject,
            "datePublished": issue.date.isoformat(),
            "hasPart": [
                {"@type": "NewsArticle", "headline": a.title, "url": self.url(a.url)}
                for a in issue.articles
            ],
        }
        if issue.summary:
            data["description"] = issue.summary
        return script(data)

    def _issue_ref(self, issue: Issue) -> dict:
        return {
            "@type": "PublicationIssue",
            "issueNumber": str(issue.number),
            "url": self.url(issue.url),
            "isPartOf": {"@type": "Periodical", "name": self.name, "url": self.url()},
        }


def script(data: dict) -> Markup:
    """A JSON-LD <script> element; `<`, `>` and `&` escaped so no text can end the script."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
