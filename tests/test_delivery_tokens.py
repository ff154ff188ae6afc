"""HMAC tokens: only the signer's, for the right purpose and address, within their age."""

from __future__ import annotations

import base64

import pytest

from delivery.errors import TokenError
from delivery.tokens import CONFIRM, UNSUBSCRIBE, make_token, verify_token

SECRET = "a-secret-long-enough-1234"


def test_round_trip_lower_cases_the_address():
    token = make_token(SECRET, UNSUBSCRIBE, "Ada@Example.org")
    assert verify_token(SECRET, token, UNSUBSCRIBE).address == "ada@example.org"


def test_forged_token_with_another_key_is_refused():
    forged = make_token("someone-elses-secret-123", UNSUBSCRIBE, "ada@example.org")
    with pytest.raises(TokenError, match="forged or altered"):
        verify_token(SECRET, forged, UNSUBSCRIBE)


def test_altered_address_is_refused():
    payload, signature = make_token(SECRET, UNSUBSCRIBE, "ada@example.org").split(".")
    other = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(payload + "==").replace(b"ada", b"bob")
    ).rstrip(b"=")
    with pytest.raises(TokenError, match="forged or altered"):
        verify_token(SECRET, f"{other.decode()}.{signature}", UNSUBSCRIBE)


def test_altered_signature_is_refused():
    token = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(TokenError):
        verify_token(SECRET, flipped, UNSUBSCRIBE)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "x" * 5000])
def test_garbage_is_refused(garbage):
    with pytest.raises(TokenError):
        verify_token(SECRET, garbage, UNSUBSCRIBE)


def test_wrong_purpose_is_refused():
    token = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    with pytest.raises(TokenError, match="meant to unsubscribe, not to confirm"):
        verify_token(SECRET, token, CONFIRM)


def test_confirm_tokens_expire_and_unsubscribe_tokens_do_not():
    issued = 1_700_000_000
    confirm = make_token(SECRET, CONFIRM, "ada@example.org", now=issued)
    assert verify_token(SECRET, confirm, CONFIRM, now=issued + 6 * 86400)
    with pytest.raises(TokenError, match="expired"):
        verify_token(SECRET, confirm, CONFIRM, now=issued + 8 * 86400)
    old = make_token(SECRET, UNSUBSCRIBE, "ada@example.org", now=issued)
    assert verify_token(SECRET, old, UNSUBSCRIBE, now=issued + 10 * 365 * 86400)
