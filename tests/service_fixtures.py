"""The subscription service as a reader meets it: `publish.py serve` in a subprocess on
127.0.0.1, its confirmation emails caught by the real aiosmtpd server of delivery_fixtures.

Use with `pytest_plugins = ["delivery_fixtures", "service_fixtures"]`.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from delivery_fixtures import SECRET, Received, ScriptedHandler, free_port

from delivery.settings import load_settings
from delivery.store import Store
from tests.conftest import MINIMAL, ROOT, write_tree

CONFIRM_LINK = re.compile(r"(https?://\S+/confirm\?token=[A-Za-z0-9_.-]+)")

# The repository's settings with this directory's content, output and store, and the
# service_url of the test server: the archive's form and the editions point at it.
SETTINGS = """
import sys
sys.path.insert(0, {root!r})
from pelicanconf import *

PATH = {content!r}
OUTPUT_PATH = {output!r}
THEME = {theme!r}
PLUGIN_PATHS = [{plugins!r}]
NEWSLETTER = {{**NEWSLETTER, "service_url": {service_url!r}, "store": "subscribers.db"}}
NEWSLETTER["smtp"] = {{**NEWSLETTER["smtp"], "rate": 0, "connections": 1}}
"""


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def request(method: str, url: str, body: bytes | str = b"", headers: dict | None = None) -> Reply:
    """One HTTP request, no redirects followed, no cookies kept: what a mail provider does."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    target = parts.path + ("?" + parts.query if parts.query else "")
    data = body.encode() if isinstance(body, str) else body
    sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    try:
        connection.request(method, target, body=data or None, headers=sent if data else {})
        response = connection.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        connection.close()


@dataclass
class Service:
    """A newsletter directory with its settings file, and `publish.py serve` running on it."""

    root: Path
    port: int
    smtp: ScriptedHandler
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    secret: str = SECRET
    smtp_port: int | None = None  # another SMTP server than `smtp` (a hung one)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.py"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MASTHEAD_SECRET": SECRET,
            "MASTHEAD_DB": str(self.root / "subscribers.db"),
            "MASTHEAD_SMTP_HOST": "127.0.0.1",
            "MASTHEAD_SMTP_PORT": str(self.smtp_port or self.smtp.port),  # type: ignore[attr-defined]
            "MASTHEAD_SMTP_SECURITY": "none",
            **self.extra_env,
        }

    def store(self) -> Store:
        return Store(load_settings(self.settings_path, environ=self.env).store_path)

    def status(self, address: str) -> str | None:
        with self.store() as store:
            subscriber = store.get(address)
        return subscriber.status if subscriber else None

    def wait_for_status(self, address: str, status: str | None, timeout: float = 10) -> None:
        """Subscribe requests are applied in the background: wait until this one was."""
        deadline = time.monotonic() + timeout
        while self.status(address) != status:
            if time.monotonic() > deadline:
                pytest.fail(f"{address} is {self.status(address)}, not {status}")
            time.sleep(0.05)

    def publish(self, *args: str) -> subprocess.CompletedProcess:
        """`python publish.py --settings settings.py ARGS` with the service's environment."""
        command = [sys.executable, "publish.py", "--settings", str(self.settings_path), *args]
        return subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )

    def start(self, *options: str) -> None:
        self.store().close()  # serve refuses a missing store: make it as `subscribers add` would
        log = (self.root / "serve.log").open("w")
        command = [sys.executable, "publish.py", "--settings", str(self.settings_path)]
        self.process = subprocess.Popen(
            [*command, "serve", "--port", str(self.port), *options],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                pytest.fail(f"serve exited: {(self.root / 'serve.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"serve did not listen within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def get(self, path: str) -> Reply:
        return request("GET", self.url + path)

    def post(self, path: str, body: bytes | str = b"", **headers: str) -> Reply:
        return request("POST", self.url + path, body, headers)

    def mail_to(self, address: str, count: int = 1, timeout: float = 15) -> list[Received]:
        """Wait until `count` messages reached `address` at the SMTP server."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.smtp.received if r.rcpt.lower() == address.lower()]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        pytest.fail(f"no message for {address} within {timeout} s")

    def confirm_link(self, address: str) -> str:
        text = self.mail_to(address)[-1].message.get_body(("plain",)).get_content()
        return CONFIRM_LINK.search(text).group(1)  # type: ignore[union-attr]


def write_settings(root: Path, service_url: str) -> Path:
    path = root / "settings.py"
    path.write_text(
        SETTINGS.format(
            root=str(ROOT),
            content=str(root / "content"),
            output=str(root / "output"),
            theme=str(ROOT / "theme"),
            plugins=str(ROOT / "plugins"),
            service_url=service_url,
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def newsletter_service(tmp_path: Path, smtp_server: ScriptedHandler):
    """A function: write MINIMAL (built when `build=True`), then start the service on it
    with the given `serve` options."""
    service = Service(tmp_path, free_port(), smtp_server)
    write_settings(tmp_path, service.url)
    write_tree(tmp_path, MINIMAL)

    def start(*options: str, build: bool = False) -> Service:
        if build:
            from masthead import build as site

            site.build(service.settings_path, tmp_path / "output")
        service.start(*options)
        return service

    start.service = service  # type: ignore[attr-defined]  # to configure before starting
    yield start
    service.stop()


@pytest.fixture
def service(newsletter_service) -> Service:
    return newsletter_service()
