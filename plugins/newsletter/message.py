"""The MIME message of an edition: headers mailbox providers require, parts, serialisation."""

from __future__ import annotations

import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

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

    Quoted-printable keeps every body line under 78 octets whatever the content (the parts
    are encoded with policy.SMTP); serialised with CRLF line ends (the default policy's bare
    LF was rejected by a real server).
    """
    message = EmailMessage(policy=policy.SMTP)
    for name, value in headers.items():
        message[name] = fill(value, values)
    message["Date"] = format_datetime(date or datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(fill(text, values), subtype="plain", cte="quoted-printable")
    message.add_alternative(fill(html, values), subtype="html", cte="quoted-printable")
    return message.as_bytes(policy=HEADER_POLICY)


def sample_values(unsubscribe_template: str, preferences_template: str = "") -> dict[str, str]:
    """What email.eml is filled with: a sample reader and links that will not work."""
    return {
        "recipient": SAMPLE_RECIPIENT,
        "unsubscribe_url": unsubscribe_template.format(token=SAMPLE_TOKEN),
        "preferences_url": preferences_template.format(token=SAMPLE_TOKEN),
    }
