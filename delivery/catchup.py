"""Series catch-up: `send-due` sends each catching-up follower their next part (issue 14).

A follower who asked to catch up receives the parts already out, from part 1, one at a time:
the next once `catch_up_days` have passed since the last (0: one on every run), then the live
parts as their issues go out (send.py). A part is out once its issue was sent from this
store, or when its issue is older than the newest issue sent (an archive from before the
store): an issue built but not yet sent never leaks through catch-up.

Never a part twice: a part already received (as a part, or inside an issue) is skipped, and
each part a follower gets is one delivery row, delivered like an issue's rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import follows
from .errors import DeliveryError, ErrorBudgetExceeded, SendLocked, TransportError
from .schedule import DueContext, DueOutcome, DueWork
from .send import deliver_parts
from .settings import SendSettings
from .store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedPart:
    slug: str
    part: int
    issue: int
    last: bool


def published_parts(settings: SendSettings, slug: str) -> list[PublishedPart]:
    """The built, published part editions of a series, in part order (edition.json only;
    the send checks each edition whole before it sends one)."""
    folder = settings.output_path / "editions" / "series" / slug
    parts = []
    for path in folder.glob("*/edition.json") if folder.is_dir() else []:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            series = meta["series"]
            if meta.get("status") == "published":
                parts.append(PublishedPart(slug, series["part"], meta["number"], series["last"]))
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("%s cannot be read (%s): run publish.py build", path, error)
    return sorted(parts, key=lambda p: p.part)


def parts_out(store: Store, parts: list[PublishedPart]) -> list[PublishedPart]:
    sent = {row[0] for row in store.query("SELECT DISTINCT issue FROM deliveries")} - {None}
    newest = max(sent, default=0)
    return [p for p in parts if p.issue in sent or p.issue < newest]


def queue_catch_up(settings: SendSettings, store: Store, now: datetime) -> int:
    """Queue the next part for every catching-up follower whose pace allows; return how many."""
    stamp = _iso(now)
    due_before = _iso(now - timedelta(days=settings.catch_up_days))
    queued = 0
    for (slug,) in store.query(
        "SELECT DISTINCT series FROM follows WHERE status = 'following' AND catch_up = 1"
    ):
        parts = parts_out(store, published_parts(settings, slug))
        if not parts:
            continue
        # One transaction per series, not per follower: a killed run queues all or none.
        with store.transaction() as db:
            for subscriber_id in _due_followers(store, slug, due_before):
                queued += _queue_next(db, store, slug, parts, subscriber_id, stamp)
    return queued


def _due_followers(store: Store, slug: str, due_before: str) -> list[int]:
    rows = store.query(
        "SELECT f.subscriber_id FROM follows f JOIN subscribers s ON s.id = f.subscriber_id"
        " WHERE f.series = ? AND f.status = 'following' AND f.catch_up = 1"
        " AND s.status = 'active' AND (f.last_part_at IS NULL OR f.last_part_at <= ?)"
        " ORDER BY f.subscriber_id",
        (slug, due_before),
    )
    return [row[0] for row in rows]


def _queue_next(
    db: Any,
    store: Store,
    slug: str,
    parts: list[PublishedPart],
    subscriber_id: int,
    stamp: str,
) -> int:
    """In the caller's transaction (so the checks and the INSERT see the same rows)."""
    # One part at a time: a part still queued (a killed run) goes before the next.
    waiting = db.execute(
        "SELECT 1 FROM deliveries WHERE subscriber_id = ? AND series = ? AND status = 'queued'",
        (subscriber_id, slug),
    ).fetchone()
    if waiting:
        return 0
    handled = follows.parts_handled(store, subscriber_id, slug)
    following = [p for p in parts if p.part not in handled]
    if not following:
        if any(p.last for p in parts):  # every part received, the series complete
            _end(db, subscriber_id, slug, stamp)
        return 0
    nxt = following[0]
    return int(follows.queue_part(db, slug, nxt.part, subscriber_id, nxt.last, stamp))


def _end(db: Any, subscriber_id: int, slug: str, stamp: str) -> None:
    db.execute(
        "UPDATE follows SET status = 'ended', updated_at = ?"
        " WHERE subscriber_id = ? AND series = ? AND status = 'following'",
        (stamp, subscriber_id, slug),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class SeriesCatchUp:
    """send-due's series work: queue the catch-up parts now due, then deliver every queued
    part row (those of a killed run too). Never late: it is due on every run."""

    label = "series catch-up"

    def __init__(self, now: datetime):
        self.due_at = now

    def claim(self, context: DueContext) -> bool:
        return True  # deliver_parts' lock keeps two runs from sending the same rows

    def run(self, context: DueContext) -> DueOutcome:
        settings, store = context.settings, context.store
        try:
            queued = queue_catch_up(settings, store, context.now)
            summary = deliver_parts(settings, store, **context.send_options)
        except SendLocked:
            return DueOutcome(self.label, "busy", "another run is sending series parts")
        except TransportError as error:
            return DueOutcome(self.label, "retry", f"{error}; the next run tries again")
        except (ErrorBudgetExceeded, DeliveryError) as error:
            return DueOutcome(self.label, "failed", str(error))
        state = "failed" if summary.problems else "sent"
        return DueOutcome(self.label, state, f"{queued} catch-up parts queued; {summary}")


def catch_up_work(context: DueContext) -> list[DueWork]:
    """The series work, when anyone follows a series or part rows wait in the queue."""
    busy = context.store.query(
        "SELECT 1 FROM follows WHERE status = 'following' UNION ALL"
        " SELECT 1 FROM deliveries WHERE series IS NOT NULL AND status = 'queued' LIMIT 1"
    )
    return [SeriesCatchUp(context.now)] if busy else []
