"""Send an edition: snapshot the list into delivery rows, then deliver them with K workers.

Each delivery row becomes sent or failed in its own transaction as soon as the server answers,
so a killed run resumes from the rows still queued: nobody is lost, and at most the message
in flight on each connection is sent twice. (listmonk records progress when a batch is
fetched; we record each delivery.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import follows, verp
from .bounces import HARD, classify_reply
from .edition import (
    CompiledEdition,
    Edition,
    compile_edition,
    load_edition,
    load_part_edition,
)
from .errors import (
    EditionError,
    EditionNotBuilt,
    ErrorBudgetExceeded,
    SendLocked,
    SendRefused,
    TransportError,
)
from .settings import SendSettings
from .signing import Signer
from .store import Store, normalise_address
from .tokens import LEAVE_SERIES, PREFERENCES, UNSUBSCRIBE, make_token
from .transports import (
    MaildirMessenger,
    Messenger,
    PermanentFailure,
    SmtpMessenger,
    TransientFailure,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for 4xx replies and dropped connections."""

    attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 120.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


@dataclass(frozen=True)
class ErrorBudget:
    """Failures a run tolerates before it pauses itself.

    limit below 1 is a fraction of the deliveries answered so far (checked once `minimum` have
    been answered, so one early failure does not stop a run); 1 or more is a count.
    """

    limit: float = 0.05
    minimum: int = 20

    def exceeded(self, failed: int, answered: int) -> bool:
        if self.limit >= 1:
            return failed >= self.limit
        return answered >= self.minimum and failed > self.limit * answered


