"""Signed tokens for unsubscribe and confirm links.

A token is `<payload>.<signature>`, both base64url without padding. The payload holds the
purpose, the address (lower-cased: addresses are unique case-insensitively) and the issue time;
the signature is HMAC-SHA256 over the payload with a key derived from MASTHEAD_SECRET. The
purpose is inside the signed payload, so an unsubscribe token cannot confirm and vice versa,
and the address is too, so a token cannot be moved to another address.

The address travels in the token (not a database id) so links in old emails keep working after
the store is exported and imported again; unsubscribe tokens never expire for the same reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import TokenError

UNSUBSCRIBE = "unsubscribe"
CONFIRM = "confirm"
LEAVE_SERIES = "leave-series"  # a series-part email's one-click link: its scope is the slug
PREFERENCES = "preferences"  # the footer's "choose what you receive" page
# Seconds a token stays valid, per purpose; None: forever (links in old emails).
LIFETIMES: dict[str, int | None] = {
    UNSUBSCRIBE: None,
    CONFIRM: 7 * 24 * 3600,
    LEAVE_SERIES: None,
    PREFERENCES: None,
}
CLOCK_SKEW = 300
_SEPARATOR = "\n"
_MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class TokenClaims:
    purpose: str
    address: str
    issued_at: int
    scope: str = ""  # what the purpose applies to: a series slug for LEAVE_SERIES


def make_token(
    secret: str, purpose: str, address: str, now: float | None = None, scope: str = ""
) -> str:
    """Sign a token for `purpose` and `address` (and `scope`, signed with them)."""
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    issued = int(time.time() if now is None else now)
    fields = (purpose, address.lower(), str(issued), *((scope,) if scope else ()))
    payload = _SEPARATOR.join(fields).encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def verify_token(
    secret: str | Sequence[str],
    token: str,
    purpose: str | tuple[str, ...],
    now: float | None = None,
) -> TokenClaims:
    """Check signature, purpose (one, or any of several) and age; return the claims or raise
    TokenError.

    `secret` may be several (SendSettings.verifying_secrets: the current one, then those of
    MASTHEAD_SECRET_PREVIOUS), so links signed before a rotation keep working.
    """
    payload, signature = _split(token)
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    # Every key is tried (no early exit), each compared in constant time.
    matches = [hmac.compare_digest(signature, _sign(key, payload)) for key in secrets]
    if not any(matches):
        raise TokenError("token refused: its signature does not match (forged or altered)")
    claims = _claims(payload)
    wanted = (purpose,) if isinstance(purpose, str) else purpose
    if claims.purpose not in wanted:
        raise TokenError(f"token refused: it is meant to {claims.purpose}, not to {wanted[0]}")
    _check_age(claims, now)
    return claims


def _sign(secret: str, payload: bytes) -> bytes:
    # A key derived for tokens only: MASTHEAD_SECRET may sign other things later.
    key = hmac.new(secret.encode(), b"masthead token v1", hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()


def _split(token: str) -> tuple[bytes, bytes]:
    token = token.strip()
    if len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenError("token refused: it is not a Masthead token (copy the whole link)")
    payload, signature = token.split(".")
    try:
        return _unb64(payload), _unb64(signature)
    except (binascii.Error, ValueError) as error:
        raise TokenError("token refused: it is damaged (copy the whole link)") from error


def _claims(payload: bytes) -> TokenClaims:
    # Only reached with a valid signature, so the payload is one we wrote.
    purpose, address, issued, *scope = payload.decode().split(_SEPARATOR)
    return TokenClaims(purpose, address, int(issued), *scope)


def _check_age(claims: TokenClaims, now: float | None) -> None:
    current = time.time() if now is None else now
    if claims.issued_at > current + CLOCK_SKEW:
        raise TokenError("token refused: it was issued in the future")
    lifetime = LIFETIMES.get(claims.purpose)
    if lifetime is not None and current - claims.issued_at > lifetime:
        raise TokenError(
            f"token refused: this {claims.purpose} link has expired; ask for a new one"
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
