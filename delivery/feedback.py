"""What a message that came back says: a bounce, a complaint, an auto-reply, or none of them.

`read_feedback(message)` parses one message (stdlib `email`, never a regular expression over
mail) into a `Feedback`:

- a **complaint**: an ARF feedback report (RFC 5965, `Feedback-Type: abuse`) as feedback
  loops send them, or Microsoft's JMRP reports (the complained message attached, with
  `X-HmXmrOriginalRecipient`). Authentication-failure reports (DMARC forensic, RFC 6591)
  are reports about the sending domain, not complaints: `none`;
- a **bounce**: an RFC 3464 delivery status notification (`multipart/report`, per-recipient
  `Status`, `Action`, `Diagnostic-Code`) or the non-standard bounces of other MTAs and
  providers, recognised by their sender, subject or `X-Failed-Recipients`, and classified
  from their human-readable text (the returned message is cut off first: its words are
  ours, not the server's). `flufl.bounce` (GNU Mailman's detectors) helps find recipients;
- an **auto-reply**: RFC 3834 `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`,
  `Precedence: auto_reply` or an out-of-office subject;
- `none` otherwise (a command for the requests address, or a person's reply).

It also collects what can match the message to a delivery: candidate VERP tokens (from the
addresses it was delivered to and the Message-IDs it refers to) and the recipient addresses
the report names. Parts nested deeper than MAX_DEPTH are not read.
"""

from __future__ import annotations

import email.message
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flufl.bounce import all_failures

from .bounces import Verdict, classify

MAX_DEPTH = 12
MAX_TEXT = 20_000
COMPLAINT, BOUNCE, AUTO_REPLY, NONE = "complaint", "bounce", "auto-reply", "none"

_DAEMONS = ("mailer-daemon", "mailer_daemon", "mail-daemon", "postmaster", "mdaemon", "bounce")
_BOUNCE_SUBJECTS = (
    "undeliver",
    "undelivered",
    "delivery fail",
    "delivery status notification",
    "delivery notification",
    "delivery report",
    "delivery problem",
    "delivery error",
    "delivery warning",
    "mail delivery",
    "returned mail",
    "returned to sender",
    "failure notice",
    "failure delivery",
    "failed mail",
    "mail error",
    "mail failure",
    "non-delivery",
    "nondeliverable",
    "not delivered",
    "could not be delivered",
    "delivery has failed",
    "message delayed",
    "delayed mail",
    "mail system error",
    "rejected mail",
)
_DELAY_SUBJECTS = ("delay", "still being retried", "not yet been delivered")
_OUT_OF_OFFICE = (
    "out of office",
    "out of the office",
    "out-of-office",
    "auto reply",
    "autoreply",
    "auto-reply",
    "automatic reply",
    "auto response",
    "autoresponse",
    "vacation",
    "away from",
    "abwesenheit",
    "absence",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "atvaļinājums",
    "automatiska atbilde",  # Latvian (Exchange): automatic reply
)
# Where a non-standard bounce starts quoting the returned message.
_RETURNED_MARKERS = (
    "--- below this line is a copy of the message",
    "---below this line is a copy of the message",
    "------ this is a copy of the message",
    "----- original message -----",
    "original message follows",
    "--- original message follows",
    "---- start of returned message",
    "-------- returned mail --------",
    "--------returned mail follows",
    "----- message header follows",
    "----- transcript of session follows",
    "the first 50 lines of your original message",
    "--- the header of the original message",
    "included is a copy of the message header",
    "--- enclosed is a copy of the message",
    "--- attachment is a copy of the message",
    "your message reads (in part)",
    "message headers follow",
)
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers")
_DELIVERED_TO = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "to")


@dataclass
class Failure:
    """One recipient's failure, as the report gives it."""

    address: str
    verdict: Verdict
    diagnostic: str = ""


@dataclass
class Feedback:
    kind: str  # COMPLAINT, BOUNCE, AUTO_REPLY or NONE
    failures: list[Failure] = field(default_factory=list)  # bounces: per recipient
    verdict: Verdict | None = None  # bounces: the message as a whole
    diagnostic: str = ""  # a short excerpt of what the server said
    addresses: list[str] = field(default_factory=list)  # recipients the report names
    tokens: list[str] = field(default_factory=list)  # VERP candidates (addresses, Message-IDs)
    note: str = ""  # e.g. the feedback type of a report that is not a complaint


def read_feedback(message: email.message.Message) -> Feedback:
    """Classify one parsed message (any policy); see the module docstring."""
    parts = list(walk(message))
    tokens = _tokens(message, parts)
    report = _feedback_report(parts)
    if report is not None:
        report.tokens = tokens
        return report
    complaint = _jmrp(parts)
    if complaint is not None:
        complaint.tokens = tokens
        return complaint
    dsn = _delivery_status(message, parts)
    has_report = any(part.get_content_type() in _DSN_TYPES for _, part in parts)
    if dsn is None and (has_report or _looks_like_bounce(message)):
        dsn = _plain_bounce(message, parts)
    if dsn is not None:
        dsn.tokens = tokens
        return dsn
    if is_auto_reply(message):
        return Feedback(AUTO_REPLY, tokens=tokens)
    return Feedback(NONE, tokens=tokens)


