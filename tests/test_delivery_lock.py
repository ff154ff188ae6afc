"""One real send of an issue at a time, even while a rebuild replaces output/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]


def send_process(newsletter, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    command += ["send", "1", "--yes", "--connections", "1", *extra]
    env = {**os.environ, **newsletter.env}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def rebuild(newsletter) -> None:
    """What `publish.py build` does to a live output/: build anew, swap, delete the old."""
    output = newsletter.root / "output"
    output.rename(newsletter.root / "output.old")
    newsletter.build()
    shutil.rmtree(newsletter.root / "output.old")


def test_a_second_send_is_refused_while_one_runs_across_a_rebuild(newsletter, smtp_server):
    readers = [f"reader{i:02}@example.org" for i in range(40)]
    newsletter.build()
    newsletter.add(*readers)
    smtp_server.delay = 0.02
    first = send_process(newsletter)
    deadline = time.monotonic() + 30
    while not smtp_server.received and time.monotonic() < deadline:
        time.sleep(0.005)
    assert smtp_server.received, "the first send must be delivering"
    rebuild(newsletter)

    second = send_process(newsletter)
    out, err = second.communicate(timeout=30)
    assert second.returncode == 1, (out, err)
    assert err == "Error: another `send 1` is running: let it finish or stop it first\n"

    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    copies = {address: len(items) for address, items in smtp_server.by_recipient().items()}
    assert copies == dict.fromkeys(readers, 1)
