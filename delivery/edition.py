"""Load a built edition (output/editions/<number>/, see docs/editions.md) and personalise it.

`compile_edition` does the slow work once per edition (header folding and encoding, checks);
`CompiledEdition.render` is the per-subscriber hot path: two string replacements, one
quoted-printable pass in C (binascii) and a byte join.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from .errors import EditionCorrupt, EditionDraft, EditionNotBuilt, EditionStale
from .settings import SendSettings

FORMAT = 1
PLACEHOLDERS = {
    "recipient": "%%recipient%%",
    "unsubscribe_url": "%%unsubscribe_url%%",
    "preferences_url": "%%preferences_url%%",
}
_PLACEHOLDER = re.compile(r"%%([A-Za-z0-9_]*)%%")
# Set per message by the send, whatever edition.json says.
_PER_MESSAGE = {"date", "message-id", "mime-version", "content-type", "content-transfer-encoding"}
_FOLD_AT = 78


@dataclass(frozen=True)
class Edition:
    number: int
    directory: Path
    status: str
    subject: str
    headers: dict[str, str]
    html: str
    text: str
    unsubscribe_url_template: str | None
    meta: dict[str, Any] = field(repr=False)

    @property
    def sender(self) -> str:
        """The envelope sender: the address part of From."""
        return parseaddr(self.headers.get("From", ""))[1]

    @property
    def series_part(self) -> tuple[str, int] | None:
        """(slug, part) for a series-part edition (editions/series/<slug>/<part>/)."""
        series = self.meta.get("series")
        return (series["slug"], series["part"]) if isinstance(series, dict) else None

    @property
    def parts(self) -> list[tuple[str, int]]:
        """The series parts an issue edition carries."""
        return [(str(slug), int(part)) for slug, part in self.meta.get("parts") or []]


WELCOME = "welcome"  # output/editions/welcome/: the welcome email (number 0, kind welcome)


def load_welcome(settings: SendSettings) -> Edition | None:
    """The welcome email's edition, or None when the newsletter has none (not built)."""
    directory = settings.output_path / "editions" / WELCOME
    if not (directory / "edition.json").is_file():
        return None
    meta = _read_meta(directory, "welcome")
    return _load(settings, directory, meta, "welcome", allow_draft=False)


def load_edition(settings: SendSettings, number: int, allow_draft: bool = False) -> Edition:
    """Read and check an edition; raise EditionError subclasses with what to do."""
    directory = settings.edition_dir(number)
    return _load(settings, directory, _read_meta(directory, number), number, allow_draft)


def part_edition_dir(settings: SendSettings, slug: str, part: int) -> Path:
    return settings.output_path / "editions" / "series" / slug / str(part)


def load_part_edition(
    settings: SendSettings, slug: str, part: int, allow_draft: bool = False
) -> Edition:
    """Read and check the edition of one series part (docs/editions.md)."""
    directory = part_edition_dir(settings, slug, part)
    label = f"series/{slug}/{part}"
    meta = _read_meta(directory, label)
    series = meta.get("series")
    if not isinstance(series, dict) or (series.get("slug"), series.get("part")) != (slug, part):
        raise EditionCorrupt(f"{directory / 'edition.json'}: not the edition of {label}")
    return _load(settings, directory, meta, label, allow_draft)


def _load(
    settings: SendSettings,
    directory: Path,
    meta: dict[str, Any],
    number: int | str,
    allow_draft: bool,
) -> Edition:
    if meta.get("status") == "draft" and not allow_draft:
        raise EditionDraft(
            f"edition {number} is a draft: set its status to published and run "
            "publish.py build (drafts are built for preview, never sent)"
        )
    _check_hashes(directory, meta, number)
    _check_sources(settings.base_dir, meta, number)
    files = meta.get("files") or {}
    edition = Edition(
        number=meta["number"],
        directory=directory,
        status=str(meta.get("status", "published")),
        subject=str(meta.get("subject", "")),
        headers={str(k): str(v) for k, v in (meta.get("headers") or {}).items()},
        html=_read_text(directory / files.get("html", "email.html"), number),
        text=_read_text(directory / files.get("text", "email.txt"), number),
        unsubscribe_url_template=meta.get("unsubscribe_url_template"),
        meta=meta,
    )
    _check_placeholders(edition)
    return edition


