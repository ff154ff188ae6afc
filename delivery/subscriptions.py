"""What a reader can do to their own subscription, with a token or a form.

Shared by `subscribers unsubscribe --token` and the subscription service (issue 6), so both
apply the same rules: tokens are checked for their purpose first, and the answers never tell
a stranger whether an address is on the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import follows
from .follows import Choice
from .store import Store, Subscriber, normalise_address
from .tokens import CONFIRM, LEAVE_SERIES, PREFERENCES, UNSUBSCRIBE, make_token, verify_token


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
    store: Store,
    secret: str,
    address: str,
    name: str = "",
    source: str = "web",
    choice: Choice | None = None,
) -> str | None:
    """Record a subscribe request; return a confirm token to email, or None if nothing to do.

    Unknown addresses become pending; unsubscribed or bounced ones pending again, each with
    its choice (a series to follow, catch-up, whole newsletter or not) stored beside it.
    Active ones stay as they are, unless they ask to follow a series: their confirmation
    link carries the choice, applied when they confirm. (The caller answers the same
    either way: no enumeration.)
    """
    address, choice = normalise_address(address), choice or Choice()
    current = store.get(address)
    if current is None:
        store.add_subscriber(
            address, name=name[:200], status="pending", source=source, kind="subscribed"
        )
    elif current.status == "active":
        if not choice.series:
            return None
        return make_token(secret, CONFIRM, address, scope=choice.encode())
    elif current.status != "pending":
        store.set_status(address, "pending", kind="subscribed", source=source)
    follows.apply_choice(store, address, choice, joining=True)
    return make_token(secret, CONFIRM, address, scope=choice.encode())


def confirm_with_token(
    store: Store, secret: str | Sequence[str], token: str
) -> tuple[Subscriber, bool]:
    """Apply a confirm link: a pending subscriber becomes active; nobody else changes.

    A confirm link stays valid for days: an unsubscribe or a bounce since it was sent must
    win over it, and the caller answers the same either way.
    """
    claims = verify_token(secret, token, CONFIRM)
    subscriber, changed = store.set_status(
        claims.address, "active", only_from="pending", kind="confirmed", source="link"
    )
    if claims.scope and subscriber.status == "active":  # an unsubscribe since then wins
        follows.apply_choice(store, subscriber.address, Choice.decode(claims.scope), joining=False)
    return subscriber, changed


def preferences_with_token(
    store: Store, secret: str | Sequence[str], token: str
) -> tuple[Subscriber, follows.Preferences]:
    """The reader's own choices, for the link in every footer (a preferences token, or the
    unsubscribe token of an older email)."""
    address = verify_token(secret, token, (PREFERENCES, UNSUBSCRIBE)).address
    return store.require(address), follows.preferences(store, address)


def save_preferences(
    store: Store,
    secret: str | Sequence[str],
    token: str,
    newsletter: bool,
    wanted: set[str],
    offered: set[str],
) -> str:
    """Apply the preferences form: every issue or not, and a follow for each series offered
    (`wanted` of them ticked). Nothing ticked unsubscribes; something ticked by a reader who
    had unsubscribed brings them back (the signed link proves the address is theirs).
    Returns a sentence saying what they will receive."""
    subscriber, current = preferences_with_token(store, secret, token)
    address = subscriber.address
    if not newsletter and not wanted:
        store.set_status(address, "unsubscribed", source="preferences")
        return "You will receive nothing more from us."
    if subscriber.status == "unsubscribed":
        store.set_status(address, "active", only_from="unsubscribed", source="preferences")
    follows.set_newsletter(store, address, newsletter)
    following = set(current.following())
    for slug in sorted(offered & wanted - following):
        follows.follow(store, address, slug)
    for slug in sorted(following - wanted):
        follows.leave(store, address, slug)
    parts = ["every issue"] if newsletter else []
    parts += [f"the series {slug}" for slug in sorted(wanted & (offered | following))]
    return "You will receive " + " and ".join(parts) + "."
