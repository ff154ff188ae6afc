"""The subscriber store and its CSV import/export."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from delivery.csvio import export_csv, import_csv
from delivery.errors import CsvError, DuplicateSubscriber, InvalidAddress, UnknownSubscriber
from delivery.store import MIGRATIONS, Store, Subscriber

pytest_plugins = ["delivery_fixtures"]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "subscribers.db") as store:
        yield store


def test_store_uses_wal_and_records_migrations(store, tmp_path):
    assert store.schema_version() == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "subscribers.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = db.execute("SELECT version FROM schema_migrations").fetchall()
    assert versions == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    Store(tmp_path / "subscribers.db").close()  # reopening applies nothing twice


def test_addresses_are_validated_and_unique_case_insensitively(store):
    store.add_subscriber("Ada@Example.ORG", name="Ada")
    assert store.get("ada@example.org").address == "Ada@example.org"
    with pytest.raises(DuplicateSubscriber):
        store.add_subscriber("ADA@example.org")
    with pytest.raises(InvalidAddress, match="not a valid address"):
        store.add_subscriber("not-an-address")


def test_status_changes_and_removal(store):
    store.add_subscriber("ada@example.org")
    subscriber, changed = store.set_status("ADA@example.org", "unsubscribed")
    assert (subscriber.status, changed) == ("unsubscribed", True)
    assert store.set_status("ada@example.org", "unsubscribed")[1] is False
    store.remove_subscriber("ada@example.org")
    with pytest.raises(UnknownSubscriber):
        store.remove_subscriber("ada@example.org")


def test_subscribers_are_streamed_page_by_page(store):
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO subscribers (address, status, created_at, updated_at)"
            " VALUES (?, ?, 'now', 'now')",
            [(f"r{i}@example.org", "active" if i % 3 else "bounced") for i in range(250)],
        )
    streamed = list(store.subscribers("active", page=40))
    assert len(streamed) == store.count("active") == 166
    assert len({s.id for s in streamed}) == 166


def test_import_reports_every_bad_row_and_imports_the_good_ones(store, tmp_path):
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        "\ufeffE-Mail Address,Name\n"
        "ada@example.org,Ada\n"
        "not-an-address,Nobody\n"
        ",Empty\n"
        "ADA@example.org,Ada again\n"
        "known@example.org,Known\n"
        ",\n"
        "bob@example.org,\n",
        encoding="utf-8",
    )
    store.add_subscriber("known@example.org")
    report = import_csv(csv_file, store)
    assert report.imported == 2
    assert [(b.line, b.reason.split(":")[0].split(" ")[0]) for b in report.bad] == [
        (3, "bad"),
        (4, "empty"),
        (5, "duplicate"),
        (6, "duplicate"),
        (7, "empty"),
    ]
    assert "duplicate of line 2" in str(report.bad[2])
    assert store.get("ada@example.org").name == "Ada"
    assert store.get("bob@example.org").source == "import:list.csv"


def test_import_needs_an_address_column(store, tmp_path):
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("who,name\nada@example.org,Ada\n")
    with pytest.raises(CsvError, match="no address column"):
        import_csv(csv_file, store)


def test_export_then_import_is_lossless(store, tmp_path):
    store.add_subscriber("ada@example.org", name="Ada, Lovelace", source="web")
    store.add_subscriber("bob@example.org", status="unsubscribed", source="cli")
    store.add_subscriber("cy@example.org", name="Cy “Quotes”", status="bounced")
    export_csv(tmp_path / "out.csv", store)
    with Store(tmp_path / "copy.db") as copy:
        report = import_csv(tmp_path / "out.csv", copy)
        assert (report.imported, report.bad) == (3, [])
        strip = lambda s: (s.address, s.name, s.status, s.source, s.created_at, s.updated_at)  # noqa: E731
        assert [strip(s) for s in copy.subscribers()] == [strip(s) for s in store.subscribers()]


def test_export_defuses_formulas_and_import_restores_them(store, tmp_path):
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "'=quoted", "''+two", "'plain"]
    for i, name in enumerate(names):
        store.add_subscriber(f"r{i}@example.org", name=name)
    store.add_subscriber("=cmd@example.org", name="Eq")
    with store.transaction() as db:  # the form strips names; a tab can still come by import
        tab = Subscriber(0, "tab@example.org", "\tTab", "active", "cli", "2026-01-01", "")
        store.insert_subscriber(db, tab)
    export_csv(tmp_path / "out.csv", store)
    text = (tmp_path / "out.csv").read_text()
    cells = [c for line in csv.reader(text.splitlines()[1:]) for c in line]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t")]
    assert "'=HYPERLINK" in text and "'=cmd@example.org" in text
    with Store(tmp_path / "copy.db") as copy:
        report = import_csv(tmp_path / "out.csv", copy)
        assert report.bad == []
        pairs = lambda s: [(x.address, x.name) for x in s.subscribers()]  # noqa: E731
        assert pairs(copy) == pairs(store)
