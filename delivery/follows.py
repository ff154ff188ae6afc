"""What a subscriber gets: the whole newsletter and/or single series (issue 14).

A subscriber row says whether they get every issue (`newsletter`); a `follows` row per series
says whether they follow it, catch up on its earlier parts, and how far they are. The part
editions a follow receives are ordinary delivery rows (series, part, subscriber): the same
exactly-once machinery as issue sends, and the same UNIQUE key makes a second copy impossible.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from .edition import series_titles
from .errors import SubscriberError, UnknownSubscriber
from .settings import SendSettings
from .store import PAGE_SIZE, Delivery, Store, Subscriber, utc_now

FOLLOW_STATUSES = ("following", "ended", "left")
# Issue rows that mean "this reader has (or will have, on resume) the issue's parts".
_RECEIVED = "('queued', 'sent')"


@dataclass(frozen=True)
class Follow:
    series: str
    status: str
    catch_up: bool
    progress: int  # the highest part this follow delivered
    last_part_at: str | None

    @property
    def active(self) -> bool:
        return self.status == "following"


@dataclass(frozen=True)
class Preferences:
    address: str
    newsletter: bool
    follows: tuple[Follow, ...]

    def following(self) -> list[str]:
        return [f.series for f in self.follows if f.active]

    @property
    def nothing(self) -> bool:
        return not self.newsletter and not self.following()


@dataclass(frozen=True)
class Choice:
    """What a subscribe form (or `subscribers add`) asks for: the whole newsletter, and/or
    one series with or without catching up on its earlier parts."""

    series: str = ""
    catch_up: bool = False
    newsletter: bool = True  # every issue; False: that series only

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Choice:
        """Fields `series` (a slug), `catch_up=yes`, `newsletter=yes`; without `series`,
        the whole newsletter. Raises SubscriberError for a slug that cannot be one."""
        series = form.get("series", "").strip()
        if not series:
            return cls()
        yes = {name for name in ("catch_up", "newsletter") if form.get(name) == "yes"}
        return cls(check_slug(series), "catch_up" in yes, "newsletter" in yes)

    def encode(self) -> str:
        if not self.series:
            return ""
        yes = {True: "yes", False: "no"}
        fields = {"catch_up": yes[self.catch_up], "newsletter": yes[self.newsletter]}
        return urlencode({"series": self.series, **fields})

    @classmethod
    def decode(cls, text: str) -> Choice:
        """The stored or signed form of a choice (written by `encode`)."""
        fields = {name: values[0] for name, values in parse_qs(text).items()}
        return cls.from_form(fields) if text else cls()


def apply_choice(store: Store, address: str, choice: Choice, joining: bool) -> None:
    """Record a choice. `joining` (a new or returning subscriber): the newsletter flag is set
    as asked; otherwise it can only be switched on (a series form never stops issues)."""
    if joining or choice.newsletter:
        set_newsletter(store, address, choice.newsletter)
    if choice.series:
        follow(store, address, choice.series, catch_up=choice.catch_up)


def check_slug(series: str) -> str:
    """Series slugs come from forms and tokens: only the build's slug characters pass."""
    slug = series.strip()
    if not slug or len(slug) > 100 or not all(c.isalnum() or c in "-_" for c in slug):
        raise SubscriberError(f"{series!r} is not a series slug (letters, digits, - and _)")
    return slug


def _subscriber(db: sqlite3.Connection, address: str) -> Subscriber:
    current = Store.lookup(db, address.strip())
    if current is None:
        raise UnknownSubscriber(f"{address.strip()} is not on the list")
    return current


def preferences(store: Store, address: str) -> Preferences:
    subscriber = store.require(address)
    newsletter = store.query("SELECT newsletter FROM subscribers WHERE id = ?", (subscriber.id,))
    rows = store.query(
        "SELECT series, status, catch_up, progress, last_part_at FROM follows"
        " WHERE subscriber_id = ? ORDER BY series",
        (subscriber.id,),
    )
    follows = tuple(Follow(s, st, bool(c), p, at) for s, st, c, p, at in rows)
    return Preferences(subscriber.address, bool(newsletter[0][0]), follows)


def set_newsletter(store: Store, address: str, wanted: bool) -> None:
    """Every issue (True) or only the series followed (False)."""
    with store.transaction() as db:
        current = _subscriber(db, address)
        db.execute(
            "UPDATE subscribers SET newsletter = ?, updated_at = ? WHERE id = ?",
            (int(wanted), utc_now(), current.id),
        )


