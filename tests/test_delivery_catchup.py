"""Series follows at send time, against a real SMTP server (aiosmtpd), on a controlled clock:
catch-up paced by catch_up_days, live parts with their issue, never a part twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from series_fixtures import build_issue, set_pace, subjects

from delivery import follows
from delivery.schedule import send_due
from delivery.send import RetryPolicy, send_edition
from delivery.subscriptions import unsubscribe_with_token
from delivery.tokens import LEAVE_SERIES, verify_token

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=2, base_delay=0.01)
READER, FOLLOWER = "reader@example.org", "follower@example.org"


def due(newsletter, now: datetime = T0):
    with newsletter.store() as store:
        return send_due(newsletter.settings(), store, now, retry=FAST)


def send(newsletter, number: int):
    with newsletter.store() as store:
        return send_edition(newsletter.settings(), number, store, retry=FAST)


@pytest.fixture
def three_parts_out(newsletter):
    """Issues 1-3 carried anchor parts 1-3 and went to READER; issue 4 (part 4) is built."""
    newsletter.add(READER)
    for number in (1, 2, 3):
        build_issue(newsletter, number, [("anchor", number, False)])
        send(newsletter, number)
    build_issue(newsletter, 4, [("anchor", 4, False)])
    return newsletter


def follow(newsletter, address: str, catch_up: bool = True, newsletter_too: bool = False):
    with newsletter.store() as store:
        store.add_subscriber(address, newsletter=newsletter_too)
        follows.follow(store, address, "anchor", catch_up=catch_up)


def test_catch_up_at_pace_0_sends_one_part_per_run_then_the_live_part(three_parts_out, smtp_server):
    set_pace(three_parts_out, 0)
    follow(three_parts_out, FOLLOWER)
    for run in range(3):
        outcomes = due(three_parts_out)
        assert [o.state for o in outcomes] == ["sent"], outcomes
        assert subjects(smtp_server, FOLLOWER) == [f"anchor part {n}" for n in range(1, run + 2)]
    assert "0 catch-up parts queued" in str(due(three_parts_out)[0])  # caught up
    summary = send(three_parts_out, 4)
    assert "series parts: 1 sent" in str(summary)
    assert subjects(smtp_server, FOLLOWER)[-1] == "anchor part 4"
    assert subjects(smtp_server, READER)[-1].startswith("Test Line #4")
    due(three_parts_out)
    assert len(subjects(smtp_server, FOLLOWER)) == 4  # part 4 once
    assert not any("part" in s for s in subjects(smtp_server, READER))  # issues only


def test_catch_up_days_paces_the_parts(three_parts_out, smtp_server):
    set_pace(three_parts_out, 3)
    follow(three_parts_out, FOLLOWER)
    due(three_parts_out, T0)
    due(three_parts_out, T0 + timedelta(days=1))
    assert subjects(smtp_server, FOLLOWER) == ["anchor part 1"]
    due(three_parts_out, T0 + timedelta(days=3))
    assert subjects(smtp_server, FOLLOWER) == ["anchor part 1", "anchor part 2"]


def test_a_reader_of_every_issue_never_gets_a_part_twice(newsletter, smtp_server):
    """They joined after issue 1: catch-up owes them part 1 only; parts 2-4 came in issues."""
    set_pace(newsletter, 0)
    follow(newsletter, READER, newsletter_too=True)
    build_issue(newsletter, 1, [("anchor", 1, False)])
    newsletter.add("early@example.org")  # issue 1 went out before READER came
    with newsletter.store() as store:
        store.set_status(READER, "pending")
    send(newsletter, 1)
    with newsletter.store() as store:
        store.set_status(READER, "active")
    for number in (2, 3):
        build_issue(newsletter, number, [("anchor", number, False)])
        send(newsletter, number)
    for _ in range(4):
        due(newsletter)
    build_issue(newsletter, 4, [("anchor", 4, False)])
    send(newsletter, 4)
    due(newsletter)
    assert sorted(subjects(smtp_server, READER)) == [
        "Test Line #2: café and crumbs",
        "Test Line #3: café and crumbs",
        "Test Line #4: café and crumbs",
        "anchor part 1",
    ]


def test_a_part_whose_issue_is_not_sent_yet_is_not_caught_up(three_parts_out, smtp_server):
    set_pace(three_parts_out, 0)
    follow(three_parts_out, FOLLOWER)
    for _ in range(5):
        due(three_parts_out)
    assert subjects(smtp_server, FOLLOWER) == [f"anchor part {n}" for n in (1, 2, 3)]


def test_a_follower_without_catch_up_gets_live_parts_only(three_parts_out, smtp_server):
    follow(three_parts_out, FOLLOWER, catch_up=False)
    due(three_parts_out)
    assert subjects(smtp_server, FOLLOWER) == []
    send(three_parts_out, 4)
    assert subjects(smtp_server, FOLLOWER) == ["anchor part 4"]


def test_one_click_in_a_part_leaves_the_series_only(three_parts_out, smtp_server):
    set_pace(three_parts_out, 0)
    follow(three_parts_out, FOLLOWER)
    with three_parts_out.store() as store:
        follows.follow(store, FOLLOWER, "other", catch_up=False)
    due(three_parts_out)
    (copy,) = smtp_server.by_recipient()[FOLLOWER]
    url = copy.message["List-Unsubscribe"].strip("<>")
    assert "mailto:" not in copy.message["List-Unsubscribe"]
    token = url.split("token=", 1)[1]
    secret = three_parts_out.secret
    claims = verify_token(secret, token, LEAVE_SERIES)
    assert (claims.address, claims.scope) == (FOLLOWER, "anchor")
    with three_parts_out.store() as store:
        unsubscribe_with_token(store, secret, token)
        prefs = follows.preferences(store, FOLLOWER)
        assert store.require(FOLLOWER).status == "active"
    assert prefs.following() == ["other"]
    due(three_parts_out)
    send(three_parts_out, 4)
    assert len(smtp_server.by_recipient()[FOLLOWER]) == 1  # nothing more of anchor


def test_the_last_part_ends_the_follow(newsletter, smtp_server):
    set_pace(newsletter, 0)
    newsletter.add(READER)
    build_issue(newsletter, 1, [("anchor", 1, False)])
    send(newsletter, 1)
    follow(newsletter, FOLLOWER)
    due(newsletter)
    build_issue(newsletter, 2, [("anchor", 2, True)])
    send(newsletter, 2)
    assert subjects(smtp_server, FOLLOWER) == ["anchor part 1", "anchor part 2"]
    with newsletter.store() as store:
        (anchor,) = follows.preferences(store, FOLLOWER).follows
    assert (anchor.status, anchor.progress) == ("ended", 2)


def _send_due_process(newsletter) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    return subprocess.Popen(
        [*command, "send-due", "--connections", "1"],
        cwd=REPO,
        env={**os.environ, **newsletter.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_catch_up_run_killed_midway_resumes_with_no_part_lost_or_repeated(
    newsletter, smtp_server
):
    set_pace(newsletter, 0)
    newsletter.add(READER)
    build_issue(newsletter, 1, [("anchor", 1, False)])
    send(newsletter, 1)
    followers = [f"follower{i:03}@example.org" for i in range(120)]
    with newsletter.store() as store:
        for address in followers:
            store.add_subscriber(address, newsletter=False)
            follows.follow(store, address, "anchor", catch_up=True)
    smtp_server.delay = 0.02  # the run lasts seconds: the kill lands mid-run
    process = _send_due_process(newsletter)
    deadline = time.monotonic() + 30
    while len(smtp_server.received) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()  # SIGKILL: no cleanup
    process.wait()
    at_kill = len(smtp_server.received) - 1  # READER's issue came before
    assert 39 <= at_kill < len(followers), "the kill must land mid-run"
    with newsletter.store() as store:
        assert {d.status for d in follows.part_deliveries(store, "anchor", 1)} >= {"queued"}

    resumed = _send_due_process(newsletter)
    _out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    copies = {a: subjects(smtp_server, a) for a in followers}
    assert all(set(parts) == {"anchor part 1"} for parts in copies.values())  # none lost
    extra = sum(len(parts) - 1 for parts in copies.values())
    assert extra <= 1  # at most the message in flight on the one connection
    with newsletter.store() as store:
        rows = follows.part_deliveries(store, "anchor", 1)
    assert len(rows) == len(followers) and {d.status for d in rows} == {"sent"}


def test_subscribers_add_follows_a_series_from_the_command_line(newsletter):
    from click.testing import CliRunner

    from delivery.cli import cli

    build_issue(newsletter, 1, [("anchor", 1, False)])

    def run(*args: str):
        base = ["--settings", str(newsletter.settings_path)]
        return CliRunner().invoke(cli, [*base, "subscribers", "add", *args], env=newsletter.env)

    added = run(FOLLOWER, "--series", "anchor", "--catch-up", "--series-only")
    assert added.exit_code == 0
    assert added.output.endswith(f"added {FOLLOWER} (active) following anchor\n")
    newsletter.add(READER)
    updated = run(READER, "--series", "anchor")
    assert updated.output == f"updated {READER} (active) following anchor\n"
    with newsletter.store() as store:
        follower, reader = (follows.preferences(store, a) for a in (FOLLOWER, READER))
    assert (follower.newsletter, follower.following(), follower.follows[0].catch_up) == (
        False,
        ["anchor"],
        True,
    )
    assert (reader.newsletter, reader.following()) == (True, ["anchor"])
    unknown = run("x@example.org", "--series", "nope")
    assert unknown.exit_code == 2 and "no series 'nope' among the built" in unknown.output
    alone = run("y@example.org", "--catch-up")
    assert alone.exit_code == 2 and "need --series SLUG" in alone.output


def test_the_status_report_lists_issues_only_when_parts_were_sent(three_parts_out, smtp_server):
    from delivery.report import overview

    follow(three_parts_out, FOLLOWER, catch_up=False)
    send(three_parts_out, 4)  # issue 4 and, to the follower, part 4
    with three_parts_out.store() as store:
        states = overview(three_parts_out.settings(), store)
    assert [state.issue for state in states] == [1, 2, 3, 4]