class RateLimiter:
    """Spaces messages evenly over all workers: at most `rate` per second."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    sent: int
    failed: int


@dataclass
class SendSummary:
    issue: int
    kind: str
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    already_sent: int = 0
    elapsed: float = 0.0
    paused: str | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)  # first few (address, reply)
    parts: PartsSummary | None = None  # the live series parts sent after the issue

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        earlier = f", {self.already_sent} sent by earlier runs" if self.already_sent else ""
        parts = f"; {self.parts}" if self.parts else ""
        return (
            f"issue {self.issue} ({self.kind}): {self.sent} sent, {self.failed} failed, "
            f"{self.skipped} skipped{earlier}; {self.elapsed:.1f} s, "
            f"{self.rate:.1f} messages/s{parts}"
        )


@dataclass(frozen=True)
class Job:
    address: str
    delivery_id: int | None = None
    subscriber_id: int | None = None


ProgressCallback = Callable[[Progress], None]
MessengerFactory = Callable[[], Messenger]


@dataclass(frozen=True)
class SendPlan:
    """What `send N` would do, for the confirmation question."""

    edition: Edition
    recipients: int
    resuming: bool
    retry_failed: bool = False  # the failed rows are queued again when the send starts


class Personaliser:
    """Renders one subscriber's copy: the compiled edition plus their own signed links, the
    delivery's stable Message-ID and VERP return path, and the DKIM signature.

    In a series-part edition the one-click link leaves that series only (LEAVE_SERIES).
    """

    def __init__(self, settings: SendSettings, edition: Edition):
        self.secret = settings.require_secret()
        self.compiled: CompiledEdition = compile_edition(
            edition, settings.list_id, settings.requests_address
        )
        self.url_template = edition.unsubscribe_url_template or settings.unsubscribe_url_template
        self.preferences_template = str(
            edition.meta.get("preferences_url_template") or settings.preferences_url_template
        )
        part = edition.series_part
        self.purpose, self.scope = (LEAVE_SERIES, part[0]) if part else (UNSUBSCRIBE, "")
        self.sender = settings.bounce_address or edition.sender
        self.bounce_address = settings.bounce_address
        # Delivery tokens name an issue; a series-part copy gets a fresh Message-ID.
        self.issue = edition.number if part is None else None
        self.signer = Signer.from_settings(settings.dkim) if settings.dkim else None

    def unsubscribe_url(self, address: str) -> str:
        token = make_token(self.secret, self.purpose, address, scope=self.scope)
        return self.url_template.replace("{token}", token)

    def preferences_url(self, address: str) -> str:
        token = make_token(self.secret, PREFERENCES, address)
        return self.preferences_template.replace("{token}", token)

    def render(self, address: str, subscriber_id: int | None = None) -> bytes:
        message_id = None
        if subscriber_id is not None and self.issue is not None:
            token = verp.make(self.secret, self.issue, subscriber_id)
            message_id = verp.message_id(token, self.compiled.domain)
        message = self.compiled.render(
            address, self.unsubscribe_url(address), self.preferences_url(address), message_id
        )
        return self.signer.sign(message) if self.signer else message

    def envelope_sender(self, subscriber_id: int | None = None) -> str:
        """The VERP return path of this delivery (bounce_address set), else the sender."""
        if not self.bounce_address or subscriber_id is None or self.issue is None:
            return self.sender
        token = verp.make(self.secret, self.issue, subscriber_id)
        return verp.return_path(self.bounce_address, token)


# -- the three kinds of send ---------------------------------------------------------------


def plan_send(
    settings: SendSettings, number: int, store: Store, retry_failed: bool = False
) -> SendPlan:
    """Check everything a real send checks, without sending; raise if it would be refused.

    Call it with `send_lock` held: it marks rows of departed subscribers skipped, and the
    plan it returns (the edition, loaded and checked once) is what `send_planned` sends.
    """
    edition = load_edition(settings, number)
    settings.require_secret()
    store.skip_inactive(number)
    counts = store.delivery_counts(number)
    if sum(counts.values()):
        retried = counts["failed"] if retry_failed else 0
        if not counts["queued"] + retried:
            raise SendRefused(_already_sent(number, counts, retry_failed))
        return SendPlan(edition, counts["queued"] + retried, True, retry_failed)
    active = store.count("active")
    if not active:
        raise SendRefused("no active subscribers: add some with `subscribers add` or `import`")
    return SendPlan(edition, follows.count_readers(store), resuming=False)


def _already_sent(number: int, counts: dict[str, int], retry_failed: bool) -> str:
    message = (
        f"issue {number} was already sent ({counts['sent']} sent, {counts['failed']} failed, "
        f"{counts['skipped']} skipped): nothing left to resume"
    )
    if counts["failed"] and not retry_failed:
        message += f"; `send {number} --retry-failed` tries the failed ones again"
    return message


def send_edition(
    settings: SendSettings,
    number: int,
    store: Store,
    *,
    retry_failed: bool = False,
    **options: Any,
) -> SendSummary:
    """Send issue `number` to every active subscriber, or resume the rows still queued
    (and, with `retry_failed`, the failed ones). `options` are send_planned's.

    Raises ErrorBudgetExceeded (rows stay queued) or TransportError (server unreachable).
    """
    with send_lock(store, number) as lease:
        plan = plan_send(settings, number, store, retry_failed)
        return send_planned(settings, plan, store, lease=lease, **options)


LEASE_SECONDS = 60.0  # how long a killed send elsewhere blocks the next one, at most


@contextmanager
def send_lock(store: Store, number: int | str) -> Iterator[SendLease]:
    """One real send of an issue per store at a time: two would deliver the same rows.

    A lease row in the store itself (not a lock file named after the store's path: a
    symlink or a hard link to the same store would name another file). It is renewed
    while the send runs; a SIGKILLed send's lease is taken over at once on this host
    (its process is gone), after LEASE_SECONDS elsewhere.
    """
    lease = SendLease(store, f"send-{number}")
    holder = store.take_lease(lease.name, lease.owner, LEASE_SECONDS)
    if holder is not None:
        raise SendLocked(f"another `send {number}` is running: let it finish or stop it first")
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()


class SendLease:
    """A taken lease and the thread that renews it; `lost` is set if it is taken from us."""

    def __init__(self, store: Store, name: str):
        self.store, self.name = store, name
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.lost = threading.Event()
        self._done = threading.Event()
        self._on_lost: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)

    def on_lost(self, callback: Callable[[], None]) -> None:
        self._on_lost.append(callback)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        if not self.lost.is_set():
            self.store.release_lease(self.name, self.owner)

    def _renew(self) -> None:
        while not self._done.wait(LEASE_SECONDS / 6):
            try:
                if self.store.renew_lease(self.name, self.owner, LEASE_SECONDS):
                    continue
            except Exception:  # a locked or unreachable store: try again next round
                logger.exception("cannot renew the lease %s", self.name)
                continue
            # Paused past the expiry (SIGSTOP, a suspended laptop) and another send took
            # over: this one must stop delivering.
            logger.error("lease %s was taken over by another send: stopping", self.name)
            self.lost.set()
            for callback in self._on_lost:
                callback()
            return


def send_planned(
    settings: SendSettings,
    plan: SendPlan,
    store: Store,
    *,
    lease: SendLease | None = None,
    **options: Any,
) -> SendSummary:
    """Carry out a plan from `plan_send`, under the same `send_lock` (see send_edition):
    pass its lease, so the run stops if another send takes it over. `options` are
    `_store_run`'s: messenger_factory, connections, rate, retry, budget, progress.
    """
    number = plan.edition.number
    personaliser = Personaliser(settings, plan.edition)
    if not plan.resuming:
        follows.record_issue_parts(store, number, plan.edition.parts)
        store.snapshot(number)
    # Before the issue's own rows: a run killed after them must still owe the live parts.
    live = follows.queue_live_parts(store, number, _live_parts(settings, plan.edition))
    if plan.retry_failed:
        store.requeue_failed(number)
    counts = store.delivery_counts(number)
    summary = SendSummary(number, "real", already_sent=counts["sent"])
    send_id = store.begin_send(number, "real", "resumed" if plan.resuming else "")
    run = _store_run(settings, personaliser, store, **options)
    if lease is not None:
        lease.on_lost(run.stop.set)
    jobs = (Job(d.address, d.id, d.subscriber_id) for d in store.queued(number))
    outcome = "interrupted"
    try:
        run.execute(jobs, counts["queued"], summary)
        outcome = "paused" if summary.paused else "finished"
    except TransportError:
        outcome = "stopped"
        raise
    finally:
        summary.skipped = counts["skipped"] + run.skipped + store.skip_inactive(number)
        store.finish_send(send_id, outcome, summary.sent, summary.failed)
    if summary.paused:
        raise ErrorBudgetExceeded(summary.paused)
    if lease is not None and lease.lost.is_set():
        raise SendLocked(
            f"send of issue {number} stopped: another `send {number}` took over after this "
            f"one was paused longer than {LEASE_SECONDS:.0f} s; it carries on with the rest"
        )
    if live or follows.parts_with_queued_rows(store):
        # Series-only followers get the new parts in the same run (send-due finishes them
        # if another run holds the parts' lock).
        with contextlib.suppress(SendLocked):
            summary.parts = deliver_parts(settings, store, **options)
    return summary


def _live_parts(settings: SendSettings, edition: Edition) -> list[tuple[str, int, bool]]:
    """The issue's parts whose own editions are built, with whether each ends its series."""
    parts = []
    for slug, part in edition.parts:
        try:
            meta = load_part_edition(settings, slug, part).meta
        except EditionError as error:
            logger.warning("issue %d: no live part %s/%d: %s", edition.number, slug, part, error)
            continue
        parts.append((slug, part, bool(meta["series"].get("last"))))
    return parts