def follow(store: Store, address: str, series: str, catch_up: bool = False) -> None:
    """Follow a series (again). Progress is kept: parts already received never come back."""
    series = check_slug(series)
    now = utc_now()
    with store.transaction() as db:
        current = _subscriber(db, address)
        db.execute(
            "INSERT INTO follows (subscriber_id, series, catch_up, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (subscriber_id, series) DO UPDATE SET"
            " status = 'following', catch_up = excluded.catch_up, updated_at = excluded.updated_at"
            " WHERE status <> 'ended'",
            (current.id, series, int(catch_up), now, now),
        )


def leave(store: Store, address: str, series: str) -> bool:
    """Stop following a series; return whether anything changed. Queued parts are skipped."""
    with store.transaction() as db:
        current = _subscriber(db, address)
        cursor = db.execute(
            "UPDATE follows SET status = 'left', updated_at = ?"
            " WHERE subscriber_id = ? AND series = ? AND status = 'following'",
            (utc_now(), current.id, series),
        )
        db.execute(
            "UPDATE deliveries SET status = 'skipped', updated_at = ?,"
            " last_reply = 'reader left the series'"
            " WHERE subscriber_id = ? AND series = ? AND status = 'queued'",
            (utc_now(), current.id, series),
        )
        return cursor.rowcount == 1


# -- what a reader already has -------------------------------------------------------------


def record_issue_parts(store: Store, issue: int, parts: Iterable[tuple[str, int]]) -> None:
    """Note which series parts issue `issue` carries (before its deliveries are queued)."""
    with store.transaction() as db:
        db.executemany(
            "INSERT OR IGNORE INTO issue_parts (issue, series, part) VALUES (?, ?, ?)",
            [(issue, series, part) for series, part in parts],
        )


def parts_handled(store: Store, subscriber_id: int, series: str) -> set[int]:
    """Parts of `series` this subscriber has a row for (any state: a failed part is not
    retried by catch-up, which moves on), plus those inside issues sent or queued to them."""
    rows = store.query(
        # Without the hint SQLite picks the (series, part, subscriber_id) key and reads
        # every row of the series for each follower (bench/series_bench.py: quadratic).
        "SELECT part FROM deliveries INDEXED BY deliveries_subscriber"
        " WHERE subscriber_id = ? AND series = ?"
        # EXISTS by (issue, subscriber_id), the UNIQUE key: never a scan of an issue's rows.
        " UNION SELECT ip.part FROM issue_parts ip WHERE ip.series = ? AND EXISTS ("
        " SELECT 1 FROM deliveries d WHERE d.issue = ip.issue AND d.subscriber_id = ?"
        f" AND d.status IN {_RECEIVED})",
        (subscriber_id, series, series, subscriber_id),
    )
    return {row[0] for row in rows}


def queue_part(
    db: sqlite3.Connection,
    series: str,
    part: int,
    subscriber_id: int,
    ends: bool,
    now: str | None = None,
) -> bool:
    """Queue one part for one follower and advance the follow, in the caller's transaction.

    Returns False when the row exists already (never a part twice: the UNIQUE key holds).
    `ends`: this is the series' last part, so the follow ends with it. `now`: the clock of
    the run (catch-up pacing reads last_part_at).
    """
    now = now or utc_now()
    cursor = db.execute(
        "INSERT OR IGNORE INTO deliveries"
        " (series, part, subscriber_id, address, status, queued_at, updated_at)"
        " SELECT ?, ?, id, address, 'queued', ?, ? FROM subscribers WHERE id = ?",
        (series, part, now, now, subscriber_id),
    )
    if cursor.rowcount != 1:
        return False
    db.execute(
        "UPDATE follows SET progress = MAX(progress, ?), last_part_at = ?, updated_at = ?,"
        " status = CASE WHEN ? THEN 'ended' ELSE status END"
        " WHERE subscriber_id = ? AND series = ?",
        (part, now, now, int(ends), subscriber_id, series),
    )
    return True


def queued_parts(store: Store, series: str, part: int, page: int = PAGE_SIZE) -> Iterator[Delivery]:
    """Stream one part's queued deliveries to active subscribers still following, by id."""
    last = 0
    while True:
        rows = store.query(
            "SELECT d.id, d.issue, d.subscriber_id, d.address, d.status, d.attempts,"
            " d.last_reply FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            " JOIN follows f ON f.subscriber_id = d.subscriber_id AND f.series = d.series"
            " WHERE d.series = ? AND d.part = ? AND d.status = 'queued' AND s.status = 'active'"
            " AND f.status <> 'left' AND d.id > ? ORDER BY d.id LIMIT ?",
            (series, part, last, page),
        )
        yield from (Delivery(*row) for row in rows)
        if len(rows) < page:
            return
        last = rows[-1][0]


