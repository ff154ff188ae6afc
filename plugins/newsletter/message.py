"""The MIME message of an edition: headers mailbox providers require, parts, serialisation."""

from __future__ import annotations

import binascii
import datetime
import hashlib
from email import policy
from email.utils import format_datetime
from typing import Any

RECIPIENT = "%%recipient%%"
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PREFERENCES_URL = "%%preferences_url%%"
PLACEHOLDERS = {
    "recipient": RECIPIENT,
    "unsubscribe_url": UNSUBSCRIBE_URL,
    "preferences_url": PREFERENCES_URL,
}
SAMPLE_RECIPIENT = "reader@example.org"
SAMPLE_TOKEN = "sample-token-not-valid"
# Headers may run to 998 octets (RFC 5322): with the default 78, the email package
# RFC 2047-encodes a long unsubscribe URL to fold it, and List-Unsubscribe stops working.
HEADER_POLICY = policy.SMTP.clone(max_line_length=998)


def subject_line(name: str, number: int, subject: str, draft: bool = False) -> str:
    return f"{'[DRAFT] ' if draft else ''}{name} #{number}: {subject}"


def edition_headers(config: dict, subject: str) -> dict[str, str]:
    """The headers every copy carries, per-recipient fields as placeholders (edition.json)."""
    return {
        "Subject": subject,
        "From": config["from"],
        "Reply-To": config["reply_to"],
        "To": RECIPIENT,
        "List-Id": f"{config['name']} <{config['list_id']}>",
        "List-Unsubscribe": (
            f"<{UNSUBSCRIBE_URL}>, <mailto:{config['requests_address']}?subject=UNSUBSCRIBE>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Precedence": "bulk",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Placeholders replaced: `values` maps placeholder names ("recipient") to their value."""
    for name, value in values.items():
        text = text.replace(PLACEHOLDERS[name], value)
    return text


def build_message(
    headers: dict[str, str],
    text: str,
    html: str,
    values: dict[str, str],
    domain: str,
    date: datetime.datetime | None = None,
) -> bytes:
    """One complete message for one recipient: multipart/alternative, text/plain first.

    Assembled from its parts: headers folded by the email package (policy.SMTP, lines up to
    998 octets), bodies quoted-printable by binascii in C (the email package's own encoder
    was half the cost of an edition), CRLF line ends throughout (a real server rejected bare
    LF). Message-ID and boundary come from a hash of the content, so the same edition gives
    the same bytes on every build.
    """
    text_bytes, html_bytes = fill(text, values).encode(), fill(html, values).encode()
    digest = hashlib.sha256(text_bytes + b"\0" + html_bytes).hexdigest()
    fields = {name: fill(value, values) for name, value in headers.items()}
    fields["Date"] = format_datetime(date or datetime.datetime.now(datetime.UTC))
    fields["Message-ID"] = f"<edition.{digest[:24]}@{domain}>"
    fields["MIME-Version"] = "1.0"
    boundary = f"==masthead-{digest[24:48]}"
    head = b"".join(_fold(name, value) for name, value in fields.items())
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            head,
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
            delimiter,
            _part("plain", text_bytes),
            delimiter,
            _part("html", html_bytes),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )


def _fold(name: str, value: str) -> bytes:
    """`Name: value` as is when it is short ASCII (HEADER_POLICY would not fold it either);
    otherwise folded and RFC 2047-encoded by the email package."""
    line = f"{name}: {value}"
    if line.isascii() and len(line) <= 998 and "\r" not in line and "\n" not in line:
        return f"{line}\r\n".encode("ascii")
    return HEADER_POLICY.header_factory(name, value).fold(policy=HEADER_POLICY).encode("ascii")


def _part(subtype: str, body: bytes) -> bytes:
    """One part, its UTF-8 `body` quoted-printable (encoded once, for the hash too)."""
    # The body ends with a line break of its own; the CRLF after it belongs to the delimiter.
    body = body if body.endswith(b"\n") else body + b"\n"
    encoded = binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")
    return (
        (
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode("ascii")
        + encoded
        + b"\r\n"
    )


def sample_message(meta: dict[str, Any], text: str, html: str) -> bytes:
    """The sample message of a built edition (`publish.py edition N --eml`), from its
    edition.json and bodies: filled for a sample reader, dated the issue's day at noon UTC
    (the day the edition is about, so it is the same bytes every time it is asked for)."""
    values = sample_values(
        meta["unsubscribe_url_template"], meta.get("preferences_url_template") or ""
    )
    domain = meta["headers"]["List-Id"].split("<")[-1].strip("<> ")
    day = datetime.date.fromisoformat(meta["date"]) if meta.get("date") else None
    date = day and datetime.datetime.combine(day, datetime.time(12), datetime.UTC)
    return build_message(meta["headers"], text, html, values, domain, date)


def sample_values(unsubscribe_template: str, preferences_template: str = "") -> dict[str, str]:
    """What a sample message is filled with: a sample reader and links that will not work."""
    return {
        "recipient": SAMPLE_RECIPIENT,
        "unsubscribe_url": unsubscribe_template.format(token=SAMPLE_TOKEN),
        "preferences_url": preferences_template.format(token=SAMPLE_TOKEN),
    }
