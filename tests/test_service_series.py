"""The service side of series follows: the subscribe form's choice, the preferences page,
and leaving one series from a part's link (the WSGI app, called directly)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from urllib.parse import urlencode

import pytest
from series_fixtures import build_issue
from test_service_app import Mailbox, call

from delivery import follows
from delivery.outbox import Outbox
from delivery.service import SubscriptionService
from delivery.tokens import LEAVE_SERIES, PREFERENCES, make_token

pytest_plugins = ["delivery_fixtures"]


@pytest.fixture
def app(bare_newsletter):
    build_issue(bare_newsletter, 1, [("anchor", 1, False), ("other", 1, False)])
    settings = bare_newsletter.settings()
    mailbox, store = Mailbox(), bare_newsletter.store()
    outbox = Outbox(settings, store, messenger_factory=lambda: mailbox, settle=0)
    service = SubscriptionService(settings, store, outbox)
    service.mailbox = mailbox  # type: ignore[attr-defined]
    yield service
    store.close()


def subscribe(app, **fields: str) -> None:
    call(app, "POST", "/subscribe", body=urlencode(fields).encode())
    assert app.outbox.send_due()


def confirm(app, address: str) -> None:
    recipient, raw = app.mailbox.posted[-1]
    assert recipient == address
    body = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    token = re.search(r"confirm\?token=([\w.-]+)", body).group(1)
    assert call(app, "POST", "/confirm", f"token={token}")["status"] == "200 OK"


def test_a_series_only_subscription_is_stored_pending_and_applied_on_confirm(app):
    subscribe(app, address="new@example.org", series="anchor", catch_up="yes")
    prefs = follows.preferences(app.store, "new@example.org")
    assert app.store.require("new@example.org").status == "pending"
    assert (prefs.newsletter, prefs.following(), prefs.follows[0].catch_up) == (
        False,
        ["anchor"],
        True,
    )
    confirm(app, "new@example.org")
    assert app.store.require("new@example.org").status == "active"


def test_newsletter_yes_also_gets_every_issue(app):
    subscribe(app, address="both@example.org", series="anchor", newsletter="yes")
    assert follows.preferences(app.store, "both@example.org").newsletter is True


def test_an_active_reader_follows_a_series_only_once_they_confirm(app):
    app.store.add_subscriber("ada@example.org")
    subscribe(app, address="ada@example.org", series="anchor")
    assert follows.preferences(app.store, "ada@example.org").following() == []
    confirm(app, "ada@example.org")
    prefs = follows.preferences(app.store, "ada@example.org")
    assert (prefs.newsletter, prefs.following()) == (True, ["anchor"])  # issues go on


def test_a_bad_series_slug_is_a_form_problem(app):
    answer = call(app, "POST", "/subscribe", body=b"address=a%40example.org&series=..%2Fx")
    assert answer["status"] == "400 Bad Request"
    assert "not one of ours" in answer["body"].decode()


def test_the_preferences_page_shows_and_changes_what_the_reader_gets(app):
    app.store.add_subscriber("ada@example.org")
    follows.follow(app.store, "ada@example.org", "anchor")
    token = make_token(app.secret, PREFERENCES, "ada@example.org")
    page = call(app, "GET", "/preferences", f"token={token}")["body"].decode()
    assert 'name="newsletter" value="yes" checked' in page
    assert 'name="follow-anchor" value="yes" checked' in page
    assert 'name="follow-other" value="yes">' in page  # offered, not followed
    body = b"follow-other=yes&save=yes"  # no more issues, other instead of anchor
    saved = call(app, "POST", "/preferences", f"token={token}", body=body)["body"].decode()
    assert "You will receive the series other." in saved
    prefs = follows.preferences(app.store, "ada@example.org")
    assert (prefs.newsletter, prefs.following()) == (False, ["other"])
    call(app, "POST", "/preferences", f"token={token}", body=b"nothing=yes")
    assert app.store.require("ada@example.org").status == "unsubscribed"


def test_a_part_emails_unsubscribe_page_names_the_series_and_leaves_it_only(app):
    app.store.add_subscriber("ada@example.org")
    follows.follow(app.store, "ada@example.org", "anchor")
    token = make_token(app.secret, LEAVE_SERIES, "ada@example.org", scope="anchor")
    page = call(app, "GET", "/unsubscribe", f"token={token}")["body"].decode()
    assert "Stop sending the parts of ANCHOR to ada@example.org?" in page
    left = call(app, "POST", "/unsubscribe", f"token={token}", body=b"List-Unsubscribe=One-Click")
    assert "You left ANCHOR" in left["body"].decode()
    assert app.store.require("ada@example.org").status == "active"
    assert follows.preferences(app.store, "ada@example.org").following() == []
