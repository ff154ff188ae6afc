"""Messengers: where a rendered message goes. SMTP for real sends, Maildir for --dry-run.

A Messenger is small (listmonk's Push/Close): `push(sender, recipient, message)` returns the
server's reply or raises TransientFailure (4xx, dropped connection: retry later) or
PermanentFailure (5xx: do not retry). Each send worker owns one Messenger, so one SMTP
connection per worker.
"""

from __future__ import annotations

import contextlib
import mailbox
import smtplib
import ssl
import threading
from pathlib import Path
from typing import Protocol

from .errors import TransportError, UsageError
from .settings import SmtpSettings


class DeliveryFailure(Exception):
    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


class TransientFailure(DeliveryFailure):
    """Try again later: a 4xx reply, or the connection dropped or could not be opened."""

    def __init__(self, reply: str, connecting: bool = False):
        super().__init__(reply)
        self.connecting = connecting


class PermanentFailure(DeliveryFailure):
    """The server refused this message for good (5xx)."""


class Messenger(Protocol):
    def push(self, sender: str, recipient: str, message: bytes) -> str: ...

    def close(self) -> None: ...


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _data(conn: smtplib.SMTP, message: bytes) -> tuple[int, bytes]:
    """DATA with dot-stuffing by bytes.replace: smtplib's regex costs ~200 µs per 45 KB
    message. Valid because rendered messages use CRLF line ends only."""
    code, text = conn.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, text)
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    conn.send(stuffed + b".\r\n")
    return conn.getreply()


class SmtpMessenger:
    """One SMTP connection, opened on first use and reopened after a drop."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def push(self, sender: str, recipient: str, message: bytes) -> str:
        conn = self._connection()
        try:
            # docmd, not mail()/rcpt(): their address re-parsing costs ~65 µs a message, and
            # stored addresses are already validated ASCII addr-specs.
            self._mail_from(conn, sender)
            self._expect(conn, *conn.docmd("RCPT", f"TO:<{recipient}>"))
            code, text = _data(conn, message)
        except smtplib.SMTPDataError as error:  # DATA itself refused (no 354)
            code, text = error.smtp_code, error.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise TransientFailure(
                f"connection dropped: {error or type(error).__name__}"
            ) from error
        self._expect(conn, code, text)
        return _reply(code, text)

    def _mail_from(self, conn: smtplib.SMTP, sender: str) -> None:
        """MAIL FROM; a 5xx refuses the sender, so every recipient: a transport error
        (the run stops, rows stay queued), not a failure of this one recipient."""
        code, text = conn.docmd("MAIL", f"FROM:<{sender}>")
        if 500 <= code < 600:
            self._reset(conn)
            s = self.settings
            raise TransportError(
                f"SMTP server {s.host}:{s.port} refused the sender <{sender}> "
                f"({_reply(code, text)}): check NEWSLETTER['from'] and the senders the "
                "account may use"
            )
        self._expect(conn, code, text)

    def _expect(self, conn: smtplib.SMTP, code: int, text: bytes | str) -> None:
        if 200 <= code < 300:
            return
        reply = _reply(code, text)
        if code == 421 or code < 0:  # 421: the server is closing this connection
            self._drop()
            raise TransientFailure(reply)
        self._reset(conn)
        if 400 <= code < 500:
            raise TransientFailure(reply)
        raise PermanentFailure(reply)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.user:
                conn.login(s.user, s.password or "")
            return conn
        except smtplib.SMTPAuthenticationError as error:
            raise TransportError(
                f"SMTP server {where} refused the login of {s.user!r} "
                f"({_reply(error.smtp_code, error.smtp_error)}): check MASTHEAD_SMTP_USER "
                "and MASTHEAD_SMTP_PASSWORD"
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise TransportError(
                f"SMTP server {where} does not support {s.security} or login ({error}): "
                "check MASTHEAD_SMTP_SECURITY"
            ) from error
        except ssl.SSLError as error:
            raise TransportError(
                f"TLS with {where} failed ({error}): check MASTHEAD_SMTP_SECURITY and the port"
            ) from error
        except (smtplib.SMTPException, OSError) as error:  # OSError includes timeouts
            raise TransientFailure(
                f"cannot connect to {where}: {error}", connecting=True
            ) from error

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()


class MaildirMessenger:
    """Writes each message into a Maildir (for --dry-run); every worker shares one lock."""

    # mailbox.Maildir names files by time, pid and a per-instance counter: two threads could
    # pick the same name, so additions are serialised.
    _lock = threading.Lock()

    def __init__(self, path: str | Path):
        try:
            self.maildir = mailbox.Maildir(str(path), create=True)
        except OSError as error:
            raise UsageError(f"cannot create the Maildir {path}: {error.strerror}") from error

    def push(self, sender: str, recipient: str, message: bytes) -> str:
        with self._lock:
            key = self.maildir.add(message)
        return f"written to Maildir as {key}"

    def close(self) -> None:
        pass
