"""The store side of series follows: preferences, part delivery rows, migration 2."""

from __future__ import annotations

import sqlite3

import pytest

from delivery import follows
from delivery import store as store_module
from delivery.errors import SubscriberError
from delivery.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "subscribers.db") as store:
        yield store


def test_a_version_1_store_keeps_its_deliveries_through_the_migration(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
    with Store(path) as old, old.transaction() as db:
        assert old.schema_version() == 1
        db.execute(
            "INSERT INTO subscribers (address, status, created_at, updated_at)"
            " VALUES ('ada@example.org', 'active', '', '')"
        )
        db.execute(
            "INSERT INTO deliveries (issue, subscriber_id, address, status, last_reply,"
            " queued_at, updated_at) VALUES (7, 1, 'ada@example.org', 'sent', '250 OK', '', '')"
        )
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version() == len(store_module.MIGRATIONS)
        (row,) = new.deliveries(7)
        assert (row.address, row.status, row.last_reply) == ("ada@example.org", "sent", "250 OK")
        assert follows.preferences(new, "ada@example.org").newsletter is True


def test_a_migration_that_rebuilds_subscribers_keeps_the_rows_pointing_at_it(tmp_path, monkeypatch):
    """Foreign keys are off while a migration runs: a rebuilt table is not a deleted one."""
    rebuild = (
        "rebuild subscribers",
        [
            "CREATE TABLE subscribers_new (id INTEGER PRIMARY KEY, address TEXT, name TEXT,"
            " status TEXT, source TEXT, created_at TEXT, updated_at TEXT, newsletter INTEGER)",
            "INSERT INTO subscribers_new SELECT * FROM subscribers",
            "DROP TABLE subscribers",
            "ALTER TABLE subscribers_new RENAME TO subscribers",
        ],
    )
    path = tmp_path / "subscribers.db"
    with Store(path) as store:
        store.add_subscriber("ada@example.org")
        follows.follow(store, "ada@example.org", "anchor")
        store.snapshot(1)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, rebuild])
    with Store(path) as store:
        assert store.deliveries(1)[0].subscriber_id is not None
        assert store.query("SELECT series FROM follows") == [("anchor",)]


def test_a_migration_that_breaks_a_foreign_key_is_refused_whole(tmp_path, monkeypatch):
    broken = ("orphans", ["UPDATE deliveries SET subscriber_id = 999"])
    path = tmp_path / "subscribers.db"
    with Store(path) as store:
        store.add_subscriber("ada@example.org")
        store.snapshot(1)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, broken])
    with pytest.raises(store_module.StoreError, match="broke a reference"):
        Store(path)
    monkeypatch.undo()
    with Store(path) as store:
        assert store.deliveries(1)[0].subscriber_id == 1


def test_a_series_only_follower_gets_no_issue(store):
    store.add_subscriber("all@example.org")
    store.add_subscriber("only@example.org", newsletter=False)
    follows.follow(store, "only@example.org", "anchor", catch_up=True)
    assert store.snapshot(3) == 1
    assert [d.address for d in store.deliveries(3)] == ["all@example.org"]
    prefs = follows.preferences(store, "only@example.org")
    assert (prefs.newsletter, prefs.following(), prefs.nothing) == (False, ["anchor"], False)
    assert prefs.follows[0].catch_up is True


def test_one_row_per_part_and_follower_whatever_queues_it(store):
    reader = store.add_subscriber("only@example.org", newsletter=False)
    follows.follow(store, reader.address, "anchor")
    with store.transaction() as db:
        assert follows.queue_part(db, "anchor", 1, reader.id, ends=False) is True
        assert follows.queue_part(db, "anchor", 1, reader.id, ends=False) is False
    assert [d.status for d in follows.part_deliveries(store, "anchor", 1)] == ["queued"]
    assert follows.preferences(store, reader.address).follows[0].progress == 1


def test_a_row_names_an_issue_or_a_part_never_both(store):
    reader = store.add_subscriber("ada@example.org")
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
        db.execute(
            "INSERT INTO deliveries (issue, series, part, subscriber_id, address, status,"
            " queued_at, updated_at) VALUES (1, 'anchor', 1, ?, 'x', 'queued', '', '')",
            (reader.id,),
        )


def test_parts_inside_an_issue_count_as_received(store):
    reader = store.add_subscriber("ada@example.org")
    follows.follow(store, reader.address, "anchor", catch_up=True)
    follows.record_issue_parts(store, 4, [("anchor", 2), ("other", 1)])
    store.snapshot(4)
    with store.transaction() as db:
        follows.queue_part(db, "anchor", 1, reader.id, ends=False)
    assert follows.parts_handled(store, reader.id, "anchor") == {1, 2}
    store.record_delivery(store.deliveries(4)[0].id, "failed", "550 no such user")
    assert follows.parts_handled(store, reader.id, "anchor") == {1}


def test_the_last_part_ends_the_follow_and_leaving_skips_queued_parts(store):
    reader = store.add_subscriber("ada@example.org", newsletter=False)
    follows.follow(store, reader.address, "anchor")
    follows.follow(store, reader.address, "other")
    with store.transaction() as db:
        follows.queue_part(db, "anchor", 6, reader.id, ends=True)
        follows.queue_part(db, "other", 1, reader.id, ends=False)
    assert follows.leave(store, reader.address, "other") is True
    assert follows.leave(store, reader.address, "other") is False
    statuses = {f.series: f.status for f in follows.preferences(store, reader.address).follows}
    assert statuses == {"anchor": "ended", "other": "left"}
    assert [d.status for d in follows.part_deliveries(store, "other")] == ["skipped"]
    assert follows.parts_with_queued_rows(store) == [("anchor", 6)]
    assert [d.address for d in follows.queued_parts(store, "anchor", 6)] == [reader.address]
    follows.follow(store, reader.address, "anchor")  # an ended series stays ended
    assert follows.preferences(store, reader.address).following() == []


def test_whole_newsletter_can_be_switched_off_and_on(store):
    store.add_subscriber("ada@example.org")
    follows.set_newsletter(store, "ada@example.org", False)
    assert follows.preferences(store, "ada@example.org").nothing is True
    follows.set_newsletter(store, "ada@example.org", True)
    assert store.snapshot(1) == 1


@pytest.mark.parametrize("slug", ["", "../x", "a b", "x" * 101, "<script>"])
def test_series_slugs_from_outside_are_checked(store, slug):
    store.add_subscriber("ada@example.org")
    with pytest.raises(SubscriberError):
        follows.follow(store, "ada@example.org", slug)
