"""The requests and bounce mailbox: replies, bounces, complaints and auto-replies.

Replies, as the footer promises: UNSUBSCRIBE or SUBSCRIBE sent to the requests address. The
command is the first word of the subject (after Re:/Fwd:, RFC 2047 encoded words decoded)
or of the first body line that is not quoted text; it applies to the sender's address.

Everything else that comes back is read first (delivery/feedback.py): bounces, complaints
and auto-replies are never read as commands; bounces and complaints change the list
(delivery/suppression.py). A command whose Authentication-Results says DMARC failed (the
From is likely forged) is left for a person.

Processed messages are flagged as seen (Maildir S, mbox R) so a later run does not replay an
old SUBSCRIBE over a newer unsubscribe. A message that cannot be read is named, left unseen,
and the run goes on with the others.

From can be forged, so SUBSCRIBE makes the sender pending and emails them a confirmation
link, as the web form does; only an editor who trusts the inbox makes them active at once.
"""

from __future__ import annotations

import email
import email.message
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.policy import default
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from .confirmations import Confirmations
from .errors import DeliveryError, InboxLocked, InvalidAddress, TransportError, UsageError
from .feedback import MAX_DEPTH, NONE, is_auto_reply, read_feedback, text_of, too_deep, walk
from .store import Store, normalise_address
from .subscriptions import request_subscription
from .suppression import BounceRules, apply_feedback
from .transports import PermanentFailure, TransientFailure

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_COMMANDS = ("unsubscribe", "subscribe")
_NOT_COMMANDS = ("bulk", "junk", "list")  # Precedence: mail to many, never a request


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
    rules: BounceRules | None = None,
) -> Iterator[InboxAction]:
    """Apply every request, bounce and complaint found in a Maildir or mbox, yielding each.

    `confirmations` None trusts From: SUBSCRIBE then makes the sender active at once.
    A confirmation that cannot be sent now raises TransportError; that message stays unseen.
    `rules` (BounceRules.from_settings) match bounces to deliveries and count soft bounces.
    """
    rules = rules or BounceRules()
    box = _open(Path(path))
    try:
        _lock(box, path)
        for key in _oldest_first(box):
            action, message = _process(box, key, store, confirmations, reprocess, rules, path)
            if action is None:
                continue
            yield action
            if message is not None:
                _mark_seen(box, key, message)
        box.flush()
    finally:
        box.unlock()
        box.close()


def _process(
    box: mailbox.Mailbox,
    key: str,
    store: Store,
    confirmations: Confirmations | None,
    reprocess: bool,
    rules: BounceRules,
    path: str | Path,
) -> tuple[InboxAction | None, mailbox.Message | None]:
    """One message in isolation: (what was done, the message to flag seen)."""
    name = f"{Path(path).name}/{key}" if isinstance(box, mailbox.Maildir) else f"message {key}"
    try:
        message = box[key]
        if not reprocess and _seen(message):
            return None, None
        parsed = email.message_from_bytes(box.get_bytes(key), policy=default)
        if too_deep(parsed):
            # Flagging it seen rewrites it, and the email package recurses per level.
            reason = f"parts nested deeper than {MAX_DEPTH} levels"
            return InboxAction(name, None, f"cannot be read ({reason}): left unseen"), None
        return _apply(parsed, store, confirmations, rules, name), message
    except (DeliveryError, KeyboardInterrupt):
        raise  # the store or the confirmation transport, not this message
    except Exception as error:  # hostile input: one message never stops the rest
        reason = " ".join(f"{type(error).__name__}: {error}".split())[:120]
        return InboxAction(name, None, f"cannot be read ({reason}): left unseen"), None


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
        except Exception:  # a year 99999999999, a broken message: sorts first
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
    """UNSUBSCRIBE or SUBSCRIBE from the (decoded) subject or the first unquoted body line."""
    subject = _PREFIX.sub("", " ".join(str(message.get("Subject", "")).split()))
    for line in (subject, _first_body_line(message)):
        words = line.strip().split()
        word = words[0].strip(".!:,;").lower() if words else ""
        if word in _COMMANDS:
            return word
    return None


def _first_body_line(message: email.message.Message) -> str:
    part = next((p for _, p in walk(message) if p.get_content_type() == "text/plain"), None)
    if part is None:
        return ""
    for line in text_of(part).splitlines():
        if line.strip() and not line.lstrip().startswith(">"):
            return line
    return ""


def _apply(
    message: email.message.Message,
    store: Store,
    confirmations: Confirmations | None,
    rules: BounceRules,
    name: str,
) -> InboxAction:
    sender = parseaddr(str(message.get("From", "")))[1]
    feedback = read_feedback(message)
    if feedback.kind != NONE:
        address, result = apply_feedback(store, feedback, rules, name)
        return InboxAction(address or sender, None, result)
    if str(message.get("Precedence", "")).strip().lower() in _NOT_COMMANDS or is_auto_reply(
        message
    ):
        return InboxAction(sender, None, "automatic message: ignored")
    command = find_command(message)
    if command is None:
        return InboxAction(sender, None, "no UNSUBSCRIBE or SUBSCRIBE found: left for a person")
    if dmarc_failed(message):
        return InboxAction(sender, command, "DMARC failed (From may be forged): left for a person")
    try:
        address = normalise_address(sender)
    except InvalidAddress:
        return InboxAction(sender, command, "sender address is not valid: ignored")
    if command == "unsubscribe":
        return _unsubscribe(store, address)
    if confirmations is None:
        return _activate(store, address)
    return _subscribe(store, address, confirmations)


def dmarc_failed(message: email.message.Message) -> bool:
    """True if an Authentication-Results header (RFC 8601) says dmarc=fail."""
    for value in message.get_all("Authentication-Results", []):
        for clause in str(value).replace("\n", " ").split(";"):
            method = clause.strip().lower()
            if method.startswith("dmarc=") and method[6:].split()[:1] == ["fail"]:
                return True
    return False


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
