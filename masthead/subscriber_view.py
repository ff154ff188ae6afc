"""An edition as a subscriber sees it, on the editor's machine: output/editions/N/preview.html.

email.html keeps `%%placeholders%%` for the send and points at the public URL, where a draft
(or an issue not yet deployed) is a 404. The preview fills in a sample subscriber's values
and points every link and image that the local build holds at it, relative to the edition's
folder, so it works from the preview server and from the file alike. The send never reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .editions import read_edition

from newsletter.html_tools import rewrite_links  # isort: skip  (plugins/ is on sys.path now)
from newsletter.message import fill, sample_values  # isort: skip

PREVIEW = "preview.html"


def subscriber_view(folder: Path, public_url: str) -> str:
    """email.html of the edition in `folder`, filled for a sample subscriber, local links."""
    return localised(sample_copy(folder)[1], folder, public_url)


def sample_copy(folder: Path) -> tuple[dict, str, str]:
    """edition.json, and email.html and email.txt filled for the sample subscriber (as the
    send fills them for each subscriber)."""
    meta, html, text = read_edition(folder)
    values = sample_values(str(meta.get("unsubscribe_url_template") or "{token}"))
    return meta, fill(html, values), fill(text, values)


def localised(html: str, folder: Path, public_url: str) -> str:
    """Links and images the local build holds made relative to `folder` (any folder two
    levels below the output, as editions/N and proofs/N are)."""
    return rewrite_links(html, lambda url: local_link(url, folder, public_url))


def local_link(url: str, folder: Path, public_url: str) -> str | None:
    """`url` as a path relative to `folder` when it names a file of the local build."""
    base = public_url.rstrip("/")
    if not base or not (url == base or url.startswith(base + "/")):
        return None
    parts = urlsplit(url[len(base) :] or "/")
    output = folder.parent.parent  # output/editions/N -> output
    target = output / unquote(parts.path).lstrip("/")
    if not (target.is_file() or (target / "index.html").is_file()):
        return None  # the subscription service, or a page the build does not have
    relative = Path(os.path.relpath(target, folder)).as_posix()
    relative += "/" if parts.path.endswith("/") else ""
    return (
        relative
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def write_preview(folder: Path, public_url: str) -> Path:
    """Write preview.html beside the edition's files; returns its path."""
    path = folder / PREVIEW
    temporary = folder / f".{PREVIEW}.tmp"
    temporary.write_text(subscriber_view(folder, public_url), encoding="utf-8")
    os.replace(temporary, path)
    return path
