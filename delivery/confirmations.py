"""The confirmation email of a subscribe request.

The subscription service sends it through its outbox (delivery/outbox.py: stored before
the answer, sent by a worker thread); `inbox process` sends it at once (Confirmations).
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr

from .edition import list_domain
from .settings import SendSettings
from .transports import Messenger, SmtpMessenger

logger = logging.getLogger(__name__)

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
