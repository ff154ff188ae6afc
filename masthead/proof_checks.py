"""What the proof sheet checks in one edition: its links (internal against the build,
external over HTTP with a short timeout) and the things inbox providers and readers notice."""

from __future__ import annotations

import concurrent.futures
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsletter.edition import GMAIL_CLIP_BYTES  # isort: skip  (plugins/ is on sys.path)
from newsletter.html_tools import images_without_alt  # isort: skip

USER_AGENT = "Masthead proof (link check)"
_TRACKED = ("head", "style", "script", "title", "div")


@dataclass
class Link:
    url: str
    kind: str  # "link" or "image"
    count: int
    result: str = ""
    ok: bool | None = None  # None: not checked


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


class _Body(HTMLParser):
    """Links, images and the visible words of an email's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: dict[tuple[str, str], int] = {}
        self.words = 0
        self.images = 0
        self.open: list[bool] = []  # per open element of _TRACKED: does it hide its text?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _TRACKED:
            style = (values.get("style") or "").replace(" ", "").lower()
            self.open.append(tag != "div" or "display:none" in style)
        if tag == "a" and values.get("href"):
            self._add(values["href"], "link")
        if tag == "img":
            self.images += 1
            if values.get("src"):
                self._add(values["src"], "image")

    def handle_endtag(self, tag: str) -> None:
        if tag in _TRACKED and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.open):  # not the head, a style, or the hidden preheader
            self.words += len(data.split())

    def _add(self, url: str, kind: str) -> None:
        key = (url.strip(), kind)
        self.urls[key] = self.urls.get(key, 0) + 1


def read_body(html: str) -> _Body:
    body = _Body()
    body.feed(html)
    body.close()
    return body


def links_of(html: str) -> list[Link]:
    return [Link(url, kind, count) for (url, kind), count in read_body(html).urls.items()]


@dataclass
class Site:
    """Where links lead: our build (output, under public_url), the service, elsewhere."""

    output: Path
    public_url: str
    service_url: str

    def internal_target(self, url: str) -> Path | None:
        """The file of the build `url` names, or None when it is not ours to look up."""
        base = self.public_url.rstrip("/")
        if not (url == base or url.startswith(base + "/")):
            return None
        path = unquote(urlsplit(url[len(base) :] or "/").path).lstrip("/")
        top = path.split("/", 1)[0]
        if top and not (self.output / top).exists():
            return None  # another part of the domain (event registration), not the archive
        return self.output / path


def check_links(links: list[Link], site: Site, timeout: float, offline: bool) -> list[Link]:
    """Each link's result, external ones fetched in parallel (HEAD, GET if refused)."""
    external = []
    for link in links:
        if not _classify(link, site, offline):
            external.append(link)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for link, (ok, result) in zip(
            external, pool.map(lambda link: fetch(link.url, timeout), external), strict=True
        ):
            link.ok, link.result = ok, result
    return links


def _classify(link: Link, site: Site, offline: bool) -> bool:
    """Set the result of links that need no network; False for the ones to fetch."""
    url = link.url
    service = site.service_url.rstrip("/")
    if url.lower().startswith("mailto:"):
        link.result = "mail address (not checked)"
    elif service and (url == service or url.startswith(service + "/")):
        link.result = "subscription service (not checked: another program)"
    elif (target := site.internal_target(url)) is not None:
        link.ok = target.is_file() or (target / "index.html").is_file()
        link.result = "in the build" if link.ok else "missing from the build"
    elif not url.lower().startswith(("http://", "https://")):
        link.ok, link.result = False, "not an absolute http(s) URL"
    elif offline:
        link.result = "not checked (--offline)"
    else:
        return False
    return True


def fetch(url: str, timeout: float) -> tuple[bool | None, str]:
    """(ok, what happened): HTTP status, or (None, why) when no answer came."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return True, f"{response.status} {response.reason}"
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue  # some servers refuse HEAD only
            return False, f"{error.code} {error.reason}"
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, socket.timeout | TimeoutError):
                reason = f"no answer in {timeout:g} s"
            return None, f"not checked (offline or unreachable: {reason})"
    return None, "not checked"


# --- the checks ----------------------------------------------------------------------------


def edition_checks(
    html: str, headers: dict[str, str], subject: str, links: list[Link]
) -> list[Check]:
    body = read_body(html)
    return [
        _alt_text(html),
        _list_unsubscribe(headers),
        _capitals(subject),
        _image_only(body.words, body.images),
        _clip(len(html.encode("utf-8"))),
        _links(links),
    ]


def _alt_text(html: str) -> Check:
    missing = images_without_alt(html)
    detail = "every image has alt text" if not missing else "no alt text: " + ", ".join(missing)
    return Check("Alt text", not missing, detail)


def _list_unsubscribe(headers: dict[str, str]) -> Check:
    value = headers.get("List-Unsubscribe", "")
    one_click = headers.get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    ok = "<https://" in value and "<mailto:" in value and one_click
    detail = (
        "https and mailto, one-click (RFC 8058)"
        if ok
        else "needs an <https://...> and a <mailto:...> entry and List-Unsubscribe-Post"
    )
    return Check("List-Unsubscribe", ok, detail)


def _capitals(subject: str) -> Check:
    letters = [c for c in subject if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    share = upper / len(letters) if letters else 0.0
    ok = share <= 0.5
    detail = f"{share:.0%} of its letters are capitals" + (
        "" if ok else ": spam filters dislike it"
    )
    return Check("Subject not in capitals", ok, detail)


def _image_only(words: int, images: int) -> Check:
    ok = images == 0 or words >= 60 * images
    detail = f"{words} words of text, {images} images" + (
        "" if ok else ": mostly images, which filters distrust and blocked-image readers lose"
    )
    return Check("Not image-only", ok, detail)


def _clip(size: int) -> Check:
    ok = size <= GMAIL_CLIP_BYTES
    detail = (
        f"{size / 1024:.1f} KB of HTML; Gmail clips above 102 KB ({size / GMAIL_CLIP_BYTES:.0%})"
    )
    return Check("Under Gmail's clipping size", ok, detail)


def _links(links: list[Link]) -> Check:
    broken = [link.url for link in links if link.ok is False]
    unchecked = sum(link.ok is None for link in links)
    detail = f"{len(links)} links and images, {len(broken)} broken, {unchecked} not checked"
    return Check("Links", not broken, detail + (": " + ", ".join(broken) if broken else ""))
