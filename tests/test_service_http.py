"""The subscription service over real HTTP: `publish.py serve` in a subprocess on 127.0.0.1,
confirmation emails caught by a real aiosmtpd server."""

from __future__ import annotations

import time

import pytest

from delivery.tokens import CONFIRM, UNSUBSCRIBE, make_token
from tests.conftest import ROOT

pytest_plugins = ["delivery_fixtures", "service_fixtures"]
SECRET = "test-secret-0123456789-abcdef"  # delivery_fixtures.SECRET (imported, it could
# not be assertion-rewritten as a plugin)

ONE_CLICK = "List-Unsubscribe=One-Click"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def add(service, address: str, status: str = "active") -> None:
    with service.store() as store:
        store.add_subscriber(address, status=status)


def assert_refused(reply, words: str) -> None:
    assert reply.status == 400
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert words in reply.text


def test_one_click_post_unsubscribes_without_cookie_or_redirect(service):
    add(service, "ada@example.org")
    token = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    reply = service.post(f"/unsubscribe?token={token}", ONE_CLICK)
    assert reply.status == 200
    assert reply.headers["Set-Cookie"] is None and reply.headers["Location"] is None
    assert "You are unsubscribed" in reply.text
    assert service.status("ada@example.org") == "unsubscribed"
    again = service.post(f"/unsubscribe?token={token}", ONE_CLICK)  # idempotent
    assert (again.status, again.body) == (200, reply.body)


