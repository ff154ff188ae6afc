"""Replies, as the footer promises: UNSUBSCRIBE or SUBSCRIBE sent to the requests address.

The command is the first word of the subject (after Re:/Fwd:) or of the first body line that
is not quoted text; it applies to the sender's address. Processed messages are flagged as seen
(Maildir S, mbox R) so a later run does not replay an old SUBSCRIBE over a newer unsubscribe.

From can be forged, so SUBSCRIBE makes the sender pending and emails them a confirmation
link, as the web form does; only an editor who trusts the inbox makes them active at once.
"""

from __future__ import annotations

import email.message
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.policy import default
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from .confirmations import Confirmations
from .errors import InboxLocked, InvalidAddress, TransportError, UsageError
from .store import Store, normalise_address
from .subscriptions import request_subscription
from .transports import PermanentFailure, TransientFailure

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_COMMANDS = ("unsubscribe", "subscribe")


@dataclass(frozen=True)
class InboxAction:
    address: str
    command: str | None
    result: str

    def __str__(self) -> str:
        return f"{self.address or '(no sender)'}: {self.result}"


def process_inbox(
    path: str | Path,
    store: Store,
    confirmations: Confirmations | None,
    reprocess: bool = False,
) -> Iterator[InboxAction]:
    """Apply every UNSUBSCRIBE / SUBSCRIBE request found in a Maildir or mbox, yielding each.

    `confirmations` None trusts From: SUBSCRIBE then makes the sender active at once.
    A confirmation that cannot be sent now raises TransportError; that message stays unseen.
    """
    box = _open(Path(path))
    try:
        _lock(box, path)
        for key in _oldest_first(box):
            message = box[key]
            if not reprocess and _seen(message):
                continue
            yield _apply(message, store, confirmations)
            _mark_seen(box, key, message)
        box.flush()
    finally:
        box.unlock()
        box.close()


def _lock(box: mailbox.Mailbox, path: str | Path) -> None:
    """Lock an mbox (lockf and a dot lock, as mail programs do) before reading it: the run
    rewrites the whole file, and mail delivered meanwhile would be lost. (A Maildir needs
    no lock: each message is its own file.)"""
    try:
        box.lock()
    except mailbox.ExternalClashError:
        raise InboxLocked(
            f"{path} is locked by another program (lockf or {path}.lock): try again when it "
            "is done, or remove a stale .lock file"
        ) from None


def _open(path: Path) -> mailbox.Mailbox:
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise UsageError(f"{path} is a directory but not a Maildir (no cur/ and new/)")
        return mailbox.Maildir(str(path), factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(str(path), create=False)
    raise UsageError(f"{path} not found: give a Maildir directory or an mbox file")


def _oldest_first(box: mailbox.Mailbox) -> list[str]:
    """Keys by the Date header: a SUBSCRIBE then an UNSUBSCRIBE must end unsubscribed."""

    def sent_at(key: str) -> float:
        try:
            return parsedate_to_datetime(str(box[key].get("Date"))).timestamp()
        except (TypeError, ValueError):
            return 0.0

    return sorted(box.keys(), key=sent_at)


def _seen(message: mailbox.Message) -> bool:
    flags = message.get_flags() if hasattr(message, "get_flags") else ""
    return "S" in flags or "R" in flags


def _mark_seen(box: mailbox.Mailbox, key: str, message: mailbox.Message) -> None:
    if isinstance(message, mailbox.MaildirMessage):
        message.set_subdir("cur")
        message.add_flag("S")
    elif isinstance(message, mailbox.mboxMessage):
        message.add_flag("R")
    box[key] = message


def find_command(message: email.message.Message) -> str | None:
    """UNSUBSCRIBE or SUBSCRIBE from the subject or the first unquoted body line."""
    subject = _PREFIX.sub("", str(message.get("Subject", "")))
    for line in (subject, _first_body_line(message)):
        words = line.strip().split()
        word = words[0].strip(".!:,;").lower() if words else ""
        if word in _COMMANDS:
            return word
    return None


def _first_body_line(message: email.message.Message) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    part = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    if part is None:
        return ""
    for line in part.get_content().splitlines():
        if line.strip() and not line.lstrip().startswith(">"):
            return line
    return ""


def _apply(
    message: mailbox.Message, store: Store, confirmations: Confirmations | None
) -> InboxAction:
    sender = parseaddr(str(message.get("From", "")))[1]
    if _automatic(message):
        return InboxAction(sender, None, "automatic reply: ignored")
    command = find_command(message)
    if command is None:
        return InboxAction(sender, None, "no UNSUBSCRIBE or SUBSCRIBE found: left for a person")
    try:
        address = normalise_address(sender)
    except InvalidAddress:
        return InboxAction(sender, command, "sender address is not valid: ignored")
    if command == "unsubscribe":
        return _unsubscribe(store, address)
    if confirmations is None:
        return _activate(store, address)
    return _subscribe(store, address, confirmations)


def _automatic(message: mailbox.Message) -> bool:
    # Out-of-office and bounce messages must not (un)subscribe anyone (RFC 3834).
    auto = str(message.get("Auto-Submitted", "no")).lower()
    precedence = str(message.get("Precedence", "")).lower()
    return auto != "no" or precedence in ("bulk", "junk", "auto_reply", "list")


def _unsubscribe(store: Store, address: str) -> InboxAction:
    if store.get(address) is None:
        return InboxAction(address, "unsubscribe", "not on the list: nothing to do")
    _, changed = store.set_status(address, "unsubscribed", source="inbox reply")
    result = "unsubscribed" if changed else "already unsubscribed"
    return InboxAction(address, "unsubscribe", result)


def _activate(store: Store, address: str) -> InboxAction:
    """SUBSCRIBE from a trusted inbox (`--active`): active at once, no email."""
    current = store.get(address)
    if current is None:
        store.add_subscriber(address, status="active", source="inbox", kind="subscribed")
        return InboxAction(address, "subscribe", "added (active)")
    if current.status == "active":
        return InboxAction(address, "subscribe", "already active")
    store.set_status(address, "active", kind="subscribed", source="inbox --active")
    return InboxAction(address, "subscribe", f"{current.status} → active")


def _subscribe(store: Store, address: str, confirmations: Confirmations) -> InboxAction:
    """SUBSCRIBE by email, as by the web form: pending, and a confirmation link."""
    before = store.get(address)
    token = request_subscription(store, confirmations.secret, address, source="inbox")
    if token is None:
        return InboxAction(address, "subscribe", "already active")
    if before is None:
        done = "added (pending)"
    elif before.status == "pending":
        done = "already pending"
    else:
        done = f"{before.status} → pending"
    try:
        sent = confirmations.send(address, token)
    except PermanentFailure as failure:
        return InboxAction(address, "subscribe", f"{done}; confirmation refused: {failure.reply}")
    except TransientFailure as failure:
        raise TransportError(
            f"confirmation email to {address} not sent ({failure.reply}): its message is "
            "left unprocessed; run `inbox process` again later"
        ) from failure
    email = "confirmation email sent" if sent else "confirmation email already sent in this run"
    return InboxAction(address, "subscribe", f"{done}; {email}")