def deliver_parts(settings: SendSettings, store: Store, **options: Any) -> PartsSummary:
    """Deliver every queued series-part row, one part edition at a time, under one lock.

    The rows were queued by catch-up or by an issue's send; each is recorded the moment
    the server answers, as for issues, so a killed run resumes with none lost or repeated.
    A part whose edition cannot be read keeps its rows queued and is reported.
    """
    total = PartsSummary()
    with send_lock(store, PARTS_LOCK) as lease:
        for slug, part in follows.parts_with_queued_rows(store):
            try:
                edition = load_part_edition(settings, slug, part)
            except EditionError as error:
                total.problems.append(f"series/{slug}/{part}: {error}")
                continue
            summary = SendSummary(edition.number, "series-part")
            run = _store_run(settings, Personaliser(settings, edition), store, **options)
            lease.on_lost(run.stop.set)
            queued = follows.queued_parts(store, slug, part)
            try:
                jobs = (Job(d.address, d.id, d.subscriber_id) for d in queued)
                run.execute(jobs, 0, summary)
            finally:
                total.add(summary, run.skipped)
            if summary.paused:
                raise ErrorBudgetExceeded(summary.paused)
    return total


PARTS_LOCK = "series"  # one lock for every part edition's rows (send_lock's key)


@dataclass
class PartsSummary:
    """What deliver_parts did, over all the part editions it sent."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, summary: SendSummary, skipped: int) -> None:
        self.sent += summary.sent
        self.failed += summary.failed
        self.skipped += skipped

    def __str__(self) -> str:
        text = f"series parts: {self.sent} sent, {self.failed} failed, {self.skipped} skipped"
        return text + "".join(f"; {problem}" for problem in self.problems)


def _store_run(
    settings: SendSettings,
    personaliser: Personaliser,
    store: Store,
    *,
    messenger_factory: MessengerFactory | None = None,
    connections: int | None = None,
    rate: float | None = None,
    retry: RetryPolicy | None = None,
    budget: ErrorBudget | None = None,
    progress: ProgressCallback | None = None,
) -> _Run:
    """A worker pool whose answers are recorded in the store's delivery rows."""
    return _Run(
        personaliser,
        messenger_factory or (lambda: SmtpMessenger(settings.smtp)),
        _Limits(settings, connections, rate, retry, budget),
        record=lambda job, status, reply: store.record_delivery(
            job.delivery_id, status, reply, _hard_bounce(status, reply)
        ),
        progress=progress,
        retried=lambda job, reply: store.record_attempt(job.delivery_id, reply),
        gone=lambda job: store.skip_if_inactive(job.delivery_id),
    )


