"""Absolute links for email: an edition is read far from the site, so no link may be relative.

Handles the forms found in the model's HTML: root-relative paths ("/issues/3/x/"), Pelican's
`{filename}` / `{static}` / `{attach}` (also written `|filename|` or URL-quoted `%7Bfilename%7D`),
model URLs ("issues/3/"), and absolute links to SITEURL when it differs from the public URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import LINK_PREFIXES, resolve_link

# A scheme ("https:", "mailto:"), an in-document anchor, or a per-recipient placeholder.
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|%%[a-z_]+%%$)", re.IGNORECASE)
_LINK_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_VOID = re.compile(
    r"<(area|br|col|embed|hr|img|input|source|track|wbr)\b([^>]*?)\s*/?>", re.IGNORECASE
)
_LEGACY_FORM = re.compile(r"^(?:\||%7B)(filename|static|attach)(?:\||%7D)", re.IGNORECASE)


def is_absolute(target: str) -> bool:
    return bool(_ABSOLUTE.match(target.strip()))


def well_formed_voids(html: str) -> str:
    """`<br>` -> `<br />`: MRML parses mj-text as XML-like markup; html5 output omits the slash."""
    return _VOID.sub(lambda m: f"<{m.group(1)}{m.group(2)} />", html)


@dataclass
class Absolutiser:
    public_url: str  # "https://frontline.example.org", no trailing slash
    site_url: str = ""  # SITEURL: "" while previewing, or an absolute URL
    url_of: dict[str, str] = field(default_factory=dict)

    def page(self, url: str) -> str:
        """A model URL ("issues/3/") as an absolute URL."""
        return f"{self.public_url}/{url.lstrip('/')}"

    def absolute(self, target: str, source_dir: str = "") -> str:
        """`target` made absolute if it is one of our forms; anything else is returned as is."""
        target = target.strip()
        pelican = _LEGACY_FORM.sub(r"{\1}", target)
        if pelican.startswith(LINK_PREFIXES):
            resolved = resolve_link(pelican, source_dir, self.url_of)
            return self.page(resolved) if resolved is not None else target
        site = self.site_url.rstrip("/")
        if site and site != self.public_url and (target == site or target.startswith(site + "/")):
            return self.public_url + target[len(site) :]
        if target.startswith("//"):
            return "https:" + target
        if target.startswith("/"):
            return self.public_url + target
        return target

    def rewrite_html(self, html: str, source_dir: str = "") -> tuple[str, list[str]]:
        """Every href/src made absolute; returns the HTML and the targets still relative."""
        relative: list[str] = []

        def fix(match: re.Match[str]) -> str:
            url = self.absolute(match.group(3), source_dir)
            if not is_absolute(url):
                relative.append(url)
            return f"{match.group(1)}{match.group(2)}{url}{match.group(2)}"

        return _LINK_ATTR.sub(fix, html), relative


def relative_links(html: str) -> list[str]:
    return [m.group(3) for m in _LINK_ATTR.finditer(html) if not is_absolute(m.group(3))]
