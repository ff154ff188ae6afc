"""Scheduled sends: `send N --at WHEN` records a Schedule; `send-due` does the due work.

Times are read and shown in the newsletter's TIMEZONE and stored in UTC. Every function takes
`now` (an aware datetime) so tests run on a clock they control.

Exactly once, even when two `send-due` runs overlap: a run claims a schedule row in one
transaction (scheduled -> claimed, with a lease it renews while it sends), so only one run
sends it; the send itself is still under `send_lock` and its delivery rows, so a run that
dies mid-send is resumed by a later one, with no copy lost or repeated. A schedule more than
`max_lateness` late is refused unless forced: a store restored from a snapshot, or a timer
that did not run for a day, must not mail readers hours after the promised time. That is for
a first send only: a claim a dead run left is resumed however late (some readers already have
the issue; refusing would leave the rest without it forever), and the outcome says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .edition import load_edition
from .errors import DeliveryError, SendLocked, SendRefused, TransportError, UsageError
from .send import Progress, send_edition
from .settings import SendSettings
from .store import Store

logger = logging.getLogger(__name__)

# A claim lasts this long unless the run renews it (it does while it sends): a run killed
# mid-send leaves a claim that the next run takes over after at most this long.
LEASE = timedelta(minutes=10)
RENEW_EVERY = 60.0  # seconds between lease renewals during a send


class ScheduleError(UsageError):
    """A schedule cannot be made, changed or found as asked."""


@dataclass(frozen=True)
class Schedule:
    id: int
    issue: int
    due_at: datetime
    status: str
    note: str
    claimed_until: datetime | None = None

    def shown(self, zone: ZoneInfo) -> str:
        return f"issue {self.issue} at {shown_time(self.due_at, zone)}"


_COLUMNS = "id, issue, due_at, status, note, claimed_until"


def _schedule(row: tuple) -> Schedule:
    ident, issue, due_at, status, note, claimed_until = row
    until = datetime.fromisoformat(claimed_until) if claimed_until else None
    return Schedule(ident, issue, datetime.fromisoformat(due_at), status, note, until)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def shown_time(moment: datetime, zone: ZoneInfo) -> str:
    """`2026-11-24 07:00 EST`: the newsletter's own clock, as the editor wrote it."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def parse_when(text: str, zone: ZoneInfo) -> datetime:
    """ "YYYY-MM-DD HH:MM" in the newsletter's zone, or ISO 8601 with an offset; as UTC.

    A local time that the clock skips (spring forward) or shows twice (fall back) is
    refused: the editor gives an offset instead of us guessing which hour was meant.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(
            f"--at {text!r} is not a time: use 'YYYY-MM-DD HH:MM' (in {zone.key}) "
            "or ISO 8601 with an offset, e.g. 2026-11-24T07:00-05:00"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    local = parsed.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise ScheduleError(
            f"--at {text!r} does not exist in {zone.key} (the clocks go forward): pick another time"
        )
    earlier, later = local.replace(fold=0), local.replace(fold=1)
    if earlier.utcoffset() != later.utcoffset():
        raise ScheduleError(
            f"--at {text!r} happens twice in {zone.key} (the clocks go back): give an offset, "
            f"e.g. {earlier.isoformat(timespec='minutes')}"
        )
    return local.astimezone(UTC)


# -- making, cancelling and listing schedules ----------------------------------------------


def schedule_send(
    settings: SendSettings, store: Store, number: int, at: datetime, now: datetime
) -> Schedule:
    """Record that issue `number` goes out at `at`, after the checks a send makes now.

    The edition must be built, published and fresh, the secret set, the issue not already
    sent, and `at` in the future; the same checks run again when the time comes.
    """
    zone = settings.zone
    if at <= now:
        raise ScheduleError(
            f"{shown_time(at, zone)} is not in the future (now {shown_time(now, zone)}): "
            f"pick a later time, or run `send {number}` to send now"
        )
    load_edition(settings, number)
    settings.require_secret()
    counts = store.delivery_counts(number)
    if sum(counts.values()) and not counts["queued"]:
        raise SendRefused(f"issue {number} was already sent ({counts['sent']} sent)")
    with store.transaction() as db:
        current = _open(db, number)
        if current is not None:
            raise ScheduleError(
                f"issue {number} is already scheduled for {shown_time(current.due_at, zone)}: "
                f"`send {number} --cancel` first to change the time"
            )
        stamp = _iso(now)
        db.execute(
            "INSERT INTO schedules (issue, due_at, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (number, _iso(at), stamp, stamp),
        )
        return _open(db, number)  # type: ignore[return-value]


def cancel_schedule(store: Store, number: int, now: datetime) -> Schedule:
    """Cancel issue `number`'s schedule; refused once a run has started sending it."""
    with store.transaction() as db:
        current = _open(db, number)
        if current is None:
            raise ScheduleError(f"issue {number} is not scheduled (see `publish.py schedule`)")
        if current.status == "claimed":
            raise ScheduleError(
                f"issue {number} is being sent by `send-due` right now: stop that run to stop it"
            )
        db.execute(
            "UPDATE schedules SET status = 'cancelled', updated_at = ? WHERE id = ?",
            (_iso(now), current.id),
        )
    return Schedule(current.id, number, current.due_at, "cancelled", current.note)


