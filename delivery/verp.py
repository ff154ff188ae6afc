"""Delivery tokens: which issue went to which subscriber, in the return path and Message-ID.

Each message of a real send carries one token naming its (issue, subscriber) pair:

- the envelope sender is a VERP address on the bounce mailbox: `bounce_address:
  bounces@example.org` gives `bounces+14-5821-<mac>@example.org`, so a bounce comes back to an
  address that says exactly which delivery failed, whatever the report itself shows;
- the Message-ID is `<14-5821-<mac>@list-domain>`: stable, so a copy re-sent after a crash
  carries the first copy's Message-ID, and a report quoting the original headers names the
  delivery too.

The mac is HMAC-SHA256 over the pair (16 base32 characters, 80 bits, lower case: mail
servers may fold the case of local parts), with a key derived from MASTHEAD_SECRET for this
purpose only. A forged or altered token reads as no token at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

_MAC_CHARS = 16


@dataclass(frozen=True)
class DeliveryToken:
    issue: int
    subscriber_id: int

    def __str__(self) -> str:
        return f"issue {self.issue}, subscriber {self.subscriber_id}"


def make(secret: str, issue: int, subscriber_id: int) -> str:
    """The token text `<issue>-<subscriber id>-<mac>`."""
    pair = f"{issue}-{subscriber_id}"
    return f"{pair}-{_mac(secret, pair)}"


def read(text: str, secrets: Iterable[str]) -> DeliveryToken | None:
    """The pair a token names, or None if it is not one of ours (checked in constant time)."""
    parts = text.strip().lower().split("-")
    if len(parts) != 3 or not all(part.isascii() for part in parts):
        return None
    issue, subscriber, mac = parts
    if not (issue.isdigit() and subscriber.isdigit() and len(issue) < 10 and len(subscriber) < 19):
        return None
    pair = f"{int(issue)}-{int(subscriber)}"
    if any(hmac.compare_digest(mac, _mac(secret, pair)) for secret in secrets if secret):
        return DeliveryToken(int(issue), int(subscriber))
    return None


def return_path(bounce_address: str, token: str) -> str:
    """`bounces@example.org` and a token give `bounces+<token>@example.org`."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def token_of_address(address: str, bounce_address: str) -> str | None:
    """The token in a VERP address on `bounce_address`'s mailbox, else None."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    base_local, _, base_domain = bounce_address.rpartition("@")
    if domain.lower() != base_domain.lower() or "+" not in local:
        return None
    prefix, _, token = local.partition("+")
    return token if prefix.lower() == base_local.lower() else None


def message_id(token: str, domain: str) -> str:
    return f"<{token}@{domain}>"


def token_of_message_id(value: str) -> str | None:
    local, at, _ = value.strip().strip("<>").partition("@")
    return local if at else None


def _mac(secret: str, pair: str) -> str:
    key = hmac.new(secret.encode(), b"masthead delivery token v1", hashlib.sha256).digest()
    digest = hmac.new(key, pair.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_MAC_CHARS]
