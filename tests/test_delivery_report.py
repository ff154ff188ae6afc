"""`publish.py status`: the send report of a real send through aiosmtpd, and its plot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from click.testing import CliRunner

from delivery.cli import cli
from delivery.report import overview, send_report
from delivery.schedule import schedule_send
from delivery.send import ErrorBudget, RetryPolicy, send_edition
from tests.conftest import ARTIFACTS

pytest_plugins = ["delivery_fixtures"]

READERS = [f"reader{i:02}@example.org" for i in range(20)]
UNKNOWN = ["nobody1@example.org", "nobody2@example.org", "nobody3@example.org"]
FULL = "full@example.org"


def sent_issue(newsletter, smtp_server) -> None:
    newsletter.build()
    newsletter.add(*READERS, *UNKNOWN, FULL)
    for address in UNKNOWN:
        smtp_server.rcpt_replies[address] = [
            f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        ]
    smtp_server.rcpt_replies[FULL] = ["552 5.2.2 Mailbox full"]
    smtp_server.delay = 0.05
    with newsletter.store() as store:
        send_edition(
            newsletter.settings(),
            1,
            store,
            retry=RetryPolicy(attempts=1),
            budget=ErrorBudget(limit=10),
            connections=1,
        )


def invoke(newsletter, *args: str):
    runner = CliRunner(env=newsletter.env)
    return runner.invoke(cli, ["--settings", str(newsletter.settings_path), *args])


def test_the_report_counts_states_and_groups_failures_by_reason(newsletter, smtp_server):
    sent_issue(newsletter, smtp_server)
    with newsletter.store() as store:
        report = send_report(store, 1)
    assert report.counts == {"queued": 0, "sent": 20, "failed": 4, "skipped": 0}
    assert report.started_at is not None and report.finished_at >= report.started_at
    assert report.first_sent <= report.last_sent
    assert report.rate > 0
    [unknown, full] = report.failures
    assert (unknown.count, full.count) == (3, 1)
    assert unknown.reason == ("550 5.1.1 <<address>>: Recipient address rejected: User unknown"), (
        "the address is taken out so one reason groups every recipient"
    )
    assert unknown.example == UNKNOWN[0]
    assert full.reason == "552 5.2.2 Mailbox full"


def test_status_lists_every_issue_with_its_state(newsletter, smtp_server):
    sent_issue(newsletter, smtp_server)
    newsletter.build(2)
    newsletter.build(3, status="draft")
    newsletter.build(4)
    now = datetime.now(UTC)
    with newsletter.store() as store:
        schedule_send(newsletter.settings(), store, 4, now + timedelta(days=2), now)
        states = {item.issue: item.state for item in overview(newsletter.settings(), store)}
    assert states == {1: "sent", 2: "not sent", 3: "draft", 4: "scheduled"}
    result = invoke(newsletter, "status")
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()
    assert len(rows) == 4
    assert rows[0].split()[:4] == ["1", "2026-11-24", "sent", "(20"]
    assert "4 failed" in rows[0]
    assert rows[3].split()[2:4] == ["scheduled", "(for"]


def test_status_n_prints_the_report_and_draws_the_plot(newsletter, smtp_server):
    sent_issue(newsletter, smtp_server)
    png = ARTIFACTS / "send-report-issue-1.png"
    png.unlink(missing_ok=True)
    result = invoke(newsletter, "status", "1", "--plot", str(png))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "issue 1: 24 deliveries: 0 queued, 20 sent, 4 failed, 0 skipped" in out
    assert "3  550 5.1.1 <<address>>: Recipient address rejected: User unknown" in out
    assert "1  552 5.2.2 Mailbox full  (e.g. full@example.org)" in out
    assert "messages/s over 1 run(s)" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    svg = newsletter.root / "plot.svg"
    assert invoke(newsletter, "status", "1", "--plot", str(svg)).exit_code == 0
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Test Line: issue 1", "sent", "failed", "time (UTC)"} <= texts


def test_a_plot_needs_png_or_svg_and_answered_deliveries(newsletter, smtp_server):
    newsletter.build()
    newsletter.store().close()  # status never creates a store
    bad = invoke(newsletter, "status", "1", "--plot", str(newsletter.root / "x.gif"))
    assert bad.exit_code == 2 and "name a .png or .svg file" in bad.output
    empty = invoke(newsletter, "status", "1", "--plot", str(newsletter.root / "x.png"))
    assert empty.exit_code == 2 and "nothing to plot" in empty.output
    assert not (newsletter.root / "x.png").exists()