def schedules(store: Store, everything: bool = False) -> list[Schedule]:
    """Open schedules by due time; with `everything`, also those sent, cancelled or failed."""
    where = "" if everything else "WHERE status IN ('scheduled', 'claimed')"
    rows = store.query(f"SELECT {_COLUMNS} FROM schedules {where} ORDER BY due_at, id")
    return [_schedule(row) for row in rows]


def latest_schedule(store: Store, number: int) -> Schedule | None:
    """The most recent schedule of an issue, whatever became of it (for `status`)."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM schedules WHERE issue = ? ORDER BY id DESC LIMIT 1", (number,)
    )
    return _schedule(rows[0]) if rows else None


def _open(db: Any, number: int) -> Schedule | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM schedules WHERE issue = ? AND status IN ('scheduled', 'claimed')",
        (number,),
    ).fetchone()
    return _schedule(row) if row else None


# -- due work ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueOutcome:
    """What send-due did with one piece of due work. `ok` False makes the run exit 1."""

    label: str
    state: str  # sent | refused | failed | busy | retry
    message: str

    @property
    def ok(self) -> bool:
        return self.state in ("sent", "busy", "retry")

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


@dataclass
class DueContext:
    """What every piece of due work gets: the settings, the store, the clock, send options."""

    settings: SendSettings
    store: Store
    now: datetime
    send_options: dict[str, Any]


class DueWork(Protocol):
    """One piece of work whose time has come (a scheduled issue; i14: a series catch-up).

    send-due checks lateness against `due_at` (unless the work has a true `resuming`: a
    send a dead run started), then `claim`s the work (False: another run has it), then
    `run`s it; `run` turns its own failures into a DueOutcome.
    """

    label: str
    due_at: datetime

    def claim(self, context: DueContext) -> bool: ...

    def run(self, context: DueContext) -> DueOutcome: ...


DueSource = Callable[[DueContext], Iterable[DueWork]]


class ScheduledIssue:
    """A schedule row whose time has come: claim it, send the issue, record the outcome."""

    def __init__(self, schedule: Schedule, zone: ZoneInfo):
        self.schedule = schedule
        self.label = schedule.shown(zone)
        self.due_at = schedule.due_at
        self.resuming = schedule.status == "claimed"  # its lease ran out: a run died sending

    def claim(self, context: DueContext) -> bool:
        with context.store.transaction() as db:
            cursor = db.execute(
                "UPDATE schedules SET status = 'claimed', claimed_until = ?, updated_at = ?"
                " WHERE id = ? AND (status = 'scheduled'"
                " OR (status = 'claimed' AND claimed_until < ?))",
                (_iso(context.now + LEASE), _iso(context.now), self.schedule.id, _iso(context.now)),
            )
            return cursor.rowcount == 1

    def run(self, context: DueContext) -> DueOutcome:
        number = self.schedule.issue
        options = dict(context.send_options)
        options["progress"] = self._renewing(context, options.get("progress"))
        try:
            summary = send_edition(context.settings, number, context.store, **options)
        except SendLocked as error:
            self._set(context, "scheduled", str(error))
            return DueOutcome(self.label, "busy", f"{error}; the next run takes it over")
        except TransportError as error:
            self._set(context, "scheduled", str(error))
            return DueOutcome(self.label, "retry", f"{error}; the next run tries again")
        except SendRefused as error:
            if self._fully_sent(context):
                self._set(context, "sent", str(error))
                return DueOutcome(self.label, "sent", str(error))
            self._set(context, "failed", str(error))
            return DueOutcome(self.label, "failed", str(error))
        except DeliveryError as error:
            self._set(context, "failed", str(error))
            return DueOutcome(self.label, "failed", f"{error}; then `send {number}` to send it")
        self._set(context, "sent", str(summary))
        return DueOutcome(self.label, "sent", str(summary))

    def _fully_sent(self, context: DueContext) -> bool:
        counts = context.store.delivery_counts(self.schedule.issue)
        return bool(sum(counts.values())) and not counts["queued"] and not counts["failed"]

    def _renewing(
        self, context: DueContext, inner: Callable[[Progress], None] | None
    ) -> Callable[[Progress], None]:
        """The send's progress callback, renewing the claim's lease now and then."""
        started = renewed = time.monotonic()

        def progress(update: Progress) -> None:
            nonlocal renewed
            if time.monotonic() - renewed > RENEW_EVERY:
                renewed = time.monotonic()
                self._renew(context, context.now + timedelta(seconds=renewed - started))
            if inner is not None:
                inner(update)

        return progress

    def _renew(self, context: DueContext, now: datetime) -> None:
        with context.store.transaction() as db:
            db.execute(
                "UPDATE schedules SET claimed_until = ? WHERE id = ? AND status = 'claimed'",
                (_iso(now + LEASE), self.schedule.id),
            )

    def _set(self, context: DueContext, status: str, note: str) -> None:
        with context.store.transaction() as db:
            db.execute(
                "UPDATE schedules SET status = ?, note = ?, claimed_until = NULL, updated_at = ?"
                " WHERE id = ?",
                (status, note[:1000], _iso(context.now), self.schedule.id),
            )


def scheduled_issues(context: DueContext) -> Iterable[DueWork]:
    """Schedules due by `now`, and claims abandoned by a run that died (lease expired)."""
    stamp = _iso(context.now)
    rows = context.store.query(
        f"SELECT {_COLUMNS} FROM schedules WHERE (status = 'scheduled' AND due_at <= ?)"
        " OR (status = 'claimed' AND claimed_until < ?) ORDER BY due_at, id",
        (stamp, stamp),
    )
    zone = context.settings.zone
    return [ScheduledIssue(_schedule(row), zone) for row in rows]


def series_catch_up(context: DueContext) -> Iterable[DueWork]:
    """Catch-up parts for series followers, and part rows a killed run left (catchup.py)."""
    from .catchup import catch_up_work  # catchup builds on this module's DueWork types

    return catch_up_work(context)


# Every kind of due work send-due does, in order. Another kind joins by appending its
# source here (a function from DueContext to DueWork items): send-due needs no change.
# Issues first: series-only followers get an issue's new parts in the same run.
DUE_SOURCES: list[DueSource] = [scheduled_issues, series_catch_up]


def send_due(
    settings: SendSettings,
    store: Store,
    now: datetime,
    *,
    force: bool = False,
    sources: Iterable[DueSource] | None = None,
    **send_options: Any,
) -> list[DueOutcome]:
    """Do every piece of due work once: refuse what is too late (unless `force`), claim the
    rest and run it. One failure never stops the others. `send_options` go to each send.
    """
    context = DueContext(settings, store, now, send_options)
    outcomes = []
    for source in DUE_SOURCES if sources is None else sources:
        for work in source(context):
            outcomes.append(_do(work, context, force))
    return outcomes


def _do(work: DueWork, context: DueContext, force: bool) -> DueOutcome:
    late = context.now - work.due_at
    limit = context.settings.max_lateness
    resuming = getattr(work, "resuming", False)  # optional: only some work can be resumed
    if late > limit and not force and not resuming:
        return DueOutcome(
            work.label,
            "refused",
            f"not sent: {_hours(late)} late, more than max_lateness ({_hours(limit)}); "
            "`send-due --force` sends it anyway, `send N --cancel` drops it",
        )
    if not work.claim(context):
        return DueOutcome(work.label, "busy", "another send-due run has it")
    logger.info("%s: due %s ago, running", work.label, late)
    outcome = work.run(context)
    if not resuming:
        return outcome
    note = f"resumed the send a stopped run left, {_hours(late)} after its time"
    if late > limit:
        note += f" (max_lateness, {_hours(limit)}, applies to a first send only)"
    return replace(outcome, message=f"{note}: {outcome.message}")


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h"
