"""The subscriber store: SQLite in WAL mode, numbered migrations, one transaction per change.

Subscribers and the delivery log live here. Lists are streamed with keyset pagination (id >
last id), so memory stays flat whatever the size of the list.

Every change to a subscriber is also an **event** (table `events`): the subscriber's id and
address (kept after a removal), a `kind`, the UTC time, a `source` and `evidence` (a JSON
object). The store records them for the changes it makes itself:

    kind          when                                    evidence
    added         `add_subscriber` (cli, service, inbox)  {"status": ...}
    subscribed    a subscribe request (web form, inbox)   {"status": "pending"}
    imported      a CSV row (`insert_subscriber`)         {"status": ...}
    confirmed     pending -> active by a confirm link     {"from": ..., "to": ...}
    unsubscribed  set_status(..., "unsubscribed")         {"from": ..., "to": ...}
    status        any other status change                 {"from": ..., "to": ...}
    sent / failed a delivery answered (record_delivery)   {"issue": N, "reply": ...}
    removed       remove_subscriber                       {"status": ...}

Other code records its own kinds (bounces, complaints, series follows ...) with
`record_event(db, subscriber, kind, source=..., evidence={...})` inside the transaction of
the change it documents (`with store.transaction() as db:`), and reads a subscriber's
history with `store.events(address)`, oldest first.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .errors import (
    DuplicateSubscriber,
    InvalidAddress,
    StoreError,
    StoreMissing,
    SubscriberError,
    UnknownSubscriber,
)

logger = logging.getLogger(__name__)

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
PAGE_SIZE = 1000

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "subscribers, sends and deliveries",
        [
            """CREATE TABLE subscribers (
                id INTEGER PRIMARY KEY,
                address TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL
                    CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
                source TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            # NOCASE folds ASCII only; stored addresses are ASCII (see normalise_address).
            "CREATE UNIQUE INDEX subscribers_address ON subscribers (address COLLATE NOCASE)",
            "CREATE INDEX subscribers_status ON subscribers (status, id)",
            """CREATE TABLE sends (
                id INTEGER PRIMARY KEY,
                issue INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('real', 'test', 'dry-run')),
                started_at TEXT NOT NULL,
                finished_at TEXT,
                outcome TEXT NOT NULL DEFAULT 'running',
                sent INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                note TEXT NOT NULL DEFAULT '')""",
            "CREATE INDEX sends_issue ON sends (issue, id)",
            # The address is copied at snapshot time: the log stays readable after a removal.
            """CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                issue INTEGER NOT NULL,
                subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
                address TEXT NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_reply TEXT NOT NULL DEFAULT '',
                queued_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                sent_at TEXT,
                UNIQUE (issue, subscriber_id))""",
            "CREATE INDEX deliveries_issue_status ON deliveries (issue, status, id)",
        ],
    ),
    (
        "status complained; subscriber events",
        [
            # SQLite cannot alter a CHECK: rebuild the table (migrate() turns foreign keys
            # off meanwhile, so deliveries keep their subscriber ids).
            """CREATE TABLE subscribers_new (
                id INTEGER PRIMARY KEY,
                address TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL CHECK (status IN
                    ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
                source TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            "INSERT INTO subscribers_new SELECT * FROM subscribers",
            "DROP TABLE subscribers",
            "ALTER TABLE subscribers_new RENAME TO subscribers",
            "CREATE UNIQUE INDEX subscribers_address ON subscribers (address COLLATE NOCASE)",
            "CREATE INDEX subscribers_status ON subscribers (status, id)",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
                address TEXT NOT NULL,
                kind TEXT NOT NULL,
                at TEXT NOT NULL,
                source TEXT NOT NULL DEFAULT '',
                evidence TEXT NOT NULL DEFAULT '{}')""",
            "CREATE INDEX events_address ON events (address COLLATE NOCASE, id)",
            "CREATE INDEX events_subscriber_kind ON events (subscriber_id, kind, at)",
        ],
    ),
    (
        "schedules of sends",
        [
            # due_at and claimed_until are UTC ISO 8601. One open schedule (scheduled or
            # claimed) per issue; the rows stay as the history of what was scheduled.
            """CREATE TABLE schedules (
                id INTEGER PRIMARY KEY,
                issue INTEGER NOT NULL,
                due_at TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'claimed', 'sent', 'cancelled', 'failed')),
                claimed_until TEXT,
                note TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            "CREATE UNIQUE INDEX schedules_open ON schedules (issue)"
            " WHERE status IN ('scheduled', 'claimed')",
            "CREATE INDEX schedules_due ON schedules (status, due_at)",
        ],
    ),
    (
        "series follows; deliveries of series parts",
        [
            # Whole newsletter yes/no; a series-only follower has 0 and is still 'active'.
            "ALTER TABLE subscribers ADD COLUMN newsletter INTEGER NOT NULL DEFAULT 1",
            # progress: the highest part this follow delivered; 'ended': the series completed
            # and its last part was queued; 'left': the reader unfollowed.
            """CREATE TABLE follows (
                subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
                series TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'following'
                    CHECK (status IN ('following', 'ended', 'left')),
                catch_up INTEGER NOT NULL DEFAULT 0,
                progress INTEGER NOT NULL DEFAULT 0,
                last_part_at TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (subscriber_id, series))""",
            "CREATE INDEX follows_series ON follows (series, status, subscriber_id)",
            # Which series parts each sent issue carried: a part already received inside an
            # issue is never sent again as a part edition.
            """CREATE TABLE issue_parts (
                issue INTEGER NOT NULL,
                series TEXT NOT NULL,
                part INTEGER NOT NULL,
                PRIMARY KEY (issue, series, part))""",
            "CREATE INDEX issue_parts_part ON issue_parts (series, part, issue)",
            # A delivery names an issue or a series part (an edition under editions/series/):
            # one row per (edition, subscriber), so parts share the issues' exactly-once rows.
            # SQLite cannot relax NOT NULL in place: rebuild the table.
            """CREATE TABLE deliveries_new (
                id INTEGER PRIMARY KEY,
                issue INTEGER,
                series TEXT,
                part INTEGER,
                subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
                address TEXT NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_reply TEXT NOT NULL DEFAULT '',
                queued_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                sent_at TEXT,
                CHECK ((issue IS NULL) <> (series IS NULL AND part IS NULL)),
                CHECK ((series IS NULL) = (part IS NULL)),
                UNIQUE (issue, subscriber_id),
                UNIQUE (series, part, subscriber_id))""",
            "INSERT INTO deliveries_new (id, issue, subscriber_id, address, status, attempts,"
            " last_reply, queued_at, updated_at, sent_at) SELECT id, issue, subscriber_id,"
            " address, status, attempts, last_reply, queued_at, updated_at, sent_at"
            " FROM deliveries",
            "DROP TABLE deliveries",
            "ALTER TABLE deliveries_new RENAME TO deliveries",
            "CREATE INDEX deliveries_issue_status ON deliveries (issue, status, id)",
            "CREATE INDEX deliveries_part_status ON deliveries (series, part, status, id)",
            "CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, series)",
        ],
    ),
    (
        "leases and the service's outbox",
        [
            # A lease names one job that must run once per store at a time (`send-<N>`): it
            # lives in the store, so every path that reaches the file (a symlink, a hard
            # link) sees it. The host and pid let a dead holder on this host be replaced at
            # once; elsewhere the expiry, refreshed while the job runs, does.
            """CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                taken_at TEXT NOT NULL,
                expires_at REAL NOT NULL)""",
            # Mail the service promised (a confirmation, later a welcome): written before
            # the request is answered, sent by the outbox worker, kept until it is done.
            """CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                address TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'done', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                due_at REAL NOT NULL,
                last_reply TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL)""",
            "CREATE INDEX outbox_due ON outbox (status, due_at, id)",
        ],
    ),
    (
        "subscribe choices in the outbox",
        [
            # What the subscribe form asked for (a series, catch-up, the whole newsletter),
            # urlencoded; kept with the confirmation it leads to.
            "ALTER TABLE outbox ADD COLUMN choice TEXT NOT NULL DEFAULT ''",
        ],
    ),
]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalise_address(address: str) -> str:
    """Validate an address; return its ASCII form or raise InvalidAddress.

    Addresses needing SMTPUTF8 (non-ASCII before the @) are refused: many servers cannot
    deliver them, and ASCII keeps the case-insensitive uniqueness exact.
    """
    local = address.strip().rpartition("@")[0]
    if local and not local.isascii():
        raise InvalidAddress(
            f"{address.strip()!r}: non-ASCII characters before the @ need SMTPUTF8, which "
            "many mail servers do not offer: ask the reader for an ASCII address"
        )
    try:
        checked = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidAddress(f"{address.strip()!r} is not a valid address: {error}") from error
    return checked.ascii_email or checked.normalized


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    name: str
    status: str
    source: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Delivery:
    id: int
    issue: int
    subscriber_id: int | None
    address: str
    status: str
    attempts: int
    last_reply: str


@dataclass(frozen=True)
class Event:
    """One thing that happened to a subscriber; `evidence` is the decoded JSON object."""

    id: int
    subscriber_id: int | None
    address: str
    kind: str
    at: str
    source: str
    evidence: dict[str, Any]


def record_event(
    db: sqlite3.Connection,
    subscriber: Subscriber,
    kind: str,
    source: str = "",
    evidence: dict[str, Any] | None = None,
    at: str | None = None,
) -> None:
    """Record an event inside the caller's transaction (`with store.transaction() as db`).

    `evidence` must be JSON-serialisable (str() is used for anything else); `at` defaults
    to now (UTC, ISO 8601).
    """
    _insert_event(db, subscriber.id, subscriber.address, kind, at or utc_now(), source, evidence)


def _insert_event(
    db: sqlite3.Connection,
    subscriber_id: int | None,
    address: str,
    kind: str,
    at: str,
    source: str,
    evidence: dict[str, Any] | None,
) -> None:
    db.execute(
        "INSERT INTO events (subscriber_id, address, kind, at, source, evidence)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            subscriber_id,
            address,
            kind,
            at,
            source,
            json.dumps(evidence or {}, ensure_ascii=False, default=str),
        ),
    )


@dataclass(frozen=True)
class SendRecord:
    id: int
    issue: int
    kind: str
    started_at: str
    finished_at: str | None
    outcome: str
    sent: int
    failed: int
    note: str


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str
    host: str
    pid: int
    taken_at: str
    expires_at: float

    def vacant(self, now: float) -> bool:
        """Expired, or its process (on this host) is gone."""
        if self.expires_at <= now:
            return True
        return self.host == socket.gethostname() and not _process_alive(self.pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@dataclass(frozen=True)
class OutboxMail:
    """An email the service promised: `kind` names what to send (a confirmation...)."""

    id: int
    kind: str
    address: str
    name: str
    attempts: int
    choice: str = ""  # the subscribe form's series choice, urlencoded (follows.Choice)


_OUTBOX_COLUMNS = "id, kind, address, name, attempts, choice"
_LEASE_COLUMNS = "name, owner, host, pid, taken_at, expires_at"
_SUBSCRIBER_COLUMNS = "id, address, name, status, source, created_at, updated_at"
_DELIVERY_COLUMNS = "id, issue, subscriber_id, address, status, attempts, last_reply"


class Store:
    """One SQLite connection shared by the threads of a send, guarded by a lock.

    `create=False` (send, serve, every command that only reads or changes subscribers)
    refuses a missing or empty file: a mistyped MASTHEAD_DB must not become a new, empty
    list. `created` says whether this open made the file.
    """

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        self._lock = threading.RLock()
        self.created = False
        try:
            self.created = _prepare_file(self.path, create)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._configure()
            self.migrate()
        except sqlite3.Error as error:
            raise StoreError(f"subscriber store {self.path} cannot be opened: {error}") from error

    def _configure(self) -> None:
        # SQLite gives the -wal and -shm files the mode of the store file (0600 when we
        # created it).
        self._db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives a killed process (only power loss can drop the
        # last commits) and avoids an fsync per delivery row.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Read rows outside a transaction (for the modules that own a table: schedule)."""
        return self._query(sql, params)

    # -- migrations -------------------------------------------------------------------------

    def migrate(self) -> None:
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            # Off while migrating: a table rebuild drops the old table, and with foreign keys
            # on that drop would run ON DELETE actions on the rows pointing at it. (The pragma
            # is a no-op inside a transaction, so it is set around them.)
            self._db.execute("PRAGMA foreign_keys = OFF")
            try:
                for version, (name, statements) in enumerate(MIGRATIONS, start=1):
                    self._apply(version, name, statements)
            finally:
                self._db.execute("PRAGMA foreign_keys = ON")

    def _apply(self, version: int, name: str, statements: list[str]) -> None:
        with self.transaction() as db:
            done = db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,))
            if done.fetchone():
                return
            for statement in statements:
                db.execute(statement)
            broken = db.execute("PRAGMA foreign_key_check").fetchone()
            if broken:
                raise sqlite3.IntegrityError(f"migration {version} broke a reference: {broken}")
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, utc_now()),
            )
            logger.info("store %s: applied migration %d (%s)", self.path, version, name)

    def schema_version(self) -> int:
        return self._query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0]

    # -- subscribers ------------------------------------------------------------------------

    def add_subscriber(
        self,
        address: str,
        name: str = "",
        status: str = "active",
        source: str = "cli",
        kind: str = "added",
        newsletter: bool = True,
    ) -> Subscriber:
        """Add a subscriber and its first event (`kind`: added, or subscribed for a request).

        `newsletter=False`: a follower of series only, who gets no whole issues.
        """
        address = normalise_address(address)
        _check_status(status)
        now = utc_now()
        with self.transaction() as db:
            if self.lookup(db, address):
                raise DuplicateSubscriber(f"{address} is already on the list")
            added = Subscriber(0, address, name.strip(), status, source, now, now)
            self.insert_subscriber(db, added, kind)
            if not newsletter:
                db.execute(
                    "UPDATE subscribers SET newsletter = 0 WHERE address = ? COLLATE NOCASE",
                    (address,),
                )
        return self.require(address)

    def insert_subscriber(
        self, db: sqlite3.Connection, subscriber: Subscriber, kind: str = "imported"
    ) -> None:
        """Insert a full row and its event inside a caller's transaction (CSV import keeps
        timestamps)."""
        cursor = db.execute(
            "INSERT INTO subscribers (address, name, status, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                subscriber.address,
                subscriber.name,
                subscriber.status,
                subscriber.source,
                subscriber.created_at,
                subscriber.updated_at,
            ),
        )
        added = replace(subscriber, id=int(cursor.lastrowid or 0))
        record_event(db, added, kind, subscriber.source, {"status": subscriber.status})

    def get(self, address: str) -> Subscriber | None:
        with self._lock:
            return self.lookup(self._db, address.strip())

    def require(self, address: str) -> Subscriber:
        subscriber = self.get(address)
        if subscriber is None:
            raise UnknownSubscriber(f"{address.strip()} is not on the list")
        return subscriber

    @staticmethod
    def lookup(db: sqlite3.Connection, address: str) -> Subscriber | None:
        row = db.execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE address = ? COLLATE NOCASE",
            (address,),
        ).fetchone()
        return Subscriber(*row) if row else None

    def set_status(
        self,
        address: str,
        status: str,
        only_from: str | None = None,
        *,
        kind: str | None = None,
        source: str = "",
        evidence: dict[str, Any] | None = None,
    ) -> tuple[Subscriber, bool]:
        """Change a subscriber's status; return (subscriber, whether it changed).

        With `only_from`, only a subscriber in that status changes (checked in the same
        transaction as the change). A change is recorded as an event of `kind` (default:
        "unsubscribed" or "status") with `evidence` plus the old and new status.
        """
        _check_status(status)
        with self.transaction() as db:
            current = self.lookup(db, address.strip())
            if current is None:
                raise UnknownSubscriber(f"{address.strip()} is not on the list")
            if current.status == status or only_from not in (None, current.status):
                return current, False
            self.change_status(db, current, status, kind, source, evidence)
        return self.require(current.address), True

    @staticmethod
    def change_status(
        db: sqlite3.Connection,
        subscriber: Subscriber,
        status: str,
        kind: str | None = None,
        source: str = "",
        evidence: dict[str, Any] | None = None,
    ) -> None:
        """Set a status and record its event, inside the caller's transaction."""
        _check_status(status)
        db.execute(
            "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?",
            (status, utc_now(), subscriber.id),
        )
        kind = kind or ("unsubscribed" if status == "unsubscribed" else "status")
        facts = {"from": subscriber.status, "to": status, **(evidence or {})}
        record_event(db, subscriber, kind, source, facts)

    def events(self, address: str) -> list[Event]:
        """Everything recorded about an address, oldest first (also after a removal)."""
        rows = self._query(
            "SELECT id, subscriber_id, address, kind, at, source, evidence FROM events"
            " WHERE address = ? COLLATE NOCASE ORDER BY id",
            (address.strip(),),
        )
        return [Event(*row[:6], json.loads(row[6])) for row in rows]

    def remove_subscriber(self, address: str) -> Subscriber:
        with self.transaction() as db:
            current = self.lookup(db, address.strip())
            if current is None:
                raise UnknownSubscriber(f"{address.strip()} is not on the list")
            record_event(db, current, "removed", "cli", {"status": current.status})
            db.execute("DELETE FROM subscribers WHERE id = ?", (current.id,))
        return current

    def subscribers(self, status: str | None = None, page: int = PAGE_SIZE) -> Iterator[Subscriber]:
        """Stream subscribers in id order, one page in memory at a time."""
        if status is not None:
            _check_status(status)
        last = 0
        while True:
            rows = self._query(
                f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE id > ?"
                " AND (? IS NULL OR status = ?) ORDER BY id LIMIT ?",
                (last, status, status, page),
            )
            yield from (Subscriber(*row) for row in rows)
            if len(rows) < page:
                return
            last = rows[-1][0]

    def count(self, status: str | None = None) -> int:
        if status is not None:
            _check_status(status)
        sql = "SELECT COUNT(*) FROM subscribers WHERE (? IS NULL OR status = ?)"
        return self._query(sql, (status, status))[0][0]

    # -- sends and deliveries ---------------------------------------------------------------

    def begin_send(self, issue: int, kind: str, note: str = "") -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO sends (issue, kind, started_at, note) VALUES (?, ?, ?, ?)",
                (issue, kind, utc_now(), note),
            )
            return int(cursor.lastrowid or 0)

    def finish_send(self, send_id: int, outcome: str, sent: int, failed: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE sends SET finished_at = ?, outcome = ?, sent = ?, failed = ? WHERE id = ?",
                (utc_now(), outcome, sent, failed, send_id),
            )

    def sends(self, issue: int) -> list[SendRecord]:
        rows = self._query(
            "SELECT id, issue, kind, started_at, finished_at, outcome, sent, failed, note"
            " FROM sends WHERE issue = ? ORDER BY id",
            (issue,),
        )
        return [SendRecord(*row) for row in rows]

    def snapshot(self, issue: int) -> int:
        """Queue one delivery per active subscriber of the whole newsletter (not those who
        follow only a series), in one transaction; return how many."""
        now = utc_now()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO deliveries"
                " (issue, subscriber_id, address, status, queued_at, updated_at)"
                " SELECT ?, id, address, 'queued', ?, ? FROM subscribers"
                " WHERE status = 'active' AND newsletter = 1 ORDER BY id",
                (issue, now, now),
            )
            return cursor.rowcount

    def skip_inactive(self, issue: int) -> int:
        """Mark queued deliveries skipped when their subscriber left since the snapshot."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'skipped', updated_at = ?,"
                " last_reply = 'subscriber no longer active'"
                " WHERE issue = ? AND status = 'queued' AND (subscriber_id IS NULL OR"
                " subscriber_id NOT IN (SELECT id FROM subscribers WHERE status = 'active'))",
                (utc_now(), issue),
            )
            return cursor.rowcount

    def skip_if_inactive(self, delivery_id: int) -> bool:
        """Just before a message goes: skip its row if the subscriber left meanwhile.

        The rows were fetched a page ahead, so an unsubscribe since then would still get
        its copy. A read by primary keys; it writes only for a subscriber who left.
        """
        active = self._query(
            "SELECT 1 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.id = ? AND s.status = 'active'",
            (delivery_id,),
        )
        if active:
            return False
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'skipped', updated_at = ?,"
                " last_reply = 'subscriber no longer active' WHERE id = ? AND status = 'queued'",
                (utc_now(), delivery_id),
            )
        return cursor.rowcount == 1

    def requeue_failed(self, issue: int) -> int:
        """Failed deliveries of an issue become queued again, in one transaction."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'queued', updated_at = ?"
                " WHERE issue = ? AND status = 'failed'",
                (utc_now(), issue),
            )
            return cursor.rowcount

    def delivery_counts(self, issue: int) -> dict[str, int]:
        rows = self._query(
            "SELECT status, COUNT(*) FROM deliveries WHERE issue = ? GROUP BY status", (issue,)
        )
        counts = {"queued": 0, "sent": 0, "failed": 0, "skipped": 0}
        counts.update(dict(rows))
        return counts

    def queued(self, issue: int, page: int = PAGE_SIZE) -> Iterator[Delivery]:
        """Stream queued deliveries whose subscriber is still active, in id order."""
        last = 0
        while True:
            rows = self._query(
                f"SELECT {', '.join('d.' + c for c in _DELIVERY_COLUMNS.split(', '))}"
                " FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
                " WHERE d.issue = ? AND d.status = 'queued' AND s.status = 'active'"
                " AND d.id > ? ORDER BY d.id LIMIT ?",
                (issue, last, page),
            )
            yield from (Delivery(*row) for row in rows)
            if len(rows) < page:
                return
            last = rows[-1][0]

    def deliveries(self, issue: int) -> list[Delivery]:
        rows = self._query(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE issue = ? ORDER BY id", (issue,)
        )
        return [Delivery(*row) for row in rows]

    def record_delivery(
        self,
        delivery_id: int,
        status: str,
        reply: str,
        hard_bounce: dict[str, Any] | None = None,
    ) -> None:
        """The server answered: sent or failed, in its own transaction, right now, with the
        subscriber's `sent` or `failed` event. `hard_bounce` (its evidence) says the reply
        means the address is gone: the subscriber becomes `bounced` in the same transaction.
        """
        now = utc_now()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = ?, last_reply = ?, attempts = attempts + 1,"
                " updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                " WHERE id = ? AND status = 'queued'",
                (status, reply[:1000], now, status, now, delivery_id),
            )
            if cursor.rowcount == 1:
                self._delivery_event(db, delivery_id, status, reply, now)
                if hard_bounce is not None:
                    self._bounce_at_send(db, delivery_id, hard_bounce)

    def _bounce_at_send(
        self, db: sqlite3.Connection, delivery_id: int, evidence: dict[str, Any]
    ) -> None:
        row = db.execute(
            f"SELECT {', '.join('s.' + c for c in _SUBSCRIBER_COLUMNS.split(', '))}, d.issue"
            " FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()
        if row is None:
            return
        subscriber = Subscriber(*row[:-1])
        facts = {"issue": row[-1], **evidence}
        if subscriber.status in ("active", "pending"):
            self.change_status(db, subscriber, "bounced", "hard bounce", "send", facts)
        else:
            record_event(db, subscriber, "hard bounce", "send", facts)

    @staticmethod
    def lookup_id(db: sqlite3.Connection, subscriber_id: int) -> Subscriber | None:
        row = db.execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        return Subscriber(*row) if row else None

    @staticmethod
    def _delivery_event(
        db: sqlite3.Connection, delivery_id: int, status: str, reply: str, now: str
    ) -> None:
        row = db.execute(
            "SELECT issue, subscriber_id, address FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        _insert_event(
            db, row[1], row[2], status, now, "send", {"issue": row[0], "reply": reply[:300]}
        )

    # -- the service's outbox -------------------------------------------------------------

    def enqueue_mail(
        self, kind: str, address: str, name: str = "", delay: float = 0.0, choice: str = ""
    ) -> int:
        """Keep a promised email (one INSERT, whoever the address is); return its id."""
        now = utc_now()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbox (kind, address, name, due_at, created_at, updated_at,"
                " choice) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, address, name, time.time() + delay, now, now, choice),
            )
        return int(cursor.lastrowid or 0)

    def due_mail(self, limit: int = 20) -> list[OutboxMail]:
        rows = self._query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status = 'queued' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (time.time(), limit),
        )
        return [OutboxMail(*row) for row in rows]

    def next_mail_due(self) -> float | None:
        """When the next queued email falls due (a time.time() value), or None."""
        return self._query("SELECT MIN(due_at) FROM outbox WHERE status = 'queued'")[0][0]

    def finish_mail(self, mail_id: int, status: str, reply: str) -> None:
        """done or failed, with the server's reply; an attempt counted."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = ?, last_reply = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id = ?",
                (status, reply[:1000], utc_now(), mail_id),
            )

    def retry_mail(
        self, mail_id: int, reply: str, delay: float | None, counted: bool = True
    ) -> None:
        """Due again in `delay` seconds (None: keep its place); `counted`: the attempt counts
        towards giving up."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET last_reply = ?, attempts = attempts + ?,"
                " due_at = COALESCE(?, due_at), updated_at = ? WHERE id = ?",
                (
                    reply[:1000],
                    int(counted),
                    None if delay is None else time.time() + delay,
                    utc_now(),
                    mail_id,
                ),
            )

    def prune_mail(self, days: float = 30) -> int:
        """Forget emails done or given up more than `days` ago (their addresses too)."""
        cutoff = datetime.fromtimestamp(time.time() - days * 86400, UTC)
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM outbox WHERE status != 'queued' AND updated_at < ?",
                (cutoff.isoformat(timespec="seconds"),),
            )
        return cursor.rowcount

    def mail_counts(self) -> dict[str, int]:
        rows = self._query("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {"queued": 0, "done": 0, "failed": 0} | dict(rows)

    # -- leases ---------------------------------------------------------------------------

    def take_lease(self, name: str, owner: str, seconds: float) -> Lease | None:
        """Take lease `name` for `owner` for `seconds`; None if taken, else the holder.

        Taken when free, expired, already ours, or held by a process of this host that
        is gone (SIGKILL leaves the row behind, never the process).
        """
        now = time.time()
        with self.transaction() as db:
            row = db.execute(
                f"SELECT {_LEASE_COLUMNS} FROM leases WHERE name = ?", (name,)
            ).fetchone()
            holder = Lease(*row) if row else None
            if holder is not None and holder.owner != owner and not holder.vacant(now):
                return holder
            db.execute(
                "INSERT OR REPLACE INTO leases (name, owner, host, pid, taken_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, owner, socket.gethostname(), os.getpid(), utc_now(), now + seconds),
            )
        return None

    def renew_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Push the expiry on; False if the lease is no longer ours (it expired, was taken)."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
                (time.time() + seconds, name, owner),
            )
        return cursor.rowcount == 1

    def release_lease(self, name: str, owner: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    def record_attempt(self, delivery_id: int, reply: str) -> None:
        """A transient failure: the row stays queued, its reply and count are kept."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_reply = ?, updated_at = ?"
                " WHERE id = ?",
                (reply[:1000], utc_now(), delivery_id),
            )


def _prepare_file(path: Path, create: bool) -> bool:
    """Check the store file exists and is not empty, or create it 0600; True if created.

    A 0-byte file is never a store we wrote (the first open writes a header); with `create`
    it is taken as new, otherwise refused like a missing one.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    if info is not None and info.st_nlink > 1:
        # SQLite names the WAL and its lock after the path: under two names one store has
        # two WALs, so writers through each name cannot see (or exclude) each other.
        raise StoreError(
            f"subscriber store {path} has {info.st_nlink} hard links: SQLite cannot share a "
            "store under two names; remove the other link (a symlink is safe)"
        )
    size = info.st_size if info is not None else None
    if size:
        if info.st_mode & 0o077:  # made before stores were created 0600
            logger.warning(
                "subscriber store %s can be read by other users (mode %o): chmod 600 %s*",
                path,
                info.st_mode & 0o777,
                path,
            )
        return False
    if not create:
        state = "is empty (0 bytes)" if size == 0 else "does not exist"
        raise StoreMissing(
            f"subscriber store {path} {state}: check MASTHEAD_DB and NEWSLETTER['store'];"
            " `subscribers add` or `subscribers import` creates a new one"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Subscriber addresses are personal data: owner only, whatever the umask.
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return True


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise SubscriberError(f"status {status!r} is not one of {', '.join(STATUSES)}")
