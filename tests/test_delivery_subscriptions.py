"""Token-driven subscription changes (shared with the subscription service)."""

from __future__ import annotations

import pytest

from delivery.errors import TokenError
from delivery.store import Store
from delivery.subscriptions import (
    confirm_with_token,
    request_subscription,
    unsubscribe_with_token,
)
from delivery.tokens import UNSUBSCRIBE, make_token

SECRET = "a-secret-long-enough-1234"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.db") as store:
        yield store


def test_subscribe_confirm_unsubscribe(store):
    token = request_subscription(store, SECRET, "Ada@Example.org", name="Ada")
    assert store.get("ada@example.org").status == "pending"
    with pytest.raises(TokenError, match="meant to confirm, not to unsubscribe"):
        unsubscribe_with_token(store, SECRET, token)  # a confirm token cannot unsubscribe
    subscriber, changed = confirm_with_token(store, SECRET, token)
    assert (subscriber.status, changed) == ("active", True)
    assert request_subscription(store, SECRET, "ada@example.org") is None  # already active
    unsubscribe = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    with pytest.raises(TokenError, match="meant to unsubscribe, not to confirm"):
        confirm_with_token(store, SECRET, unsubscribe)
    assert unsubscribe_with_token(store, SECRET, unsubscribe)[1] is True
    assert unsubscribe_with_token(store, SECRET, unsubscribe)[1] is False  # idempotent
    assert request_subscription(store, SECRET, "ada@example.org") is not None
    assert store.get("ada@example.org").status == "pending"


@pytest.mark.parametrize("later", ["unsubscribed", "bounced"])
def test_an_old_confirm_link_does_not_reactivate(store, later):
    token = request_subscription(store, SECRET, "ada@example.org")
    confirm_with_token(store, SECRET, token)
    store.set_status("ada@example.org", later)
    subscriber, changed = confirm_with_token(store, SECRET, token)
    assert (subscriber.status, changed) == (later, False)
    assert store.get("ada@example.org").status == later