def part_deliveries(store: Store, series: str, part: int | None = None) -> list[Delivery]:
    """The rows of one series (or one part of it), for reports and tests."""
    rows = store.query(
        "SELECT id, issue, subscriber_id, address, status, attempts, last_reply FROM deliveries"
        " WHERE series = ? AND (? IS NULL OR part = ?) ORDER BY id",
        (series, part, part),
    )
    return [Delivery(*row) for row in rows]


def queue_live_parts(store: Store, issue: int, parts: Iterable[tuple[str, int, bool]]) -> int:
    """An issue carrying new parts is going out: queue each part for the followers of its
    series who get no whole issues and are caught up (or never asked to catch up), and
    advance the follows of whole-newsletter readers, who get the part inside the issue.

    `parts` are (slug, part, last). Idempotent: a resumed send calls it again. Returns the
    part deliveries queued.
    """
    queued, now = 0, utc_now()
    with store.transaction() as db:
        for series, part, last in parts:
            cursor = db.execute(
                "INSERT OR IGNORE INTO deliveries"
                " (series, part, subscriber_id, address, status, queued_at, updated_at)"
                " SELECT f.series, ?, s.id, s.address, 'queued', ?, ? FROM follows f"
                " JOIN subscribers s ON s.id = f.subscriber_id"
                " WHERE f.series = ? AND f.status = 'following' AND s.status = 'active'"
                " AND s.newsletter = 0 AND (f.catch_up = 0 OR f.progress >= ? - 1)"
                " AND NOT EXISTS (SELECT 1 FROM issue_parts ip JOIN deliveries d"
                " ON d.issue = ip.issue WHERE ip.series = f.series AND ip.part = ?"
                f" AND d.subscriber_id = s.id AND d.status IN {_RECEIVED})",
                (part, now, now, series, part, part),
            )
            queued += cursor.rowcount
            # last_part_at paces catch-up parts only: a live part does not delay the next.
            db.execute(
                "UPDATE follows SET progress = MAX(progress, ?),"
                " updated_at = ?, status = CASE WHEN ? THEN 'ended' ELSE status END"
                " WHERE series = ? AND status = 'following' AND subscriber_id IN ("
                " SELECT subscriber_id FROM deliveries WHERE series = ? AND part = ?"
                f" UNION SELECT subscriber_id FROM deliveries WHERE issue = ?"
                f" AND status IN {_RECEIVED})",
                (part, now, int(last), series, series, part, issue),
            )
    return queued


def parts_with_queued_rows(store: Store) -> list[tuple[str, int]]:
    return [
        (series, part)
        for series, part in store.query(
            "SELECT DISTINCT series, part FROM deliveries"
            " WHERE series IS NOT NULL AND status = 'queued' ORDER BY series, part"
        )
    ]


def count_readers(store: Store) -> int:
    """Active subscribers of the whole newsletter: the recipients of an issue."""
    sql = "SELECT COUNT(*) FROM subscribers WHERE status = 'active' AND newsletter = 1"
    return store.query(sql)[0][0]


def readers(store: Store, page: int = PAGE_SIZE) -> Iterator[tuple[int, str]]:
    """(id, address) of active whole-newsletter subscribers, by id, a page at a time."""
    last = 0
    while True:
        rows = store.query(
            "SELECT id, address FROM subscribers WHERE id > ? AND status = 'active'"
            " AND newsletter = 1 ORDER BY id LIMIT ?",
            (last, page),
        )
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1][0]


def add_follower(
    settings: SendSettings,
    store: Store,
    address: str,
    name: str,
    status: str,
    choice: Choice,
) -> tuple[Subscriber, bool]:
    """`subscribers add`: a new subscriber with its choice, or (with a series) an existing
    one who now follows it. Returns the subscriber and whether it was added."""
    if choice.series:
        _check_series_built(settings, choice.series)
    if choice.series and store.get(address) is not None:
        apply_choice(store, address, choice, joining=False)
        return store.require(address), False
    subscriber = store.add_subscriber(
        address, name, status, source="cli", newsletter=choice.newsletter
    )
    if choice.series:
        follow(store, subscriber.address, choice.series, catch_up=choice.catch_up)
    return subscriber, True


def _check_series_built(settings: SendSettings, slug: str) -> None:
    titles = series_titles(settings)
    if titles and check_slug(slug) not in titles:
        raise SubscriberError(
            f"no series {slug!r} among the built part editions (built: {', '.join(titles)}): "
            "check the slug (content/series/<slug>.md), or run `publish.py build`"
        )