def _read_meta(directory: Path, number: int | str) -> dict[str, Any]:
    path = directory / "edition.json"
    if not path.is_file():
        raise EditionNotBuilt(
            f"edition {number} is not built ({path} not found): run publish.py build"
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EditionCorrupt(f"{path} cannot be read ({error}): run publish.py build") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise EditionCorrupt(
            f"{path}: format {found!r} is not {FORMAT}: build and send with the same Masthead"
        )
    if isinstance(number, int) and meta.get("number") != number:
        raise EditionCorrupt(f"{path}: number is {meta.get('number')!r}, not {number}")
    if not isinstance(meta.get("number"), int):
        raise EditionCorrupt(f"{path}: number {meta.get('number')!r} is not an issue number")
    if not isinstance(meta.get("headers"), dict) or "From" not in meta["headers"]:
        raise EditionCorrupt(f"{path}: headers (with From) missing: run publish.py build")
    return meta


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _check_hashes(directory: Path, meta: dict[str, Any], number: int | str) -> None:
    hashes = meta.get("hashes") or {}
    for name in ("email.html", "email.txt"):
        if name not in hashes:
            raise EditionCorrupt(f"edition {number}: edition.json has no hash for {name}")
    for name, expected in hashes.items():
        path = directory / name
        if not path.is_file():
            raise EditionCorrupt(f"edition {number}: {path} is missing: run publish.py build")
        if _sha256(path) != expected:
            raise EditionCorrupt(
                f"edition {number}: {name} does not match its hash in edition.json "
                "(changed after the build?): run publish.py build"
            )


def _check_sources(base: Path, meta: dict[str, Any], number: int | str) -> None:
    for relative, expected in (meta.get("sources") or {}).items():
        path = base / relative
        if not path.is_file() or _sha256(path) != expected:
            change = "is missing" if not path.is_file() else "changed"
            raise EditionStale(
                f"edition {number} is older than its content: run publish.py build "
                f"({relative} {change} since the build)"
            )


def _read_text(path: Path, number: int | str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise EditionCorrupt(f"edition {number}: {path} cannot be read: {error}") from error


def _check_placeholders(edition: Edition) -> None:
    texts = [edition.html, edition.text, *edition.headers.values()]
    for found in {name for text in texts for name in _PLACEHOLDER.findall(text)}:
        if found not in PLACEHOLDERS:
            raise EditionCorrupt(
                f"edition {edition.number}: unknown placeholder %%{found}%% "
                f"(known: {', '.join(PLACEHOLDERS)})"
            )


# -- personalisation ---------------------------------------------------------------------


def fill(template: str, recipient: str, unsubscribe_url: str, preferences_url: str = "") -> str:
    if "%%" not in template:
        return template
    return (
        template.replace(PLACEHOLDERS["recipient"], recipient)
        .replace(PLACEHOLDERS["unsubscribe_url"], unsubscribe_url)
        .replace(PLACEHOLDERS["preferences_url"], preferences_url)
    )


def fold_header(name: str, value: str) -> bytes:
    """Fold one header for SMTP; plain ASCII takes a fast path, the rest the email policy."""
    if value.isascii() and "\r" not in value and "\n" not in value:
        line = f"{name}: {value}"
        if len(line) > _FOLD_AT and ", " in value:
            # Folding only inserts CRLF before existing whitespace: unfolding restores it.
            line = f"{name}: " + ",\r\n ".join(value.split(", "))
        if max(len(part) for part in line.split("\r\n")) <= 998:
            return (line + "\r\n").encode("ascii")
    return _fold_encoded(name, value)


def _fold_encoded(name: str, value: str) -> bytes:
    """Fold through the email package: RFC 2047 words for non-ASCII, CRLF line ends."""
    header = policy.SMTP.header_factory(name, value)
    return header.fold(policy=policy.SMTP).encode("ascii")


def quoted_printable(text: str) -> bytes:
    """Encode a body as quoted-printable with CRLF line ends (lines <= 76 octets)."""
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True)
    return encoded.replace(b"\n", b"\r\n")


class BodyTemplate:
    """A body split into lines encoded once and lines holding placeholders.

    Quoted-printable text encoding is line-local (soft breaks and escapes never cross a line
    end), so the lines without placeholders are encoded once per edition and only the few
    lines holding %%recipient%% or %%unsubscribe_url%% are encoded per subscriber.
    """

    def __init__(self, text: str):
        self.parts: list[bytes | str] = []
        static: list[str] = []
        for line in _unix_lines(text).splitlines(keepends=True):
            if "%%" in line:
                self._flush(static)
                self.parts.append(line)
            else:
                static.append(line)
        self._flush(static)
        if not self.parts or not self._ends_with_newline():
            self.parts.append(b"\r\n")

    def _flush(self, static: list[str]) -> None:
        if static:
            self.parts.append(quoted_printable("".join(static)))
            static.clear()

    def _ends_with_newline(self) -> bool:
        last = self.parts[-1]
        return last.endswith(b"\r\n") if isinstance(last, bytes) else last.endswith("\n")

    def render(self, recipient: str, unsubscribe_url: str, preferences_url: str = "") -> bytes:
        return b"".join(
            part
            if isinstance(part, bytes)
            else quoted_printable(fill(part, recipient, unsubscribe_url, preferences_url))
            for part in self.parts
        )


@dataclass
class CompiledEdition:
    """An edition ready to render one message per subscriber, fast."""

    edition: Edition
    domain: str
    fixed_headers: bytes
    personal_headers: list[tuple[str, str]]
    text: BodyTemplate
    html: BodyTemplate
    boundary: str

    def render(
        self,
        recipient: str,
        unsubscribe_url: str,
        preferences_url: str = "",
        message_id: str | None = None,
    ) -> bytes:
        """The complete message for one subscriber, ready for SMTP DATA (a fresh Message-ID
        unless one is given: a real send gives each delivery its stable one)."""
        personal = b"".join(
            fold_header(name, fill(value, recipient, unsubscribe_url, preferences_url))
            for name, value in self.personal_headers
        )
        stamp = (
            f"Date: {format_datetime(datetime.now(UTC))}\r\n"
            f"Message-ID: {message_id or make_msgid(domain=self.domain)}\r\n"
        ).encode("ascii")
        delimiter = f"--{self.boundary}".encode("ascii")
        return b"".join(
            (
                self.fixed_headers,
                personal,
                stamp,
                f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="'
                f'{self.boundary}"\r\n\r\n'.encode("ascii"),
                delimiter,
                b'\r\nContent-Type: text/plain; charset="utf-8"\r\n'
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                self.text.render(recipient, unsubscribe_url, preferences_url),
                delimiter,
                b'\r\nContent-Type: text/html; charset="utf-8"\r\n'
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                self.html.render(recipient, unsubscribe_url, preferences_url),
                delimiter,
                b"--\r\n",
            )
        )


def compile_edition(edition: Edition, list_id: str, requests_address: str = "") -> CompiledEdition:
    """Fold and encode everything that is the same for every subscriber, once."""
    fixed: list[bytes] = []
    personal: list[tuple[str, str]] = []
    for name, value in _with_required_headers(edition.headers, requests_address).items():
        if name.lower() in _PER_MESSAGE:
            continue
        if "%%" in value:
            personal.append((name, value))
        else:
            fixed.append(_fold_encoded(name, value))
    # 96 random bits: the boundary cannot occur in the bodies.
    boundary = "==masthead-" + secrets.token_hex(12)
    return CompiledEdition(
        edition,
        list_domain(list_id),
        b"".join(fixed),
        personal,
        BodyTemplate(edition.text),
        BodyTemplate(edition.html),
        boundary,
    )


def _with_required_headers(headers: dict[str, str], requests_address: str) -> dict[str, str]:
    """The build writes these (docs/editions.md); a send must never go out without them."""
    present = {name.lower() for name in headers}
    extra = {"To": PLACEHOLDERS["recipient"]}
    mailto = f", <mailto:{requests_address}?subject=UNSUBSCRIBE>" if requests_address else ""
    extra["List-Unsubscribe"] = f"<{PLACEHOLDERS['unsubscribe_url']}>{mailto}"
    extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers | {k: v for k, v in extra.items() if k.lower() not in present}


def list_domain(list_id: str) -> str:
    """The domain of a List-Id ('Front Line <frontline.example.org>' or a bare domain)."""
    match = re.search(r"<([^>]+)>", list_id)
    return (match.group(1) if match else list_id).strip()


def _unix_lines(text: str) -> str:
    # quoted_printable turns every "\n" into CRLF; stray "\r" would become bare CRs.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def series_titles(settings: SendSettings) -> dict[str, str]:
    """The series with built part editions, slug -> title (for the preferences page)."""
    folder = settings.output_path / "editions" / "series"
    titles = {}
    for series in sorted(folder.iterdir()) if folder.is_dir() else []:
        for meta_path in sorted(series.glob("*/edition.json"))[:1]:
            try:
                titles[series.name] = str(
                    json.loads(meta_path.read_text("utf-8"))["series"]["title"]
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # `publish.py check` reports a broken edition; the page lists the rest
    return titles
