"""The service under a hung SMTP server, slow clients and a rotated secret, over real
sockets against `publish.py serve` (waitress) in a subprocess."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from delivery.errors import SettingsError, TokenError
from delivery.outbox import MAX_ATTEMPTS, Outbox
from delivery.service import SubscriptionService
from delivery.settings import load_settings
from delivery.store import Store
from delivery.tokens import CONFIRM, UNSUBSCRIBE, make_token, verify_token
from delivery.transports import PermanentFailure, TransientFailure
from masthead import build as site
from tests.test_service_app import call

pytest_plugins = ["delivery_fixtures", "service_fixtures"]
SECRET = "test-secret-0123456789-abcdef"  # service_fixtures' MASTHEAD_SECRET


class HungSmtp:
    """Accepts TCP connections and never says a word (no 220 greeting)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:  # closed
                return

    def close(self) -> None:
        # shutdown first: close alone leaves a thread blocked in accept() holding the port.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def hung_smtp():
    server = HungSmtp()
    yield server
    server.close()


def quick_smtp_timeout(service) -> None:
    # One attempt gives up after 1 s here (10 s in production), to keep the test short.
    with service.settings_path.open("a") as settings:
        settings.write('NEWSLETTER["smtp"]["timeout"] = 1\n')


def subscribe_many(service, count: int, prefix: str) -> list[str]:
    addresses = [f"{prefix}{i:03}@example.org" for i in range(count)]
    for i, address in enumerate(addresses):
        forwarded = {"X-Forwarded-For": f"10.1.{i // 250}.{i % 250}"}  # one client each
        reply = service.post("/subscribe", f"address={address}", **forwarded)
        assert reply.status == 200 and "Check your inbox" in reply.text
    return addresses


def queued(service) -> int:
    with service.store() as store:
        return store.mail_counts()["queued"]


def stop_within(service, seconds: float) -> None:
    service.process.terminate()  # SIGTERM, as systemd stops it
    assert service.process.wait(seconds) == 0


def test_a_hung_smtp_server_loses_nothing_and_mail_flows_when_it_recovers(
    newsletter_service, hung_smtp
):
    service = newsletter_service.service
    service.smtp_port = hung_smtp.port
    quick_smtp_timeout(service)
    newsletter_service("--trusted-proxy", "127.0.0.1")
    addresses = subscribe_many(service, 40, "hung")
    assert queued(service) == 40  # every answered request is in the store
    time.sleep(2.5)  # attempts time out against the silent server; the outbox pauses
    assert service.smtp.received == [] and queued(service) == 40

    hung_smtp.close()  # the server recovers, on the same port
    controller = Controller(service.smtp, hostname="127.0.0.1", port=hung_smtp.port)
    controller.start()
    try:
        for address in addresses:
            service.mail_to(address, timeout=30)
    finally:
        controller.stop()
    assert sorted(r.rcpt for r in service.smtp.received) == addresses  # one each
    with service.store() as store:
        assert store.mail_counts() == {"queued": 0, "done": 40, "failed": 0}
        assert {store.get(a).status for a in addresses} == {"pending"}


def test_what_a_hung_server_kept_back_goes_out_at_the_next_start(newsletter_service, hung_smtp):
    service = newsletter_service.service
    service.smtp_port = hung_smtp.port
    quick_smtp_timeout(service)
    newsletter_service("--trusted-proxy", "127.0.0.1")
    addresses = subscribe_many(service, 10, "restart")
    time.sleep(1.0)  # the first attempt is under way against the silent server
    stop_within(service, 15)  # it does not wait for a server that never answers
    assert queued(service) == 10

    service.smtp_port = None  # started again with a working server
    newsletter_service()
    for address in addresses:
        service.mail_to(address, timeout=30)
    assert len(service.smtp.received) == 10


