"""The send report: what became of each issue, and of one issue's deliveries.

`overview` gives one IssueState per issue (built editions and anything the store knows of);
`send_report` gives the numbers of one issue's send. Both return data; `lines` turns a report
into text for `publish.py status`, and delivery/plot.py draws its deliveries over time.

Other kinds of numbers join the report without changing it: a function in REPORT_COUNTERS
takes (store, issue) and returns named counts (the deliverability work adds bounces and
complaints there); each becomes a line of `status N`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .schedule import Schedule, latest_schedule, shown_time
from .settings import SendSettings
from .store import SendRecord, Store

STATES = ("queued", "sent", "failed", "skipped")


@dataclass(frozen=True)
class FailureGroup:
    reason: str  # the server's reply, with the recipient's address taken out
    count: int
    example: str  # one address it happened to


@dataclass
class SendReport:
    issue: int
    counts: dict[str, int]
    started_at: datetime | None  # the first real run's start
    finished_at: datetime | None  # the last real run's end, once nothing is queued
    first_sent: datetime | None
    last_sent: datetime | None
    failures: list[FailureGroup]
    runs: list[SendRecord]
    schedule: Schedule | None
    extra: dict[str, int] = field(default_factory=dict)  # from REPORT_COUNTERS

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float:
        """Messages per second between the first and the last copy sent."""
        sent = self.counts["sent"]
        if not sent or self.first_sent is None or self.last_sent is None:
            return 0.0
        seconds = (self.last_sent - self.first_sent).total_seconds()
        return sent / max(seconds, 1.0)  # times are kept to the second


@dataclass(frozen=True)
class IssueState:
    issue: int
    date: str
    subject: str
    state: str  # draft | not sent | scheduled | sending | sent | failed (schedule)
    detail: str


ReportCounter = Callable[[Store, int], dict[str, int]]
REPORT_COUNTERS: list[ReportCounter] = []


def send_report(store: Store, number: int) -> SendReport:
    """Counts by state, start and end, sending times and failures grouped by reason."""
    counts = store.delivery_counts(number)
    runs = [run for run in store.sends(number) if run.kind == "real"]
    first, last = _sent_span(store, number)
    finished = runs[-1].finished_at if runs and not counts["queued"] else None
    report = SendReport(
        issue=number,
        counts=counts,
        started_at=_time(runs[0].started_at) if runs else None,
        finished_at=_time(finished),
        first_sent=first,
        last_sent=last,
        failures=_failures(store, number),
        runs=runs,
        schedule=latest_schedule(store, number),
    )
    for counter in REPORT_COUNTERS:
        report.extra.update(counter(store, number))
    return report


def delivery_times(store: Store, number: int) -> list[tuple[datetime, str]]:
    """(time, state) of every answered delivery, in time order: what the plot draws."""
    rows = store.query(
        "SELECT COALESCE(sent_at, updated_at), status FROM deliveries"
        " WHERE issue = ? AND status IN ('sent', 'failed') ORDER BY 1, id",
        (number,),
    )
    return [(datetime.fromisoformat(at), status) for at, status in rows]


def _sent_span(store: Store, number: int) -> tuple[datetime | None, datetime | None]:
    [(first, last)] = store.query(
        "SELECT MIN(sent_at), MAX(sent_at) FROM deliveries WHERE issue = ? AND status = 'sent'",
        (number,),
    )
    return _time(first), _time(last)


def _failures(store: Store, number: int) -> list[FailureGroup]:
    rows = store.query(
        "SELECT address, last_reply FROM deliveries WHERE issue = ? AND status = 'failed'"
        " ORDER BY id",
        (number,),
    )
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for address, reply in rows:
        reason = " ".join(reply.replace(address, "<address>").split()) or "(no reply)"
        counts[reason] += 1
        examples.setdefault(reason, address)
    return [FailureGroup(reason, n, examples[reason]) for reason, n in counts.most_common()]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# -- every issue ---------------------------------------------------------------------------


def overview(settings: SendSettings, store: Store) -> list[IssueState]:
    """One IssueState per issue: each built edition, and each issue the store has rows for."""
    built = _built_editions(settings)
    # Rows of series parts (issue NULL) are not issues.
    known = {
        row[0]
        for row in store.query("SELECT DISTINCT issue FROM deliveries WHERE issue IS NOT NULL")
    }
    known |= {row[0] for row in store.query("SELECT DISTINCT issue FROM schedules")}
    zone = settings.zone
    return [_state(store, n, built.get(n, {}), zone) for n in sorted(built.keys() | known)]


def _built_editions(settings: SendSettings) -> dict[int, dict]:
    found: dict[int, dict] = {}
    root = settings.output_path / "editions"
    for meta_path in root.glob("*/edition.json") if root.is_dir() else ():
        if not meta_path.parent.name.isdigit():
            continue  # the welcome edition and other non-issue editions
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {"status": "unreadable"}
        found[int(meta_path.parent.name)] = meta if isinstance(meta, dict) else {}
    return found


def _state(store: Store, number: int, meta: dict, zone: ZoneInfo) -> IssueState:
    date, subject = str(meta.get("date", "")), str(meta.get("subject", ""))
    counts = store.delivery_counts(number)
    schedule = latest_schedule(store, number)
    if sum(counts.values()):
        state = "sending" if counts["queued"] else "sent"
        return IssueState(number, date, subject, state, _counts(counts))
    if schedule is not None and schedule.status in ("scheduled", "claimed", "failed"):
        state = "failed" if schedule.status == "failed" else "scheduled"
        note = f": {schedule.note}" if schedule.status == "failed" else ""
        return IssueState(
            number, date, subject, state, f"for {shown_time(schedule.due_at, zone)}{note}"
        )
    if meta.get("status") == "draft":
        return IssueState(number, date, subject, "draft", "built with --drafts; never sent")
    if meta.get("status") == "unreadable":
        return IssueState(number, date, subject, "not sent", "edition.json cannot be read")
    return IssueState(number, date, subject, "not sent", "")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[state]} {state}" for state in STATES if counts[state])


# -- as text -------------------------------------------------------------------------------


def overview_line(item: IssueState) -> str:
    detail = f" ({item.detail})" if item.detail else ""
    subject = f"  {item.subject}" if item.subject else ""
    return f"{item.issue:>4}  {item.date or '-':10}  {item.state}{detail}{subject}"


def lines(report: SendReport, zone: ZoneInfo) -> list[str]:
    """`status N` as text: counts, times, rate, failures by reason, schedule, extra counts."""

    def when(moment: datetime | None) -> str:
        return shown_time(moment, zone) if moment else "-"

    out = [
        f"issue {report.issue}: {report.total} deliveries: "
        + ", ".join(f"{report.counts[s]} {s}" for s in STATES),
        f"  started  {when(report.started_at)}",
        f"  finished {when(report.finished_at)}"
        + ("" if report.finished_at or not report.counts["queued"] else "  (rows still queued)"),
        f"  rate     {report.rate:.1f} messages/s over {len(report.runs)} run(s)",
    ]
    if report.schedule is not None:
        s = report.schedule
        note = f": {s.note}" if s.note and s.status == "failed" else ""
        out.append(f"  schedule {when(s.due_at)} ({s.status}{note})")
    out += [f"  {name:8} {value}" for name, value in report.extra.items()]
    if report.failures:
        out.append("  failures by reason:")
        out += [f"    {g.count:>6}  {g.reason}  (e.g. {g.example})" for g in report.failures]
    return out
