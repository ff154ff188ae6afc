"""Shared fixtures for the delivery tests: a newsletter directory with a built edition
(written here, per docs/editions.md, since the build side is written in parallel) and a real
aiosmtpd server on 127.0.0.1 whose replies each test can script."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery.settings import SendSettings, load_settings
from delivery.store import Store

SECRET = "test-secret-0123456789-abcdef"
TOKEN_IN_URL = re.compile(r"unsubscribe\?token=([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")

SETTINGS_FILE = """
NEWSLETTER = {
    "name": "Test Line",
    "from": "Test Line <newsletter@test.example.org>",
    "reply_to": "editor@test.example.org",
    "list_id": "test.example.org",
    "service_url": "https://test.example.org/service",
    "requests_address": "newsletter@test.example.org",
    "store": "subscribers.db",
    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none",
             "connections": 2, "rate": 0, "error_budget": 0.5},
}
"""

HTML = """<!doctype html><html><body>
<h1>Test Line #{number} — café édition</h1>
<p>{long}</p>
<p>Sent to %%recipient%% because you subscribed.</p>
<p><a href="%%unsubscribe_url%%">Unsubscribe</a></p>
</body></html>
"""

TEXT = """Test Line #{number} — café édition

{long}
.
From the editors: a line starting with From and a dot line above.

Sent to %%recipient%% because you subscribed.
Unsubscribe: %%unsubscribe_url%%
"""


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Newsletter:
    """A temporary newsletter directory: settings file, one content source, editions."""

    root: Path
    smtp_port: int = 2525
    secret: str = SECRET

    @property
    def settings_path(self) -> Path:
        return self.root / "pelicanconf.py"

    @property
    def env(self) -> dict[str, str]:
        return {"MASTHEAD_SECRET": SECRET, "MASTHEAD_SMTP_PORT": str(self.smtp_port)}

    def settings(self) -> SendSettings:
        return load_settings(self.settings_path, environ=self.env)

    def store(self) -> Store:
        return Store(self.settings().store_path)

    def build(self, number: int = 1, status: str = "published") -> Path:
        """Write output/editions/<number>/ as the build would."""
        source = self.root / "content" / "issues" / f"{number:03}.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        if not source.exists():
            source.write_text(f"---\nnumber: {number}\ndate: 2026-11-24\n---\nWelcome.\n")
        directory = self.root / "output" / "editions" / str(number)
        directory.mkdir(parents=True, exist_ok=True)
        long = " ".join(f"word{i}" for i in range(400))  # one line far over 998 octets
        files = {
            "email.html": HTML.format(number=number, long=long).encode(),
            "email.txt": TEXT.format(number=number, long=long).encode(),
        }
        for name, data in files.items():
            (directory / name).write_bytes(data)
        meta = edition_json(number, status, files, {source.relative_to(self.root): source})
        (directory / "edition.json").write_text(json.dumps(meta, indent=2))
        return directory

    def add(self, *addresses: str, status: str = "active") -> None:
        with self.store() as store:
            for address in addresses:
                store.add_subscriber(address, status=status)


def edition_json(number: int, status: str, files: dict[str, bytes], sources: dict) -> dict:
    subject = f"Test Line #{number}: café and crumbs"
    return {
        "format": 1,
        "number": number,
        "date": "2026-11-24",
        "status": status,
        "subject": subject,
        "preheader": "A short preview",
        "web_url": f"https://test.example.org/issues/{number}/",
        "headers": {
            "Subject": subject,
            "From": "Test Line <newsletter@test.example.org>",
            "Reply-To": "editor@test.example.org",
            "To": "%%recipient%%",
            "List-Id": "Test Line <test.example.org>",
            "List-Unsubscribe": "<%%unsubscribe_url%%>, "
            "<mailto:newsletter@test.example.org?subject=UNSUBSCRIBE>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
        "unsubscribe_url_template": "https://test.example.org/service/unsubscribe?token={token}",
        "placeholders": {
            "recipient": {"token": "%%recipient%%"},
            "unsubscribe_url": {"token": "%%unsubscribe_url%%"},
        },
        "files": {"html": "email.html", "text": "email.txt"},
        "hashes": {name: sha256(data) for name, data in files.items()},
        "sources": {str(rel): sha256(path.read_bytes()) for rel, path in sources.items()},
        "built_at": "2026-11-22T22:40:00+00:00",
        "warnings": [],
    }


@dataclass
class Received:
    rcpt: str
    content: bytes
    sender: str = ""  # the envelope sender (MAIL FROM)

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


@dataclass
class ScriptedHandler:
    """Records every accepted message. `replies[address]` lists DATA replies to give, in
    order, before accepting ("drop" closes the connection during DATA); `rcpt_replies`
    likewise for RCPT TO, and `mail_replies` for MAIL FROM (whatever the sender)."""

    received: list[Received] = field(default_factory=list)
    replies: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rcpt_replies: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    mail_replies: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delay: float = 0.0
    on_data: Callable[[str], None] | None = None  # called with the recipient, before replying
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_replies:
            return self.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        scripted = self.rcpt_replies.get(address)
        if scripted:
            return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        rcpt = envelope.rcpt_tos[0]
        if self.on_data is not None:
            self.on_data(rcpt)
        with self.lock:
            self.attempts[rcpt] += 1
            scripted = self.replies.get(rcpt)
            reply = scripted.pop(0) if scripted else None
        if reply == "drop":
            server.transport.close()
            return "451 dropped"
        if reply:
            return reply
        with self.lock:
            self.received.append(Received(rcpt, envelope.original_content, envelope.mail_from))
        return "250 2.0.0 Ok: queued"

    def by_recipient(self) -> dict[str, list[Received]]:
        result: dict[str, list[Received]] = defaultdict(list)
        for item in self.received:
            result[item.rcpt].append(item)
        return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = ScriptedHandler()
    # aiosmtpd's Controller connects to its own port to check it started: port 0 cannot work.
    handler.port = free_port()  # type: ignore[attr-defined]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)  # type: ignore[attr-defined]
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def newsletter(tmp_path: Path, smtp_server: ScriptedHandler) -> Newsletter:
    (tmp_path / "pelicanconf.py").write_text(SETTINGS_FILE)
    return Newsletter(tmp_path, smtp_server.port)  # type: ignore[attr-defined]


@pytest.fixture
def bare_newsletter(tmp_path: Path) -> Newsletter:
    """A newsletter without an SMTP server (store, CSV, token and inbox tests)."""
    (tmp_path / "pelicanconf.py").write_text(SETTINGS_FILE)
    return Newsletter(tmp_path)