def _hard_bounce(status: str, reply: str) -> dict[str, str] | None:
    """Evidence for suppressing the address, if a refusal says it is gone (5.1.1 ...); a
    policy or spam block (5.7.x) fails the delivery but leaves the address active."""
    if status != "failed" or not reply[:1].isdigit():  # "gave up after ...": not a refusal
        return None
    verdict = classify_reply(reply)
    if verdict.kind != HARD:
        return None
    return {"status": verdict.status, "reason": verdict.reason, "reply": reply[:300]}


def newer_issue_sent(store: Store, number: int) -> int | None:
    """The newest issue after `number` that already went out, if any: sending an older
    issue after a newer one is usually a typo in the number."""
    [(newest,)] = store.query(
        "SELECT MAX(issue) FROM deliveries WHERE status = 'sent' AND issue > ?", (number,)
    )
    return newest


def send_test(
    settings: SendSettings,
    number: int,
    address: str,
    store: Store | None = None,
    messenger: Messenger | None = None,
) -> SendSummary:
    """Send one copy to `address`; the deliveries log is left alone (only `sends` notes it).

    Drafts are allowed: a test copy is how an editor proofs one.
    """
    address = normalise_address(address)
    try:
        edition = load_edition(settings, number, allow_draft=True)
    except EditionNotBuilt as error:
        # `build` leaves drafts out: the likeliest reason a test copy has no edition.
        raise EditionNotBuilt(
            f"{error}; a draft issue is built only by `publish.py build --drafts`"
        ) from error
    personaliser = Personaliser(settings, edition)
    messenger = messenger or SmtpMessenger(settings.smtp)
    summary = SendSummary(number, "test")
    started = time.monotonic()
    try:
        messenger.push(personaliser.sender, address, personaliser.render(address))
        summary.sent = 1
    except (TransientFailure, PermanentFailure) as failure:
        raise TransportError(f"test copy to {address} refused: {failure.reply}") from failure
    finally:
        messenger.close()
        summary.elapsed = time.monotonic() - started
    if store is not None:
        send_id = store.begin_send(number, "test", f"test copy to {address}")
        store.finish_send(send_id, "finished", 1, 0)
    return summary


def send_dry_run(
    settings: SendSettings,
    number: int,
    store: Store,
    maildir: str | Path,
    *,
    connections: int | None = None,
    progress: ProgressCallback | None = None,
) -> SendSummary:
    """Write every active subscriber's personalised copy into a Maildir; log no delivery."""
    edition = load_edition(settings, number)
    personaliser = Personaliser(settings, edition)
    summary = SendSummary(number, "dry-run")
    send_id = store.begin_send(number, "dry-run", f"Maildir {maildir}")
    run = _Run(
        personaliser,
        lambda: MaildirMessenger(maildir),
        _Limits(settings, connections or 1, 0, RetryPolicy(attempts=1), None),
        record=None,
        progress=progress,
    )
    jobs = (Job(address, subscriber_id=ident) for ident, address in follows.readers(store))
    try:
        run.execute(jobs, follows.count_readers(store), summary)
    finally:
        store.finish_send(send_id, "finished", summary.sent, summary.failed)
    return summary


# -- the worker pool -----------------------------------------------------------------------


class _Limits:
    """Connections, rate, retry and budget: the call's arguments, else the settings."""

    def __init__(
        self,
        settings: SendSettings,
        connections: int | None,
        rate: float | None,
        retry: RetryPolicy | None,
        budget: ErrorBudget | None,
    ):
        smtp = settings.smtp
        self.connections = max(1, connections or smtp.connections)
        self.limiter = RateLimiter(smtp.rate if rate is None else (rate or None))
        self.retry = retry or RetryPolicy()
        self.budget = budget or ErrorBudget(smtp.error_budget)


_STOP = None
Recorder = Callable[[Job, str, str], None]


