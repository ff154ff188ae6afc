"""A send killed with SIGKILL mid-run, then resumed: nobody lost, nobody sent twice beyond
the one message in flight per connection at the kill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]
CONNECTIONS = 2


def send_process(newsletter) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    command += ["send", "1", "--yes", "--connections", str(CONNECTIONS)]
    env = {**os.environ, **newsletter.env}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_killed_send_resumes_without_loss(newsletter, smtp_server):
    readers = [f"reader{i:03}@example.org" for i in range(300)]
    newsletter.build()
    newsletter.add(*readers)
    # 20 ms a message per connection: the run lasts over a second, so the kill lands mid-run
    # even on a slow, shared machine.
    smtp_server.delay = 0.02
    process = send_process(newsletter)
    deadline = time.monotonic() + 30
    while len(smtp_server.received) < 100 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()  # SIGKILL: no cleanup, no finally
    process.wait()
    received_at_kill = len(smtp_server.received)
    assert 100 <= received_at_kill < len(readers), "the kill must land mid-run"

    with newsletter.store() as store:
        counts = store.delivery_counts(1)
        assert counts["queued"] > 0
        assert store.sends(1)[-1].outcome == "running"  # killed: never finished

    resumed = send_process(newsletter)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert "issue 1 (real)" in out

    copies = {address: len(items) for address, items in smtp_server.by_recipient().items()}
    assert sorted(copies) == readers  # nobody lost
    extra = sum(count - 1 for count in copies.values())
    assert extra <= CONNECTIONS  # at most the message in flight on each connection
    with newsletter.store() as store:
        assert store.delivery_counts(1) == {"queued": 0, "sent": 300, "failed": 0, "skipped": 0}


def test_ctrl_c_stops_cleanly_and_resumes(newsletter, smtp_server):
    import signal

    readers = [f"reader{i:03}@example.org" for i in range(200)]
    newsletter.build()
    newsletter.add(*readers)
    smtp_server.delay = 0.005
    process = send_process(newsletter)
    deadline = time.monotonic() + 30
    while len(smtp_server.received) < 50 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with newsletter.store() as store:
        assert store.sends(1)[-1].outcome == "interrupted"
        assert store.delivery_counts(1)["queued"] > 0
    resumed = send_process(newsletter)
    resumed.communicate(timeout=60)
    copies = smtp_server.by_recipient()
    assert sorted(copies) == readers
    assert all(len(items) == 1 for items in copies.values())  # a clean stop sends nobody twice