def is_auto_reply(message: email.message.Message) -> bool:
    """RFC 3834 and the common non-standard headers, or an out-of-office subject."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return True
    if _header(message, "X-Auto-Response-Suppress").lower() in ("all", "oof"):
        return True
    if _header(message, "Precedence").lower() in ("auto_reply", "auto-reply"):
        return True
    subject = _header(message, "Subject").casefold()
    return any(words in subject for words in _OUT_OF_OFFICE)


# -- parts ---------------------------------------------------------------------------------


def walk(message: email.message.Message) -> Iterator[tuple[int, email.message.Message]]:
    """(depth, part) for every part, iteratively, never deeper than MAX_DEPTH (a hostile
    500-deep multipart would otherwise exhaust the stack)."""
    stack = [(0, message)]
    while stack:
        depth, part = stack.pop()
        yield depth, part
        payload = part.get_payload()
        if depth < MAX_DEPTH and isinstance(payload, list):
            stack.extend((depth + 1, child) for child in reversed(payload))


def too_deep(message: email.message.Message) -> bool:
    """True if a multipart lies deeper than MAX_DEPTH (walk stops reading there)."""
    return any(depth >= MAX_DEPTH and part.is_multipart() for depth, part in walk(message))


def text_of(part: email.message.Message) -> str:
    """A part's text, decoded; an unknown or wrong charset is read as Latin-1, never raised."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("latin-1")
    if part.get_content_type() == "text/html":
        return _html_text(text)
    return text


