"""Absolute links for email: an edition is read far from the site, so no link may be relative.
(The regular expressions here read URLs; the HTML itself is parsed, by html_tools.)

Handles the forms found in the model's HTML: root-relative paths ("/issues/3/x/"), Pelican's
`{filename}` / `{static}` / `{attach}` (also written `|filename|` or URL-quoted `%7Bfilename%7D`),
model URLs ("issues/3/"), and absolute links to SITEURL when it differs from the public URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .html_tools import email_body, rewrite_links
from .model import LINK_PREFIXES, resolve_link

# A scheme ("https:", "mailto:"), an in-document anchor, or a per-recipient placeholder.
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|%%[a-z_]+%%$)", re.IGNORECASE)
_LEGACY_FORM = re.compile(r"^(?:\||%7B)(filename|static|attach)(?:\||%7D)", re.IGNORECASE)


def is_absolute(target: str) -> bool:
    return bool(_ABSOLUTE.match(target.strip()))


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
        fix, relative = self._fixer(source_dir)
        return rewrite_links(html, fix), relative

    def email_body(
        self, html: str, source_dir: str = "", demote_below: int | None = None
    ) -> tuple[str, list[str], list[str]]:
        """rewrite_html for an edition's body, its headings demoted below `demote_below` and
        its images without alt text found in the same parse: (HTML, still relative targets,
        src of each image without alt)."""
        fix, relative = self._fixer(source_dir)
        rewritten, missing_alt = email_body(html, fix, demote_below)
        return rewritten, relative, missing_alt

    def _fixer(self, source_dir: str) -> tuple[Callable[[str], str], list[str]]:
        """A function making one target absolute, and the list it adds those it cannot to."""
        relative: list[str] = []

        def fix(target: str) -> str:
            url = self.absolute(target, source_dir)
            if not is_absolute(url):
                relative.append(url)
            return url

        return fix, relative
