"""The confirmation email of a subscribe request, and the postman who handles requests.

The web answer must not depend on the address: storing a new one and emailing it takes
longer than doing nothing for an active one, and the difference would tell a stranger who
is on the list (measured: 0.7 vs 0.3 ms before this design). So a subscribe request is
queued and answered at once; one background thread applies requests in order (store, then
email).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr

from .edition import list_domain
from .settings import SendSettings
from .transports import DeliveryFailure, Messenger, SmtpMessenger, TransientFailure

logger = logging.getLogger(__name__)

QUEUE_SIZE = 200
ATTEMPTS = 3

BODY = """\
Hello,

Someone, hopefully you, asked to receive {name} at this address.
To confirm, open this link and press the button on the page:

{link}

If you did not ask for it, ignore this email: nothing will be sent to you.
The link works for 7 days.

{name}
"""


def confirmation_message(settings: SendSettings, address: str, token: str) -> bytes:
    """A plain-text confirmation email with the headers mailbox providers expect."""
    message = EmailMessage()
    message["From"] = settings.from_address
    message["To"] = address
    message["Subject"] = f"{settings.name}: confirm your subscription"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=list_domain(settings.list_id))
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    # RFC 3834: an automatic message; vacation responders must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    link = f"{settings.service_url.rstrip('/')}/confirm?token={token}"
    message.set_content(BODY.format(name=settings.name, link=link))
    return message.as_bytes(policy=SMTP)


class Confirmations:
    """Confirmation emails sent at once over one SMTP connection (`inbox process`).

    The secret is asked for at the first SUBSCRIBE, so an inbox of UNSUBSCRIBEs needs none.
    """

    def __init__(self, settings: SendSettings, messenger: Messenger | None = None):
        self.settings = settings
        self._messenger = messenger
        self._sender = parseaddr(settings.from_address)[1]
        self._sent: set[str] = set()

    @property
    def secret(self) -> str:
        return self.settings.require_secret()

    def send(self, address: str, token: str) -> bool:
        """Push one confirmation; False if this run already sent `address` one.

        Raises TransientFailure or PermanentFailure: the caller decides what stops a run.
        """
        # Forged SUBSCRIBEs could otherwise make one run flood one inbox.
        if address.lower() in self._sent:
            return False
        if self._messenger is None:
            self._messenger = SmtpMessenger(self.settings.smtp)
        message = confirmation_message(self.settings, address, token)
        reply = self._messenger.push(self._sender, address, message)
        logger.info("confirmation to %s: %s", address, reply)
        self._sent.add(address.lower())
        return True

    def close(self) -> None:
        if self._messenger is not None:
            self._messenger.close()


class Postman:
    """Runs queued jobs (subscribe requests) on one daemon thread; sends confirmations."""

    def __init__(self, settings: SendSettings, messenger: Callable[[], Messenger] | None = None):
        self.settings = settings
        self._new_messenger = messenger or (lambda: SmtpMessenger(settings.smtp))
        self._sender = parseaddr(settings.from_address)[1]
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue(QUEUE_SIZE)
        threading.Thread(target=self._run, name="postman", daemon=True).start()

    def later(self, job: Callable[[], None]) -> None:
        """Queue a job; when the queue is full it is dropped (logged), the answer is the same."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            logger.warning("postman's queue full (%d jobs): dropped a request", QUEUE_SIZE)

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait for queued requests to be done (at shutdown); False if time ran out."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:  # the thread must survive anything one request does
                logger.exception("a subscribe request failed")
            finally:
                self._queue.task_done()

    def send_confirmation(self, address: str, token: str) -> None:
        """Send the confirmation email now (on the postman's thread), retrying 4xx twice."""
        self._deliver(address, confirmation_message(self.settings, address, token))

    def send_welcome(self, address: str, message: bytes) -> bool:
        """Send a welcome email now (on the postman's thread); True once the server took it."""
        return self._deliver(address, message, "welcome")

    def _deliver(self, address: str, message: bytes, what: str = "confirmation") -> bool:
        for attempt in range(1, ATTEMPTS + 1):
            messenger = self._new_messenger()
            try:
                reply = messenger.push(self._sender, address, message)
                logger.info("%s to %s: %s", what, address, reply)
                return True
            except TransientFailure as failure:
                logger.warning("%s to %s, attempt %d: %s", what, address, attempt, failure)
                time.sleep(2**attempt)
            except DeliveryFailure as failure:
                logger.error("%s to %s refused: %s", what, address, failure)
                return False
            finally:
                messenger.close()
        logger.error("%s to %s not sent after %d attempts", what, address, ATTEMPTS)
        return False
