"""Series follows at send time: what queueing costs per follower (issue 14).

Measures, on a fresh store of N readers who follow one series (series only, catching up):
  - queue_catch_up: the next part for every due follower (one transaction each);
  - queue_live_parts: a new part for every caught-up follower (one INSERT ... SELECT);
against the baseline of an issue snapshot of the same N (store.snapshot: one INSERT for all).
Delivery itself is the issue send's worker pool (bench/send_bench.py measures it).

    .venv/bin/python bench/series_bench.py            # N = 1,000 and 10,000
    .venv/bin/python bench/series_bench.py 500        # another N
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery import follows
from delivery.catchup import queue_catch_up
from delivery.settings import load_settings
from delivery.store import Store, utc_now

SETTINGS = """NEWSLETTER = {"name": "Bench", "from": "Bench <b@example.org>",
"reply_to": "b@example.org", "list_id": "example.org", "service_url": "https://example.org/s",
"requests_address": "b@example.org", "store": "subscribers.db", "catch_up_days": 0}
"""


def newsletter(root: Path, readers: int) -> Store:
    (root / "pelicanconf.py").write_text(SETTINGS)
    for part in (1, 2, 3):  # three published parts, carried by issues 1-3
        folder = root / "output" / "editions" / "series" / "anchor" / str(part)
        folder.mkdir(parents=True)
        meta = {"format": 1, "number": part, "status": "published"}
        meta["series"] = {"slug": "anchor", "title": "ANCHOR", "part": part, "last": False}
        (folder / "edition.json").write_text(json.dumps(meta))
    store = Store(root / "subscribers.db", create=True)
    now = utc_now()
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO subscribers (address, status, created_at, updated_at, newsletter)"
            " VALUES (?, 'active', ?, ?, ?)",
            [(f"r{i}@example.org", now, now, int(i == 0)) for i in range(readers)],
        )
        db.execute(
            "INSERT INTO follows (subscriber_id, series, catch_up, created_at, updated_at)"
            " SELECT id, 'anchor', 1, ?, ? FROM subscribers WHERE newsletter = 0",
            (now, now),
        )
    return store


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(readers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = newsletter(root, readers)
        settings = load_settings(root / "pelicanconf.py", environ={"MASTHEAD_SECRET": "x" * 32})
        for issue in (1, 2, 3):  # the issues went out (to the one whole-newsletter reader)
            follows.record_issue_parts(store, issue, [("anchor", issue)])
            store.snapshot(issue)
        with store.transaction() as db:  # baseline: an issue to all N, the issue's own queueing
            db.execute("UPDATE subscribers SET newsletter = 1")
        baseline = timed(lambda: store.snapshot(9))
        with store.transaction() as db:
            db.execute("UPDATE subscribers SET newsletter = 0 WHERE id > 1")
        catch_up = timed(lambda: queue_catch_up(settings, store, datetime.now(UTC)))
        queued = store.query("SELECT COUNT(*) FROM deliveries WHERE series IS NOT NULL")[0][0]
        with store.transaction() as db:  # caught up: parts 1-3 handled
            db.execute("UPDATE deliveries SET status = 'sent' WHERE series IS NOT NULL")
            db.execute("UPDATE follows SET progress = 3")
        live = timed(lambda: follows.queue_live_parts(store, 4, [("anchor", 4, False)]))
        store.close()
    followers = readers - 1
    print(
        f"N={readers:>6}: snapshot (baseline) {baseline * 1e3:7.1f} ms | catch-up queue "
        f"{catch_up * 1e3:8.1f} ms for {queued} parts ({catch_up / followers * 1e6:6.1f} µs "
        f"each, {catch_up / baseline:5.1f}x baseline) | live part {live * 1e3:7.1f} ms "
        f"({live / baseline:4.1f}x baseline)"
    )


if __name__ == "__main__":
    for size in [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000]:
        measure(size)
