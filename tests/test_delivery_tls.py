"""SMTP security against a real aiosmtpd server with a certificate: STARTTLS and implicit
TLS, both with a login, and the one-line errors for a bad password or an untrusted server."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from delivery_fixtures import SETTINGS_FILE, Newsletter, ScriptedHandler, free_port

from delivery.cli import cli

TLS = Path(__file__).parent / "tls"
USER, PASSWORD = "news", "correct horse battery"


class SecureHandler(ScriptedHandler):
    """Also records whether each accepted message came over TLS and after a login."""

    sessions: list

    async def handle_DATA(self, server, session, envelope):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((encrypted, session.authenticated))
        return await super().handle_DATA(server, session, envelope)


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(
        USER.encode(), PASSWORD.encode()
    )
    return AuthResult(success=good, handled=False)


@pytest.fixture(params=["starttls", "tls"])
def secure_server(request):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
    handler = SecureHandler()
    handler.sessions = []
    port = free_port()
    options = {"authenticator": check_login}
    if request.param == "starttls":
        options |= {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    else:
        # Already encrypted from the first byte; aiosmtpd's auth_require_tls only knows
        # STARTTLS and would hide AUTH here.
        options |= {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield request.param, port, handler
    controller.stop()


def send(tmp_path: Path, security: str, port: int, password: str = PASSWORD, trust=True):
    (tmp_path / "pelicanconf.py").write_text(SETTINGS_FILE)
    newsletter = Newsletter(tmp_path, port)
    newsletter.build(1)
    newsletter.add("ada@example.org")
    env = {
        **newsletter.env,
        "MASTHEAD_SMTP_SECURITY": security,
        "MASTHEAD_SMTP_USER": USER,
        "MASTHEAD_SMTP_PASSWORD": password,
        # The client trusts the test certificate the way a user points it at a private CA.
        "SSL_CERT_FILE": str(TLS / "cert.pem") if trust else str(TLS / "README.md"),
    }
    args = ["--settings", str(newsletter.settings_path), "send", "1", "--yes"]
    return newsletter, CliRunner().invoke(cli, args, env=env)


def test_send_over_tls_with_a_login(tmp_path, secure_server):
    security, port, handler = secure_server
    newsletter, result = send(tmp_path, security, port)
    assert result.exit_code == 0, result.output
    assert [r.rcpt for r in handler.received] == ["ada@example.org"]
    assert handler.sessions == [(True, True)]  # encrypted, then logged in
    assert newsletter.store().delivery_counts(1).get("sent") == 1


def test_a_wrong_password_is_one_line_and_sends_nothing(tmp_path, secure_server):
    security, port, handler = secure_server
    newsletter, result = send(tmp_path, security, port, password="wrong")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output
    assert handler.received == []
    assert newsletter.store().delivery_counts(1).get("sent", 0) == 0


def test_an_untrusted_certificate_is_refused(tmp_path, secure_server):
    security, port, handler = secure_server
    _, result = send(tmp_path, security, port, trust=False)
    assert result.exit_code == 1
    assert "certificate" in result.output.lower(), result.output
    assert handler.received == []
