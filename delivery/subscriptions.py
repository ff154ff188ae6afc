"""What a reader can do to their own subscription, with a token or a form.

Shared by `subscribers unsubscribe --token` and the subscription service (issue 6), so both
apply the same rules: tokens are checked for their purpose first, and the answers never tell
a stranger whether an address is on the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import follows
from .store import Store, Subscriber, normalise_address
from .tokens import CONFIRM, LEAVE_SERIES, UNSUBSCRIBE, make_token, verify_token


def unsubscribe_with_token(
    store: Store, secret: str | Sequence[str], token: str, source: str = "link"
) -> tuple[Subscriber, bool]:
    """Apply an unsubscribe link; idempotent (the second click changes nothing).

    The link of a series-part email leaves that series only; an issue's leaves everything.
    """
    claims = verify_token(secret, token, (UNSUBSCRIBE, LEAVE_SERIES))
    if claims.purpose == LEAVE_SERIES:
        changed = follows.leave(store, claims.address, claims.scope)
        return store.require(claims.address), changed
    return store.set_status(claims.address, "unsubscribed", source=source)


def request_subscription(
    store: Store, secret: str, address: str, name: str = "", source: str = "web"
) -> str | None:
    """Record a subscribe request; return a confirm token to email, or None if nothing to do.

    Unknown addresses become pending; unsubscribed or bounced ones pending again; active
    ones stay as they are (the caller answers the same either way: no enumeration).
    """
    address = normalise_address(address)
    current = store.get(address)
    if current is None:
        store.add_subscriber(
            address, name=name[:200], status="pending", source=source, kind="subscribed"
        )
    elif current.status == "active":
        return None
    elif current.status != "pending":
        store.set_status(address, "pending", kind="subscribed", source=source)
    return make_token(secret, CONFIRM, address)


def confirm_with_token(
    store: Store, secret: str | Sequence[str], token: str
) -> tuple[Subscriber, bool]:
    """Apply a confirm link: a pending subscriber becomes active; nobody else changes.

    A confirm link stays valid for days: an unsubscribe or a bounce since it was sent must
    win over it, and the caller answers the same either way.
    """
    address = verify_token(secret, token, CONFIRM).address
    return store.set_status(address, "active", only_from="pending", kind="confirmed", source="link")
