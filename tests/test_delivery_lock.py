"""One real send of an issue per store at a time: across a rebuild that replaces output/,
through any path that reaches the store, and after a send was killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]


def send_process(newsletter, *extra: str, env: dict | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    command += ["send", "1", "--yes", "--connections", "1", *extra]
    env = {**os.environ, **newsletter.env, **(env or {})}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def rebuild(newsletter) -> None:
    """What `publish.py build` does to a live output/: build anew, swap, delete the old."""
    output = newsletter.root / "output"
    output.rename(newsletter.root / "output.old")
    newsletter.build()
    shutil.rmtree(newsletter.root / "output.old")


def start_sending(newsletter, smtp_server, readers: list[str]) -> subprocess.Popen:
    """A send of issue 1 to `readers` in a subprocess, 20 ms a message, once it delivers."""
    newsletter.build()
    newsletter.add(*readers)
    smtp_server.delay = 0.02
    first = send_process(newsletter)
    deadline = time.monotonic() + 30
    while not smtp_server.received and time.monotonic() < deadline:
        time.sleep(0.005)
    assert smtp_server.received, "the first send must be delivering"
    return first


def test_a_second_send_is_refused_while_one_runs_across_a_rebuild(newsletter, smtp_server):
    readers = [f"reader{i:02}@example.org" for i in range(40)]
    first = start_sending(newsletter, smtp_server, readers)
    rebuild(newsletter)

    second = send_process(newsletter)
    out, err = second.communicate(timeout=30)
    assert second.returncode == 1, (out, err)
    assert err == "Error: another `send 1` is running: let it finish or stop it first\n"

    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    copies = {address: len(items) for address, items in smtp_server.by_recipient().items()}
    assert copies == dict.fromkeys(readers, 1)


@pytest.mark.parametrize("link", ["symlink", "relative path"])
def test_the_same_store_by_another_path_cannot_run_a_second_send(newsletter, smtp_server, link):
    readers = [f"reader{i:03}@example.org" for i in range(150)]  # 3 s: outlasts a start-up
    first = start_sending(newsletter, smtp_server, readers)
    store = newsletter.settings().store_path
    other = newsletter.root / "elsewhere" / "same.db"
    other.parent.mkdir()
    if link == "symlink":
        other.symlink_to(store)
    else:
        other = Path("elsewhere", "..", store.name)  # relative to the settings file

    second = send_process(newsletter, env={"MASTHEAD_DB": str(other)})
    out, err = second.communicate(timeout=30)
    assert (second.returncode, err) == (
        1,
        "Error: another `send 1` is running: let it finish or stop it first\n",
    ), out
    assert first.communicate(timeout=60)[0].startswith("issue 1 (real): 150 sent")
    copies = {address: len(items) for address, items in smtp_server.by_recipient().items()}
    assert copies == dict.fromkeys(readers, 1)


def test_a_hard_linked_store_is_refused_by_either_name(newsletter, smtp_server):
    # SQLite names the WAL after the path: under two names one store has two WALs, two
    # views of the data that cannot exclude each other. So neither name is opened.
    newsletter.build()
    newsletter.add("ada@example.org")
    store = newsletter.settings().store_path
    other = newsletter.root / "same.db"
    os.link(store, other)
    for path in (store, other):
        result = send_process(newsletter, env={"MASTHEAD_DB": str(path)})
        out, err = result.communicate(timeout=30)
        assert result.returncode == 1, (out, err)
        assert err == (
            f"Error: subscriber store {path} has 2 hard links: SQLite cannot share a store "
            "under two names; remove the other link (a symlink is safe)\n"
        )
    assert smtp_server.received == []


def test_a_killed_sends_lease_is_taken_over_and_the_send_resumes(newsletter, smtp_server):
    readers = [f"reader{i:02}@example.org" for i in range(30)]
    first = start_sending(newsletter, smtp_server, readers)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with newsletter.store() as store, store.transaction() as db:
        left = db.execute("SELECT pid FROM leases WHERE name = 'send-1'").fetchall()
    assert left == [(first.pid,)]  # SIGKILL left its lease behind
    smtp_server.delay = 0
    second = send_process(newsletter)  # at once: the holder's process is gone
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    copies = {address: len(items) for address, items in smtp_server.by_recipient().items()}
    assert set(copies) == set(readers)
    assert sum(copies.values()) - len(readers) <= 1  # at most the one message in flight


def test_a_lease_held_on_another_host_blocks_until_it_expires(newsletter):
    with newsletter.store() as store, store.transaction() as db:
        db.execute(
            "INSERT INTO leases (name, owner, host, pid, taken_at, expires_at)"
            " VALUES ('send-1', 'other', 'elsewhere.example', 1, '', ?)",
            (time.time() + 30,),
        )
    with newsletter.store() as store:
        holder = store.take_lease("send-1", "me", 60)
        assert holder is not None and holder.host == "elsewhere.example"
        with store.transaction() as db:
            db.execute("UPDATE leases SET expires_at = 0")
        assert store.take_lease("send-1", "me", 60) is None  # expired: ours now
        assert store.take_lease("send-1", "other", 60).owner == "me"


def test_a_send_whose_lease_is_taken_over_stops(newsletter, smtp_server, monkeypatch):
    import delivery.send
    from delivery.errors import SendRefused

    monkeypatch.setattr(delivery.send, "LEASE_SECONDS", 0.6)  # renewed every 0.1 s
    readers = [f"reader{i:02}@example.org" for i in range(40)]
    newsletter.build()
    newsletter.add(*readers)
    smtp_server.delay = 0.05

    def take_over(rcpt: str) -> None:
        if len(smtp_server.received) == 3:  # as if this send had been stopped past expiry
            with newsletter.store() as other, other.transaction() as db:
                db.execute("UPDATE leases SET owner = 'another send'")

    smtp_server.on_data = take_over
    with newsletter.store() as store, pytest.raises(SendRefused, match="took over"):
        delivery.send.send_edition(newsletter.settings(), 1, store, connections=1)
    with newsletter.store() as store:
        assert store.delivery_counts(1)["queued"] >= 30  # left for the other send
