"""Scheduled sends against a real SMTP server (aiosmtpd), on a clock the tests control."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from delivery.errors import EditionDraft, SendRefused
from delivery.schedule import (
    DueContext,
    DueOutcome,
    ScheduleError,
    cancel_schedule,
    parse_when,
    schedule_send,
    schedules,
    send_due,
)
from delivery.send import RetryPolicy

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=2, base_delay=0.01)
READERS = [f"reader{i:02}@example.org" for i in range(12)]


@pytest.fixture
def scheduled(newsletter):
    newsletter.build()
    newsletter.add(*READERS)
    newsletter.add("gone@example.org", status="unsubscribed")
    with newsletter.store() as store:
        schedule_send(newsletter.settings(), store, 1, AT, T0)
    return newsletter


def due(newsletter, now: datetime, **options) -> list[DueOutcome]:
    with newsletter.store() as store:
        return send_due(newsletter.settings(), store, now, retry=FAST, **options)


def copies(smtp_server) -> dict[str, int]:
    return {address: len(items) for address, items in smtp_server.by_recipient().items()}


def test_nothing_is_sent_before_the_time(scheduled, smtp_server):
    assert due(scheduled, AT - timedelta(seconds=1)) == []
    assert smtp_server.received == []


def test_after_the_time_every_active_subscriber_gets_one_copy(scheduled, smtp_server):
    [outcome] = due(scheduled, AT + timedelta(minutes=3))
    assert outcome.state == "sent", outcome
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)
    assert due(scheduled, AT + timedelta(minutes=8)) == []  # the next timer tick: nothing
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)
    with scheduled.store() as store:
        [done] = schedules(store, everything=True)
    assert done.status == "sent"


def test_too_late_is_refused_without_force_and_sent_with_it(scheduled, smtp_server):
    [outcome] = due(scheduled, AT + timedelta(hours=7))
    assert outcome.state == "refused"
    assert "7.0 h late, more than max_lateness (6.0 h)" in outcome.message
    assert smtp_server.received == []
    with scheduled.store() as store:
        assert [s.status for s in schedules(store)] == ["scheduled"]  # kept for --force
    [forced] = due(scheduled, AT + timedelta(hours=7), force=True)
    assert forced.state == "sent"
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)


def test_max_lateness_is_a_setting(scheduled, smtp_server):
    settings = scheduled.settings_path
    settings.write_text(settings.read_text() + 'NEWSLETTER["max_lateness"] = 0.5\n')
    [outcome] = due(scheduled, AT + timedelta(hours=1))
    assert outcome.state == "refused" and "(0.5 h)" in outcome.message


def test_a_claimed_schedule_is_not_taken_by_a_second_run(scheduled, smtp_server):
    with scheduled.store() as store:
        context = DueContext(scheduled.settings(), store, AT, {})
        [work] = list(_sources(context))
        assert work.claim(context)
        assert not work.claim(context)  # the overlapping run loses the claim
        assert send_due(scheduled.settings(), store, AT + timedelta(minutes=1)) == []
    assert smtp_server.received == []


def test_a_claim_left_by_a_dead_run_is_resumed_after_its_lease(scheduled, smtp_server):
    with scheduled.store() as store:
        context = DueContext(scheduled.settings(), store, AT, {})
        [work] = list(_sources(context))
        assert work.claim(context)  # ... and the process dies here
    assert due(scheduled, AT + timedelta(minutes=5)) == []  # lease still running
    [outcome] = due(scheduled, AT + timedelta(minutes=11))
    assert outcome.state == "sent"
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)


def test_a_claim_left_by_a_dead_run_is_resumed_even_past_max_lateness(scheduled, smtp_server):
    with scheduled.store() as store:
        context = DueContext(scheduled.settings(), store, AT, {})
        [work] = list(_sources(context))
        assert work.claim(context)  # ... and the process is killed; nobody looks for 7 hours
    [outcome] = due(scheduled, AT + timedelta(hours=7))
    assert outcome.state == "sent", outcome
    assert outcome.message.startswith("resumed the send a stopped run left, 7.0 h after")
    assert "max_lateness, 6.0 h, applies to a first send only" in outcome.message
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)
    assert due(scheduled, AT + timedelta(hours=8)) == []


def test_an_unreachable_server_leaves_the_schedule_for_the_next_run(scheduled, smtp_server):
    settings = scheduled.settings_path
    settings.write_text(settings.read_text() + 'NEWSLETTER["smtp"]["timeout"] = 2\n')
    env_port = scheduled.smtp_port
    scheduled.smtp_port = _closed_port()
    [outcome] = due(scheduled, AT + timedelta(minutes=1))
    assert outcome.state == "retry", outcome
    scheduled.smtp_port = env_port
    [outcome] = due(scheduled, AT + timedelta(minutes=6))
    assert outcome.state == "sent"
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)


def test_two_overlapping_send_due_processes_send_one_copy_each(newsletter, smtp_server):
    newsletter.build()
    newsletter.add(*READERS)
    now = datetime.now(UTC)
    with newsletter.store() as store:
        schedule_send(newsletter.settings(), store, 1, now + timedelta(seconds=1), now)
    time.sleep(1.5)
    smtp_server.delay = 0.02
    runs = [_send_due_process(newsletter) for _ in range(2)]
    results = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert copies(smtp_server) == dict.fromkeys(READERS, 1)
    said = "".join(out + err for out, err in results)
    assert said.count("12 sent") == 1, said


def test_schedule_checks_what_a_send_checks(newsletter):
    newsletter.build(1, status="draft")
    newsletter.add(*READERS)
    with newsletter.store() as store:
        with pytest.raises(EditionDraft):
            schedule_send(newsletter.settings(), store, 1, AT, T0)
        newsletter.build(2)
        with pytest.raises(ScheduleError, match="not in the future"):
            schedule_send(newsletter.settings(), store, 2, T0 - timedelta(minutes=1), T0)
        schedule_send(newsletter.settings(), store, 2, AT, T0)
        with pytest.raises(ScheduleError, match="already scheduled for 2026-11-24 12:00 UTC"):
            schedule_send(newsletter.settings(), store, 2, AT + timedelta(hours=1), T0)


def test_an_issue_already_sent_cannot_be_scheduled(scheduled, smtp_server):
    due(scheduled, AT)
    with scheduled.store() as store, pytest.raises(SendRefused, match="already sent"):
        schedule_send(scheduled.settings(), store, 1, AT + timedelta(days=1), AT)


def test_cancel_drops_the_schedule(scheduled, smtp_server):
    with scheduled.store() as store:
        cancelled = cancel_schedule(store, 1, T0)
        assert cancelled.status == "cancelled"
        assert schedules(store) == []
        with pytest.raises(ScheduleError, match="not scheduled"):
            cancel_schedule(store, 1, T0)
    assert due(scheduled, AT + timedelta(minutes=1)) == []
    assert smtp_server.received == []


def test_times_are_read_in_the_newsletters_zone():
    zone = ZoneInfo("America/New_York")
    assert parse_when("2026-11-24 07:00", zone) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_when("2026-11-24T07:00+01:00", zone) == datetime(2026, 11, 24, 6, tzinfo=UTC)
    with pytest.raises(ScheduleError, match="does not exist"):
        parse_when("2026-03-08 02:30", zone)
    with pytest.raises(ScheduleError, match="happens twice"):
        parse_when("2026-11-01 01:30", zone)
    with pytest.raises(ScheduleError, match="not a time"):
        parse_when("next tuesday", zone)


def test_the_cli_schedules_lists_and_cancels(newsletter):
    from click.testing import CliRunner

    from delivery.cli import cli

    newsletter.build()
    newsletter.add(*READERS)
    runner = CliRunner(env=newsletter.env)
    base = ["--settings", str(newsletter.settings_path)]
    result = runner.invoke(cli, [*base, "send", "1", "--at", "2999-01-05 07:00"])
    assert result.exit_code == 0, result.output
    assert result.output == "scheduled issue 1 at 2999-01-05 07:00 UTC; `send-due` sends it then\n"
    listed = runner.invoke(cli, [*base, "schedule"])
    assert listed.output == "1\t2999-01-05 07:00 UTC\tscheduled\n"
    nothing = runner.invoke(cli, [*base, "send-due"])
    assert (nothing.exit_code, nothing.output) == (0, "nothing due\n")
    cancelled = runner.invoke(cli, [*base, "send", "1", "--cancel"])
    assert cancelled.output == "cancelled issue 1 at 2999-01-05 07:00 UTC\n"
    past = runner.invoke(cli, [*base, "send", "1", "--at", "2001-01-05 07:00"])
    assert past.exit_code == 2 and "is not in the future" in past.output


def _sources(context):
    from delivery.schedule import scheduled_issues

    return scheduled_issues(context)


def _send_due_process(newsletter) -> subprocess.Popen:
    command = [sys.executable, "-m", "delivery", "--settings", str(newsletter.settings_path)]
    env = {**os.environ, **newsletter.env}
    return subprocess.Popen(
        [*command, "send-due", "--connections", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _closed_port() -> int:
    from delivery_fixtures import free_port

    return free_port()
