"""The subscription service's outbox: emails it promised, kept in the store until sent.

`/subscribe` writes one row and answers; one worker thread sends. A hung or down SMTP server
delays the emails and loses none: each attempt has a time limit, failing to reach the server
pauses the whole outbox with a growing backoff (so 250 rows do not each wait out a timeout),
and rows still queued at shutdown go out at the next start.

Each row has a `kind`; a composer per kind does that kind's store work and returns the
message to send, or None when there is nothing to send (a confirmation for an address that
is already active). A welcome email is another kind with its own composer. What must only
be recorded once an email has really gone (a reader was welcomed) is a kind's `on_sent`
callback: a 4xx or a server down before then leaves nothing recorded, so the retry sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from email.utils import parseaddr

from .errors import TransportError
from .settings import SendSettings
from .store import OutboxMail, Store
from .transports import DeliveryFailure, Messenger, SmtpMessenger, TransientFailure

logger = logging.getLogger(__name__)

Composer = Callable[[OutboxMail], bytes | None]
Sent = Callable[[OutboxMail, bytes], None]

# The work starts this long after the answer: what it costs (an INSERT for a new address,
# an SMTP session) must not overlap the answer a stranger could time.
SETTLE = 0.5
ATTEMPT_TIMEOUT = 10.0  # seconds an SMTP step may take (a server that never greets)
MAX_ATTEMPTS = 8  # per email, for that email's own 4xx replies: about an hour of retries
RETRY_DELAY = (30.0, 3600.0)  # first and longest wait after a 4xx for one email
PAUSE = (1.0, 300.0)  # first and longest pause while the server cannot be reached
POLL = 30.0
KEEP_DAYS = 30  # rows done or given up are kept this long (what went out, and why not)


def _backoff(limits: tuple[float, float], count: int) -> float:
    first, longest = limits
    return min(longest, first * 2 ** max(0, count - 1))


class Outbox:
    """The queue in the store and the thread that sends it; `start` runs the thread."""

    def __init__(
        self,
        settings: SendSettings,
        store: Store,
        messenger_factory: Callable[[], Messenger] | None = None,
        settle: float = SETTLE,
    ):
        smtp = replace(settings.smtp, timeout=min(settings.smtp.timeout, ATTEMPT_TIMEOUT))
        self._new_messenger = messenger_factory or (lambda: SmtpMessenger(smtp))
        self._sender = parseaddr(settings.from_address)[1]
        self.store, self.settle = store, settle
        self.composers: dict[str, Composer] = {}
        self.on_sent: dict[str, Sent] = {}  # per kind: called once the server accepted it
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._unreachable = 0  # attempts in a row that could not reach the server
        self._paused_until = 0.0
        self._thread: threading.Thread | None = None

    def add(self, kind: str, address: str, name: str = "", choice: str = "") -> None:
        """Keep one email to send: the same single INSERT whatever the address."""
        self.store.enqueue_mail(kind, address, name, delay=self.settle, choice=choice)
        self._wake.set()

    @property
    def paused(self) -> bool:
        """The server could not be reached: nothing is tried until the pause ends."""
        return time.time() < self._paused_until

    def start(self) -> None:
        pruned = self.store.prune_mail(KEEP_DAYS)
        if pruned:
            logger.info(
                "outbox: forgot %d emails sent or given up over %d days ago", pruned, KEEP_DAYS
            )
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self, grace: float) -> bool:
        """Send what falls due within `grace` seconds (not while the server is unreachable:
        the rows wait for the next start); True if nothing is left queued."""
        deadline = time.time() + grace
        while time.time() < deadline and not self.paused:
            due = self.store.next_mail_due()
            if due is None or due > deadline:
                break
            time.sleep(0.05)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(ATTEMPT_TIMEOUT)
        return not self.store.mail_counts()["queued"]

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self.send_due()
            except Exception:  # a locked store, say: the thread must outlive it
                logger.exception("the outbox could not be read")
                worked = False
            if not worked:
                self._wake.wait(self._sleep_time())
                self._wake.clear()

    def _sleep_time(self) -> float:
        now, due = time.time(), self.store.next_mail_due()
        until = max(self._paused_until, due) if due is not None else now + POLL
        return min(POLL, max(0.05, until - now))

    def send_due(self) -> bool:
        """Send the emails due now, in order; False if there were none (or paused)."""
        if self.paused:
            return False
        due = self.store.due_mail()
        for mail in due:
            if self._stopping.is_set() or self.paused:
                break
            self._handle(mail)
        return bool(due)

    def _handle(self, mail: OutboxMail) -> None:
        composer = self.composers.get(mail.kind)
        if composer is None:
            self.store.finish_mail(mail.id, "failed", f"no composer for {mail.kind!r} emails")
            return
        try:
            message = composer(mail)
        except Exception as error:  # its store work failed: try again later
            logger.exception("%s email to %s could not be made", mail.kind, mail.address)
            return self._retry(mail, f"not made: {error}")
        if message is None:
            self.store.finish_mail(mail.id, "done", "nothing to send")
            return
        self._send(mail, message)

    def _send(self, mail: OutboxMail, message: bytes) -> None:
        messenger = self._new_messenger()
        try:
            reply = messenger.push(self._sender, mail.address, message)
        except TransientFailure as failure:
            if failure.connecting:
                return self._unreachable_server(mail, failure.reply)
            return self._retry(mail, failure.reply)
        except TransportError as error:  # login or sender refused: the whole server
            return self._unreachable_server(mail, str(error))
        except DeliveryFailure as failure:  # 5xx: this address will never take it
            logger.error("%s email to %s refused: %s", mail.kind, mail.address, failure.reply)
            return self.store.finish_mail(mail.id, "failed", failure.reply)
        finally:
            messenger.close()
        self._unreachable = 0
        logger.info("%s email to %s: %s", mail.kind, mail.address, reply)
        self._sent(mail, message)
        self.store.finish_mail(mail.id, "done", reply)

    def _sent(self, mail: OutboxMail, message: bytes) -> None:
        callback = self.on_sent.get(mail.kind)
        try:
            if callback is not None:
                callback(mail, message)
        except Exception:  # it went out: the row must still end done, not be sent again
            logger.exception("%s email to %s sent but not recorded", mail.kind, mail.address)

    def _unreachable_server(self, mail: OutboxMail, reply: str) -> None:
        # Not this email's fault: it keeps its place and its attempts; everything waits.
        self._unreachable += 1
        pause = _backoff(PAUSE, self._unreachable)
        self._paused_until = time.time() + pause
        logger.warning("outbox paused %.0f s: %s", pause, reply)
        self.store.retry_mail(mail.id, reply, None, counted=False)

    def _retry(self, mail: OutboxMail, reply: str) -> None:
        attempts = mail.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            logger.error("%s email to %s not sent: %s", mail.kind, mail.address, reply)
            self.store.finish_mail(mail.id, "failed", f"gave up after {attempts}: {reply}")
            return
        self.store.retry_mail(mail.id, reply, _backoff(RETRY_DELAY, attempts))