def test_slow_header_clients_do_not_starve_the_service(service):
    slow = []
    try:
        for _ in range(200):  # more than waitress's default connection limit (100)
            client = socket.create_connection(("127.0.0.1", service.port), timeout=5)
            client.sendall(b"POST /subscribe HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never ends
            slow.append(client)
        time.sleep(0.5)  # all of them accepted and waiting for the rest of their header
        reply = service.get("/style.css")  # a reader meanwhile (10 s timeout)
        assert reply.status == 200 and reply.body
        token = make_token(SECRET, UNSUBSCRIBE, "nobody@example.org")
        assert (
            service.post(f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click").status == 200
        )
    finally:
        for client in slow:
            client.close()


def test_links_signed_with_a_previous_secret_still_work(newsletter_service):
    old, older = "old-secret-0123456789-abcdef", "older-secret-0123456789-abcdef"
    service = newsletter_service.service
    service.extra_env = {"MASTHEAD_SECRET_PREVIOUS": f"{old}, {older}"}
    newsletter_service()
    with service.store() as store:
        for address in ("ada@example.org", "bo@example.org", "cy@example.org"):
            store.add_subscriber(address)
    for secret, address in ((old, "ada@example.org"), (older, "bo@example.org")):
        token = make_token(secret, UNSUBSCRIBE, address)
        assert service.get(f"/unsubscribe?token={token}").status == 200
        assert (
            service.post(f"/unsubscribe?token={token}", "List-Unsubscribe=One-Click").status == 200
        )
        assert service.status(address) == "unsubscribed"
    forged = make_token("never-our-secret-0123456789", UNSUBSCRIBE, "cy@example.org")
    reply = service.post(f"/unsubscribe?token={forged}", "List-Unsubscribe=One-Click")
    assert reply.status == 400 and "signature does not match" in reply.text
    assert service.status("cy@example.org") == "active"

    # New links are signed with the current secret only.
    service.post("/subscribe", "address=new%40example.org")
    token = service.confirm_link("new@example.org").split("token=")[1]
    assert verify_token(SECRET, token, CONFIRM).address == "new@example.org"
    with pytest.raises(TokenError, match="signature does not match"):
        verify_token((old, older), token, CONFIRM)


# -- in-process: the outbox's rules, the request's store work ------------------------------


class Scripted:
    """A Messenger answering from a script: a reply, or an exception to raise."""

    def __init__(self, *script):
        self.script, self.pushed = list(script), []

    def push(self, sender: str, recipient: str, message: bytes) -> str:
        self.pushed.append(recipient)
        step = self.script.pop(0) if self.script else "250 ok"
        if isinstance(step, Exception):
            raise step
        return step

    def close(self) -> None:
        pass


@pytest.fixture
def outbox_of(bare_newsletter):
    def make(*script) -> tuple[Outbox, Scripted]:
        messenger = Scripted(*script)
        store = bare_newsletter.store()
        outbox = Outbox(bare_newsletter.settings(), store, lambda: messenger, settle=0)
        outbox.composers["note"] = lambda mail: f"To: {mail.address}\r\n\r\nhi\r\n".encode()
        return outbox, messenger

    return make


def due_now(outbox: Outbox) -> None:
    with outbox.store.transaction() as db:
        db.execute("UPDATE outbox SET due_at = 0")


def test_a_4xx_is_retried_with_backoff_then_given_up(outbox_of):
    outbox, messenger = outbox_of(*[TransientFailure("451 later")] * MAX_ATTEMPTS)
    outbox.add("note", "ada@example.org")
    outbox.send_due()
    assert outbox.store.mail_counts()["queued"] == 1
    assert not outbox.send_due()  # not due again yet: it waits (30 s, then longer)
    for _ in range(MAX_ATTEMPTS - 1):
        due_now(outbox)
        outbox.send_due()
    assert len(messenger.pushed) == MAX_ATTEMPTS
    assert outbox.store.mail_counts() == {"queued": 0, "done": 0, "failed": 1}


def test_a_5xx_fails_at_once_and_the_next_email_still_goes(outbox_of):
    outbox, messenger = outbox_of(PermanentFailure("550 no such user"), "250 ok")
    outbox.add("note", "gone@example.org")
    outbox.add("note", "ada@example.org")
    outbox.send_due()
    assert messenger.pushed == ["gone@example.org", "ada@example.org"]
    assert outbox.store.mail_counts() == {"queued": 0, "done": 1, "failed": 1}


def test_an_unreachable_server_pauses_everything_and_counts_no_attempt(outbox_of):
    down = TransientFailure("cannot connect", connecting=True)
    outbox, messenger = outbox_of(down, down)
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        outbox.add("note", address)
    outbox.send_due()
    assert messenger.pushed == ["a@example.org"] and outbox.paused  # b and c not tried
    outbox._paused_until = 0  # the pause is over
    outbox.send_due()
    outbox._paused_until = 0
    outbox.send_due()
    assert messenger.pushed == ["a@example.org"] * 2 + [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert outbox.store.mail_counts()["done"] == 3


def test_a_kind_without_composer_fails_and_unknown_kinds_never_block(outbox_of):
    outbox, messenger = outbox_of()
    outbox.add("welcome", "ada@example.org")
    outbox.add("note", "bo@example.org")
    outbox.send_due()
    assert messenger.pushed == ["bo@example.org"]
    assert outbox.store.mail_counts() == {"queued": 0, "done": 1, "failed": 1}


def test_subscribe_does_the_same_store_work_for_known_and_unknown_addresses(bare_newsletter):
    store = bare_newsletter.store()
    store.add_subscriber("known@example.org")
    app = SubscriptionService(
        bare_newsletter.settings(), store, Outbox(bare_newsletter.settings(), store)
    )
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    work = {}
    for n, address in enumerate(["known", "unknown"]):
        statements.clear()
        body = f"address={address}%40example.org".encode()
        assert call(app, "POST", "/subscribe", body=body, addr=f"10.0.0.{n}")["status"] == "200 OK"
        work[address] = [sql.split(" VALUES ")[0] for sql in statements]
    assert work["known"] == work["unknown"]
    assert work["known"] == [
        "BEGIN IMMEDIATE",
        "INSERT INTO outbox (kind, address, name, due_at, created_at, updated_at, choice)",
        "COMMIT",
    ]


def test_previous_secrets_are_read_comma_separated_and_checked(bare_newsletter):
    env = {
        **bare_newsletter.env,
        "MASTHEAD_SECRET_PREVIOUS": " first-old-secret-0123456789 ,second-old-secret-0123456789,",
    }
    settings = load_settings(bare_newsletter.settings_path, environ=env)
    assert settings.verifying_secrets() == (
        SECRET,
        "first-old-secret-0123456789",
        "second-old-secret-0123456789",
    )
    short = load_settings(
        bare_newsletter.settings_path,
        environ={**bare_newsletter.env, "MASTHEAD_SECRET_PREVIOUS": "short"},
    )
    with pytest.raises(SettingsError, match="MASTHEAD_SECRET_PREVIOUS holds a secret of 5"):
        short.verifying_secrets()


def test_old_finished_emails_are_pruned_and_queued_ones_kept(outbox_of):
    outbox, _ = outbox_of()
    for address in ("old@example.org", "new@example.org", "waiting@example.org"):
        outbox.add("note", address)
    with outbox.store.transaction() as db:
        db.execute("UPDATE outbox SET status = 'done' WHERE address != 'waiting@example.org'")
        db.execute(
            "UPDATE outbox SET updated_at = '2020-01-01T00:00:00+00:00'"
            " WHERE address IN ('old@example.org', 'waiting@example.org')"
        )
    assert outbox.store.prune_mail(30) == 1
    assert outbox.store.mail_counts() == {"queued": 1, "done": 1, "failed": 0}


def test_a_welcome_refused_once_with_421_is_sent_on_the_retry(newsletter_service, tmp_path):
    """`welcomed` is recorded when the outbox has sent the welcome, not when it was made: a
    4xx (or a server down) must not turn the retry into "nothing to send"."""
    (tmp_path / "content" / "pages" / "welcome.md").write_text("Title: Hello\n\nWelcome.\n")
    service = newsletter_service.service
    site.build(service.settings_path, tmp_path / "output")
    settings = load_settings(service.settings_path, environ=service.env)
    store = Store(settings.store_path)
    messenger = Scripted(TransientFailure("421 4.7.0 try again later"), "250 ok")
    outbox = Outbox(settings, store, lambda: messenger, settle=0)
    SubscriptionService(settings, store, outbox)
    store.add_subscriber("ada@example.org")
    outbox.add("welcome", "ada@example.org")
    outbox.send_due()
    assert not [e for e in store.events("ada@example.org") if e.kind == "welcomed"]
    with store.transaction() as db:
        db.execute("UPDATE outbox SET due_at = 0")
    outbox.send_due()
    assert messenger.pushed == ["ada@example.org"] * 2
    assert store.mail_counts() == {"queued": 0, "done": 1, "failed": 0}
    kinds = [e.kind for e in store.events("ada@example.org")]
    assert kinds.count("welcomed") == 1
    outbox.add("welcome", "ada@example.org")  # welcomed once ever: a later row sends nothing
    outbox.send_due()
    assert len(messenger.pushed) == 2