def test_one_click_accepts_multipart_form_data(service):
    # RFC 8058 says providers SHOULD post multipart/form-data.
    add(service, "bo@example.org")
    token = make_token(SECRET, UNSUBSCRIBE, "bo@example.org")
    body = (
        '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        "One-Click\r\n--XyZ--\r\n"
    )
    reply = service.post(
        f"/unsubscribe?token={token}", body, **{"Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    assert reply.status == 200
    assert service.status("bo@example.org") == "unsubscribed"


def test_get_unsubscribe_shows_one_button_and_changes_nothing(service):
    add(service, "ada@example.org")
    token = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    for _ in range(3):  # a link scanner opening it, several times
        reply = service.get(f"/unsubscribe?token={token}")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.text.count("<button") == 1
    assert f'method="post" action="unsubscribe?token={token}"' in reply.text
    assert service.status("ada@example.org") == "active"
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers[name] == value
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    assert "script-src" not in policy  # no script allowed at all (default-src 'none')
    # The button posts back and unsubscribes, as the form in a browser would.
    assert service.post(f"/unsubscribe?token={token}", ONE_CLICK).status == 200
    assert service.status("ada@example.org") == "unsubscribed"


def forged(address: str) -> str:
    return make_token("another-secret-0123456789", UNSUBSCRIBE, address)


def altered(address: str) -> str:
    # Someone else's valid signature on a payload naming the victim.
    victim = make_token(SECRET, UNSUBSCRIBE, address).split(".")[0]
    return victim + "." + make_token(SECRET, UNSUBSCRIBE, "me@example.org").split(".")[1]


def flipped(address: str) -> str:
    token = make_token(SECRET, UNSUBSCRIBE, address)
    return token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]


@pytest.mark.parametrize(
    "make, words",
    [
        (forged, "signature does not match"),
        (altered, "signature does not match"),
        (flipped, "signature does not match"),
        (lambda a: make_token(SECRET, CONFIRM, a), "meant to confirm, not to unsubscribe"),
        (lambda a: "not-a-token", "not a Masthead token"),
        (lambda a: "", "token missing"),
    ],
    ids=["forged", "altered-payload", "altered-signature", "wrong-purpose", "garbage", "none"],
)
def test_bad_unsubscribe_tokens_are_refused_in_plain_text(service, make, words):
    add(service, "ada@example.org")
    token = make("ada@example.org")
    assert_refused(service.get(f"/unsubscribe?token={token}"), words)
    assert_refused(service.post(f"/unsubscribe?token={token}", ONE_CLICK), words)
    assert service.status("ada@example.org") == "active"


def test_an_unsubscribe_token_cannot_confirm_and_old_confirm_links_expire(service):
    add(service, "pat@example.org", status="pending")
    unsubscribe = make_token(SECRET, UNSUBSCRIBE, "pat@example.org")
    assert_refused(service.get(f"/confirm?token={unsubscribe}"), "meant to unsubscribe")
    assert_refused(service.post(f"/confirm?token={unsubscribe}"), "meant to unsubscribe")
    old = make_token(SECRET, CONFIRM, "pat@example.org", now=time.time() - 8 * 24 * 3600)
    assert_refused(service.post(f"/confirm?token={old}"), "expired")
    assert service.status("pat@example.org") == "pending"


def test_subscribe_then_confirm_from_the_email(service):
    reply = service.post("/subscribe", "address=New.Reader%40Example.org&name=New+Reader")
    assert reply.status == 200 and "Check your inbox" in reply.text
    service.wait_for_status("new.reader@example.org", "pending")

    message = service.mail_to("new.reader@example.org")[0].message
    assert message["To"] == "New.Reader@example.org"  # the domain is lower-cased only
    assert message["From"] == "Front Line <newsletter@frontline.example.org>"
    assert message["Subject"] == "Front Line: confirm your subscription"
    assert message["Date"] and message["Message-ID"].endswith("@frontline.example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    link = service.confirm_link("new.reader@example.org")
    assert link.startswith(f"{service.url}/confirm?token=")

    page = service.get(link[len(service.url) :])
    assert page.status == 200 and page.text.count("<button") == 1
    assert service.status("new.reader@example.org") == "pending"  # GET changed nothing
    done = service.post(link[len(service.url) :], ONE_CLICK)
    assert done.status == 200 and "Subscription confirmed" in done.text
    assert service.status("new.reader@example.org") == "active"


def test_known_and_unknown_addresses_get_byte_identical_answers(service):
    add(service, "active@example.org")
    add(service, "pending@example.org", status="pending")
    add(service, "left@example.org", status="unsubscribed")
    replies = [
        service.post("/subscribe", f"address={address}%40example.org")
        for address in ("stranger", "active", "pending", "left")
    ]
    first = replies[0]
    for reply in replies:
        assert reply.status == first.status == 200
        assert reply.body == first.body
        drop = {"Date"}
        assert [h for h in reply.headers.items() if h[0] not in drop] == [
            h for h in first.headers.items() if h[0] not in drop
        ]
    service.wait_for_status("left@example.org", "pending")
    service.wait_for_status("stranger@example.org", "pending")
    assert service.status("active@example.org") == "active"  # not demoted to pending


def test_honeypot_gets_the_same_page_and_nothing_happens(service):
    real = service.post("/subscribe", "address=human%40example.org")
    bot = service.post("/subscribe", "address=bot%40example.org&website=http%3A%2F%2Fspam")
    assert (bot.status, bot.body) == (real.status, real.body)
    service.mail_to("human@example.org")  # the real one's email arrived...
    time.sleep(0.5)
    assert service.status("bot@example.org") is None  # ...the bot is not stored, not mailed
    assert not [r for r in service.smtp.received if r.rcpt == "bot@example.org"]


def test_rate_limit_per_client(service):
    for number in range(5):
        assert service.post("/subscribe", f"address=r{number}%40example.org").status == 200
    reply = service.post("/subscribe", "address=r9%40example.org")
    assert reply.status == 429
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert 0 < int(reply.headers["Retry-After"]) <= 600
    assert service.status("r9@example.org") is None


def from_client(service, address: str):
    return service.post(
        "/subscribe", "address=x%40example.org&website=bot", **{"X-Forwarded-For": address}
    )


def test_behind_a_trusted_proxy_the_limit_counts_forwarded_clients(newsletter_service):
    service = newsletter_service("--trusted-proxy", "127.0.0.1")
    for number in range(6):  # six readers behind the same proxy
        assert from_client(service, f"198.51.100.{number}").status == 200
    replies = [from_client(service, "203.0.113.9").status for _ in range(6)]
    assert replies == [200] * 5 + [429]


def test_without_a_trusted_proxy_forwarded_for_is_ignored(service):
    replies = [from_client(service, f"198.51.100.{number}").status for number in range(6)]
    assert replies == [200] * 5 + [429]  # a client cannot dodge the limit by claiming others


def test_oversize_body_is_refused_with_413(service):
    big = "address=a%40example.org&name=" + "x" * 5000
    assert service.post("/subscribe", big).status == 413
    token = make_token(SECRET, UNSUBSCRIBE, "a@example.org")
    assert service.post(f"/unsubscribe?token={token}", "x" * 5000).status == 413
    assert service.status("a@example.org") is None


@pytest.mark.parametrize(
    "body, problem",
    [
        ("address=not-an-address", "is not an email address we can send to"),
        ("address=", "Please give your email address"),
        ("address=a%40example.org&name=" + "n" * 101, "too long"),
        ("address=" + "a" * 250 + "%40example.org", "too long"),
    ],
)
def test_form_problems_get_a_page_saying_what_to_fix(service, body, problem):
    reply = service.post("/subscribe", body)
    assert reply.status == 400
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert problem in reply.text


def test_unknown_paths_and_methods(service):
    reply = service.get("/admin")
    assert reply.status == 404 and reply.headers["Content-Type"].startswith("text/plain")
    reply = service.get("/subscribe")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")
    reply = service.post("/style.css")
    assert (reply.status, reply.headers["Allow"]) == (405, "GET, HEAD")


def test_pages_use_the_archives_stylesheet(service):
    token = make_token(SECRET, UNSUBSCRIBE, "ada@example.org")
    assert (
        '<link rel="stylesheet" href="style.css">'
        in service.get(f"/unsubscribe?token={token}").text
    )
    css = service.get("/style.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert css.body == (ROOT / "theme/static/css/style.css").read_bytes()


def test_stopping_the_service_still_sends_the_confirmations_it_promised(service):
    service.smtp.delay = 1.0  # the email is in flight when the service is told to stop
    assert service.post("/subscribe", "address=late%40example.org").status == 200
    time.sleep(0.2)
    service.process.terminate()  # SIGTERM, as systemd stops it
    assert service.process.wait(15) == 0
    assert service.mail_to("late@example.org", timeout=1)
    assert "stopped" in (service.root / "serve.log").read_text()