def _header(message: email.message.Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        return ""
    return " ".join(str(value).split()) if value is not None else ""


# -- complaints ----------------------------------------------------------------------------


def _feedback_report(parts: list[tuple[int, email.message.Message]]) -> Feedback | None:
    for _, part in parts:
        if part.get_content_type() != "message/feedback-report":
            continue
        fields = _fields(part)
        kind = fields.get("feedback-type", ["abuse"])[0].lower()
        addresses = _addresses(fields.get("original-rcpt-to", []))
        addresses += _returned_recipients(parts)
        if kind not in ("abuse", "fraud"):
            return Feedback(NONE, addresses=addresses, note=f"feedback report ({kind})")
        return Feedback(COMPLAINT, addresses=addresses, note=kind)
    return None


def _jmrp(parts: list[tuple[int, email.message.Message]]) -> Feedback | None:
    """Microsoft's junk-mail reporting program: the complained message attached, carrying
    X-HmXmrOriginalRecipient."""
    for _, part in parts:
        if part.get_content_type() not in _RETURNED_TYPES:
            continue
        for inner in _returned_headers(part):
            recipient = _header(inner, "X-HmXmrOriginalRecipient")
            if recipient:
                return Feedback(COMPLAINT, addresses=_addresses([recipient]), note="jmrp")
    return None


# -- bounces -------------------------------------------------------------------------------


def _delivery_status(
    message: email.message.Message, parts: list[tuple[int, email.message.Message]]
) -> Feedback | None:
    """An RFC 3464 report with at least one per-recipient block, else None."""
    blocks = [
        block
        for _, part in parts
        if part.get_content_type() in _DSN_TYPES
        for block in _blocks(part)
    ]
    recipients = [b for b in blocks if "final-recipient" in b or "original-recipient" in b]
    if not recipients:
        return None
    human = _human_text(parts)
    delayed = _is_delay(message)
    failures = []
    for fields in recipients:
        action = fields.get("action", [""])[0].lower()
        if action.startswith(("delivered", "relayed", "expanded")):
            continue
        address = _address_field(fields.get("final-recipient") or fields.get("original-recipient"))
        diagnostic = " ".join(fields.get("diagnostic-code", []))
        diagnostic = diagnostic.partition(";")[2] or diagnostic
        status = fields.get("status", [""])[0].split(" ")[0]
        text = f"{diagnostic} {human}" if _generic(status) else diagnostic or human
        transient = delayed or action.startswith("delay") or status.startswith("4")
        verdict = classify(status, text, transient)
        failures.append(Failure(address, verdict, " ".join((diagnostic or human).split())[:300]))
    if not failures:
        return Feedback(NONE, note="delivery report: delivered")
    addresses = [f.address for f in failures if f.address] + _returned_recipients(parts)
    worst = _worst([f.verdict for f in failures])
    return Feedback(BOUNCE, failures, worst, failures[0].diagnostic, _unique(addresses))


def _plain_bounce(
    message: email.message.Message, parts: list[tuple[int, email.message.Message]]
) -> Feedback | None:
    text = " ".join((_header(message, "Subject"), _human_text(parts)))
    verdict = classify(None, text, _is_delay(message))
    addresses = _addresses([_header(message, "X-Failed-Recipients")])
    addresses += _flufl_recipients(message)
    addresses += _returned_recipients(parts)
    excerpt = " ".join(_human_text(parts).split())[:300]
    return Feedback(BOUNCE, [], verdict, excerpt, _unique(addresses))


def _looks_like_bounce(message: email.message.Message) -> bool:
    if _header(message, "X-Failed-Recipients"):
        return True
    name, address = email.utils.parseaddr(_header(message, "From"))
    local = address.partition("@")[0].lower()
    if any(daemon in local for daemon in _DAEMONS) or "mail delivery" in name.lower():
        return True
    if "postmaster" in name.lower() or "mailer-daemon" in name.lower():
        return True
    subject = _header(message, "Subject").casefold()
    if any(words in subject for words in _OUT_OF_OFFICE):
        return False
    return any(words in subject for words in _BOUNCE_SUBJECTS)


def _is_delay(message: email.message.Message) -> bool:
    subject = _header(message, "Subject").casefold()
    return any(words in subject for words in _DELAY_SUBJECTS)


def _human_text(parts: list[tuple[int, email.message.Message]]) -> str:
    """The report's own text: text parts outside any returned message, up to the point
    where a non-standard bounce starts quoting the returned message."""
    chunks: list[str] = []
    skip_below: int | None = None
    for depth, part in parts:
        if skip_below is not None and depth > skip_below:
            continue
        skip_below = None
        kind = part.get_content_type()
        if kind in _RETURNED_TYPES:
            skip_below = depth
            continue
        if part.get_content_maintype() == "text" and not part.is_multipart():
            chunks.append(_cut_returned(text_of(part)))
        if sum(map(len, chunks)) > MAX_TEXT:
            break
    return " ".join(chunks)[:MAX_TEXT]


def _cut_returned(text: str) -> str:
    lowered = text.lower()
    cut = min((i for i in map(lowered.find, _RETURNED_MARKERS) if i >= 0), default=len(text))
    return text[:cut]


def _worst(verdicts: list[Verdict]) -> Verdict:
    order = {"hard": 0, "unknown": 1, "soft": 2, "policy": 3}
    return min(verdicts, key=lambda v: order.get(v.kind, 9))


def _generic(status: str) -> bool:
    """5.0.0 and friends say only "failed": the diagnostic text must decide."""
    return not status or status.endswith(".0.0") or status in ("5.1.0", "4.4.0")


def _flufl_recipients(message: email.message.Message) -> list[str]:
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        return []
    found = sorted(permanent | temporary)
    return [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in found]


# -- matching ------------------------------------------------------------------------------


def _tokens(
    message: email.message.Message, parts: list[tuple[int, email.message.Message]]
) -> list[str]:
    """Everything that may carry our delivery token: the addresses the message was
    delivered to (VERP) and the Message-IDs it refers to (ours are tokens too)."""
    found: list[str] = []
    for name in _DELIVERED_TO:
        found += [address for _, address in email.utils.getaddresses(_all(message, name))]
    for name in ("In-Reply-To", "References"):
        found += _header(message, name).split()
    for _, part in parts:
        if part.get_content_type() in _RETURNED_TYPES:
            for inner in _returned_headers(part):
                found += _header(inner, "Message-ID").split()
                found += [_header(inner, "Return-Path")]
    return _unique(item.strip() for item in found if item and item.strip())


def _returned_recipients(parts: list[tuple[int, email.message.Message]]) -> list[str]:
    found: list[str] = []
    for _, part in parts:
        if part.get_content_type() in _RETURNED_TYPES:
            for inner in _returned_headers(part):
                found += _addresses(_all(inner, "To"))
    return found


def _returned_headers(part: email.message.Message) -> list[email.message.Message]:
    """The returned message(s) of a message/rfc822 part, or text/rfc822-headers parsed."""
    if part.get_content_type() == "text/rfc822-headers":
        return [email.message_from_string(text_of(part))]
    payload = part.get_payload()
    return (
        [inner for inner in payload if isinstance(inner, email.message.Message)]
        if isinstance(payload, list)
        else []
    )


# -- fields --------------------------------------------------------------------------------


def _blocks(part: email.message.Message) -> list[dict[str, list[str]]]:
    """The field blocks of a delivery-status part, lower-cased names, repeated fields kept."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [_headers(block) for block in payload if isinstance(block, email.message.Message)]
    return []


def _fields(part: email.message.Message) -> dict[str, list[str]]:
    """The fields of a message/feedback-report part: its body, or a parsed first block."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        return _headers(payload[0])
    return _headers(email.message_from_string(text_of(part)))


def _headers(source: email.message.Message) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in source.items():
        fields.setdefault(name.lower(), []).append(" ".join(str(value).split()))
    return fields


def _all(message: email.message.Message, name: str) -> list[str]:
    try:
        return [str(value) for value in message.get_all(name, [])]
    except (ValueError, IndexError, TypeError):
        return []


def _address_field(values: list[str] | None) -> str:
    """`rfc822; ada@example.org` → `ada@example.org`."""
    if not values:
        return ""
    value = values[0].partition(";")[2] or values[0]
    return value.strip().strip("<>").strip()


def _addresses(values: list[str]) -> list[str]:
    return [a for _, a in email.utils.getaddresses(values) if "@" in a]


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _html_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html[: MAX_TEXT * 4])
    parser.close()
    return " ".join(parser.chunks)