class _Run:
    """K workers, one Messenger each, fed from a bounded queue (back-pressure on SQLite)."""

    def __init__(
        self,
        personaliser: Personaliser,
        messenger_factory: MessengerFactory,
        limits: _Limits,
        record: Recorder | None,
        progress: ProgressCallback | None,
        retried: Callable[[Job, str], None] | None = None,
        gone: Callable[[Job], bool] | None = None,
    ):
        self.personaliser = personaliser
        self.retried = retried
        self.gone = gone  # True: the subscriber left since the row was queued (now skipped)
        self.skipped = 0
        self.messenger_factory = messenger_factory
        self.limits = limits
        self.record = record
        self.progress = progress
        self.stop = threading.Event()
        self.fatal: BaseException | None = None
        self._lock = threading.Lock()

    def execute(self, jobs: Iterable[Job], total: int, summary: SendSummary) -> None:
        self.summary, self.total = summary, total
        inbox: queue.Queue[Job | None] = queue.Queue(maxsize=self.limits.connections * 64)
        workers = [
            threading.Thread(target=self._work, args=(inbox,), daemon=True, name=f"send-{i}")
            for i in range(self.limits.connections)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        try:
            self._feed(jobs, inbox)
        finally:
            for _ in workers:
                inbox.put(_STOP)  # workers drain the queue, so this cannot block for long
            for worker in workers:
                worker.join()
            summary.elapsed = time.monotonic() - started
        if self.fatal is not None:
            raise self.fatal

    def _feed(self, jobs: Iterable[Job], inbox: queue.Queue[Job | None]) -> None:
        try:
            for job in jobs:
                while not self.stop.is_set():
                    try:
                        inbox.put(job, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self.stop.is_set():
                    return
        except BaseException:
            self.stop.set()  # Ctrl-C: let the in-flight messages finish, leave the rest queued
            raise

    def _work(self, inbox: queue.Queue[Job | None]) -> None:
        messenger: Messenger | None = None
        try:
            messenger = self.messenger_factory()
            while (job := inbox.get()) is not _STOP:
                if not self.stop.is_set():
                    self._deliver(messenger, job)
        except BaseException as error:  # a worker must never die silently
            self._halt(error)
            while inbox.get() is not _STOP:
                pass
        finally:
            if messenger is not None:
                messenger.close()

    def _deliver(self, messenger: Messenger, job: Job) -> None:
        message = self.personaliser.render(job.address, job.subscriber_id)
        sender = self.personaliser.envelope_sender(job.subscriber_id)
        retry = self.limits.retry
        for attempt in range(1, retry.attempts + 1):
            self.limits.limiter.wait()
            if self.gone is not None and self.gone(job):
                return self._skipped()
            try:
                reply = messenger.push(sender, job.address, message)
                return self._answered(job, "sent", reply)
            except PermanentFailure as failure:
                return self._answered(job, "failed", failure.reply)
            except TransientFailure as failure:
                last = failure
                logger.info("%s: %s (attempt %d)", job.address, failure.reply, attempt)
                if self.retried is not None:
                    self.retried(job, failure.reply)
                if attempt < retry.attempts and self.stop.wait(retry.delay(attempt)):
                    return  # stopping: the row stays queued for the next run
        if last.connecting:
            raise TransportError(f"{last.reply} (gave up after {retry.attempts} attempts)")
        self._answered(job, "failed", f"gave up after {retry.attempts} attempts: {last.reply}")

    def _skipped(self) -> None:
        with self._lock:
            self.skipped += 1
            self._report_progress()

    def _answered(self, job: Job, status: str, reply: str) -> None:
        if self.record is not None:
            self.record(job, status, reply)
        with self._lock:
            summary = self.summary
            if status == "sent":
                summary.sent += 1
            else:
                summary.failed += 1
                if len(summary.failures) < 10:
                    summary.failures.append((job.address, reply))
            self._check_budget(reply)
            self._report_progress()

    def _report_progress(self) -> None:
        if self.progress is not None:
            s = self.summary
            done = s.sent + s.failed + self.skipped
            self.progress(Progress(done, self.total, s.sent, s.failed))

    def _check_budget(self, reply: str) -> None:
        s = self.summary
        if s.paused or not self.limits.budget.exceeded(s.failed, s.sent + s.failed):
            return
        s.paused = (
            f"send of issue {s.issue} paused: {s.failed} of {s.sent + s.failed} deliveries "
            f"failed, over the error budget ({self.limits.budget.limit:g}); last reply: "
            f"{reply}. Fix the cause, then run `send {s.issue}` again to resume (add "
            "--retry-failed to try the failed ones again too)"
        )
        self.stop.set()

    def _halt(self, error: BaseException) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = error
        self.stop.set()
