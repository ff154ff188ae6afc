"""The WSGI application in-process: routing under a proxy prefix, HEAD, the limiter, the
confirmation message, and the errors `publish.py serve` turns into one line."""

from __future__ import annotations

import io
import socket
import sys
from email import message_from_bytes, policy

import pytest

from delivery.errors import SettingsError
from delivery.outbox import Outbox
from delivery.ratelimit import SlidingWindow
from delivery.service import FALLBACK_CSS, SubscriptionService, read_stylesheet
from delivery.tokens import UNSUBSCRIBE, make_token

pytest_plugins = ["delivery_fixtures"]


class Mailbox:
    """A Messenger that keeps what it is given: (recipient, message)."""

    def __init__(self):
        self.posted: list[tuple[str, bytes]] = []

    def push(self, sender: str, recipient: str, message: bytes) -> str:
        self.posted.append((recipient, message))
        return "250 kept"

    def close(self) -> None:
        pass


def call(app, method, path, query="", body=b"", addr="10.0.0.1", kind=""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": kind or "application/x-www-form-urlencoded",
        "REMOTE_ADDR": addr,
        "wsgi.input": io.BytesIO(body),
    }
    answer: dict = {}

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))

    answer["body"] = b"".join(app(environ, start_response))
    return answer


@pytest.fixture
def app(bare_newsletter):
    settings = bare_newsletter.settings()  # service_url https://test.example.org/service
    mailbox, store = Mailbox(), bare_newsletter.store()
    outbox = Outbox(settings, store, messenger_factory=lambda: mailbox, settle=0)
    service = SubscriptionService(settings, store, outbox)
    service.mailbox = mailbox  # type: ignore[attr-defined]
    return service


def test_routes_work_with_and_without_the_proxy_prefix(app):
    token = make_token(app.secret, UNSUBSCRIBE, "a@example.org")
    for path in ("/unsubscribe", "/service/unsubscribe"):
        answer = call(app, "GET", path, f"token={token}")
        assert answer["status"] == "200 OK"
        assert f'action="unsubscribe?token={token}"' in answer["body"].decode()
    assert call(app, "GET", "/elsewhere/unsubscribe")["status"] == "404 Not Found"


def test_head_answers_like_get_without_a_body(app):
    answer = call(app, "HEAD", "/style.css")
    assert answer["status"] == "200 OK" and answer["body"] == b""
    assert int(answer["headers"]["Content-Length"]) > 0


def test_subscribe_queues_one_confirmation_and_limits_per_address(app):
    for client in range(5):  # five clients ask for the same inbox
        call(app, "POST", "/subscribe", body=b"address=x%40example.org", addr=f"10.0.0.{client}")
    assert app.store.mail_counts()["queued"] == 5  # kept before each answer
    assert app.outbox.send_due()
    assert [a for a, _ in app.mailbox.posted] == ["x@example.org"] * 3  # 3 per hour
    assert app.store.mail_counts() == {"queued": 0, "done": 5, "failed": 0}


def test_sliding_window_forgets_old_events_and_says_how_long_to_wait():
    now = [1000.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    assert window.hit("a") == window.hit("a") == 0
    assert window.hit("a") == 60
    assert window.hit("b") == 0  # per key
    now[0] += 30
    assert window.hit("a") == 30
    now[0] += 31
    assert window.hit("a") == 0


def test_sliding_window_memory_is_bounded():
    window = SlidingWindow(1, 60, max_keys=100)
    for client in range(1000):
        window.hit(f"10.0.{client // 256}.{client % 256}")
    assert len(window._events) == 100


def test_confirmation_message_headers(bare_newsletter):
    from delivery.confirmations import confirmation_message

    settings = bare_newsletter.settings()
    raw = confirmation_message(settings, "ada@example.org", "TOKEN.SIG")
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = message_from_bytes(raw, policy=policy.default)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header], header
    assert "https://test.example.org/service/confirm?token=TOKEN.SIG" in message.get_content()


def test_stylesheet_falls_back_when_the_theme_is_missing(tmp_path):
    assert read_stylesheet(tmp_path) == FALLBACK_CSS


def test_serve_needs_the_secret(bare_newsletter):
    from click.testing import CliRunner

    from publish import cli

    env = {"MASTHEAD_SECRET": ""}
    result = CliRunner().invoke(
        cli, ["--settings", str(bare_newsletter.settings_path), "serve"], env=env
    )
    assert result.exit_code == 2
    assert "MASTHEAD_SECRET is not set" in result.output


def test_serve_on_a_port_in_use_is_one_line(bare_newsletter):
    import subprocess

    from tests.conftest import ROOT

    bare_newsletter.store().close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = str(bare_newsletter.settings_path)
        result = subprocess.run(
            [sys.executable, "publish.py", "--settings", settings, "serve", "--port", str(port)],
            cwd=ROOT,
            env={**bare_newsletter.env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_error_without_secret(bare_newsletter):
    from delivery.service import make_app

    settings = bare_newsletter.settings()
    with pytest.raises(SettingsError):
        make_app(type(settings)(**{**settings.__dict__, "secret": None}))


@pytest.mark.parametrize(
    "query, body, kind",
    [
        ("token=a.b&" + "x=1&" * 30, b"", "application/x-www-form-urlencoded"),
        ("", b"address=\xff\xfe", "application/x-www-form-urlencoded"),
        (
            "",
            b"--B\r\nContent-Type: multipart/mixed\r\n\r\n--B--",
            "multipart/form-data; boundary=B",
        ),
    ],
    ids=["too-many-query-fields", "not-utf-8", "nested-multipart"],
)
def test_odd_requests_are_400_not_500(app, query, body, kind):
    environ_path = "/unsubscribe" if query else "/subscribe"
    answer = call(app, "POST", environ_path, query, body, kind=kind)
    assert answer["status"].startswith("400"), answer


@pytest.mark.parametrize("later", ["unsubscribed", "bounced"])
def test_an_old_confirm_link_answers_the_same_and_changes_nothing(app, later):
    from delivery.tokens import CONFIRM

    call(app, "POST", "/subscribe", body=b"address=ada%40example.org")
    app.outbox.send_due()
    token = make_token(app.secret, CONFIRM, "ada@example.org")
    confirmed = call(app, "POST", "/confirm", f"token={token}")
    app.store.set_status("ada@example.org", later)
    again = call(app, "POST", "/confirm", f"token={token}")
    assert (again["status"], again["body"]) == (confirmed["status"], confirmed["body"])
    assert app.store.get("ada@example.org").status == later
