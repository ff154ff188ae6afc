"""Subscriber events: every state change leaves a dated record, and the migration that added
them (and the `complained` status) keeps an older store's rows and references intact."""

from __future__ import annotations

import sqlite3

import pytest

from delivery.csvio import import_csv
from delivery.errors import SubscriberError
from delivery.store import MIGRATIONS, Store, record_event
from delivery.subscriptions import confirm_with_token, request_subscription

SECRET = "a-secret-long-enough-1234"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "subscribers.db") as store:
        yield store


def kinds(store: Store, address: str) -> list[str]:
    return [event.kind for event in store.events(address)]


def test_subscribe_confirm_unsubscribe_and_removal_are_recorded(store):
    token = request_subscription(store, SECRET, "ada@example.org", source="web")
    confirm_with_token(store, SECRET, token)
    store.set_status("ada@example.org", "unsubscribed", source="link")
    store.remove_subscriber("ada@example.org")
    events = store.events("ADA@example.org")
    assert [e.kind for e in events] == ["subscribed", "confirmed", "unsubscribed", "removed"]
    assert events[0].source == "web" and events[0].evidence == {"status": "pending"}
    assert events[1].evidence == {"from": "pending", "to": "active"}
    assert events[2].source == "link"
    assert events[-1].subscriber_id is None  # the subscriber is gone, the history stays
    assert all(e.at.endswith("+00:00") for e in events)


def test_an_unchanged_status_records_nothing(store):
    store.add_subscriber("ada@example.org")
    store.set_status("ada@example.org", "active")
    assert kinds(store, "ada@example.org") == ["added"]


def test_imports_and_deliveries_are_recorded(store, tmp_path):
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("email\nbo@example.org\n", encoding="utf-8")
    import_csv(csv_file, store)
    store.snapshot(7)
    (delivery,) = store.deliveries(7)
    store.record_delivery(delivery.id, "sent", "250 ok")
    store.record_delivery(delivery.id, "sent", "250 ok")  # not queued any more: no event
    events = store.events("bo@example.org")
    assert [e.kind for e in events] == ["imported", "sent"]
    assert events[0].source == "import:list.csv"
    assert events[1].evidence == {"issue": 7, "reply": "250 ok"}


def test_record_event_joins_the_callers_transaction(store):
    ada = store.add_subscriber("ada@example.org")
    with pytest.raises(RuntimeError), store.transaction() as db:
        record_event(db, ada, "hard bounce", "inbox", {"status": "5.1.1"})
        raise RuntimeError("the change it documents failed")
    assert kinds(store, "ada@example.org") == ["added"]
    with store.transaction() as db:
        record_event(db, ada, "hard bounce", "inbox", {"status": "5.1.1", "file": "x"})
    assert store.events("ada@example.org")[-1].evidence == {"status": "5.1.1", "file": "x"}


def test_complained_is_a_status_and_others_are_refused(store):
    store.add_subscriber("ada@example.org")
    assert store.set_status("ada@example.org", "complained")[0].status == "complained"
    with pytest.raises(SubscriberError, match="not one of"):
        store.set_status("ada@example.org", "annoyed")


def test_an_older_store_migrates_keeping_rows_and_delivery_references(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    old.execute("PRAGMA foreign_keys = ON")
    for statement in MIGRATIONS[0][1]:
        old.execute(statement)
    old.execute("INSERT INTO schema_migrations VALUES (1, 'first', 'then')")
    old.execute(
        "INSERT INTO subscribers VALUES (5, 'cy@example.org', 'Cy', 'bounced', 'cli', 'a', 'b')"
    )
    old.execute(
        "INSERT INTO deliveries (issue, subscriber_id, address, status, queued_at, updated_at)"
        " VALUES (3, 5, 'cy@example.org', 'sent', 'a', 'b')"
    )
    old.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.get("cy@example.org").name == "Cy"
        assert store.deliveries(3)[0].subscriber_id == 5
        store.set_status("cy@example.org", "complained")
        # The CHECK came back with the rebuild:
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
            db.execute("UPDATE subscribers SET status = 'annoyed'")
