"""Must show: the loop a reader lives, end to end over real HTTP and real SMTP.

Subscribe on the service, confirm from the email, receive the next edition (a real build of
MINIMAL, sent by `publish.py send`), unsubscribe in one click from the List-Unsubscribe
header of that edition, and receive nothing after.
"""

from __future__ import annotations

import re

pytest_plugins = ["delivery_fixtures", "service_fixtures"]

READER = "loop.reader@example.org"
BYSTANDER = "stays@example.org"  # another subscriber: the second send does happen


def editions(service, address: str) -> list:
    """Issues received by `address` (the confirmation email has no List-Id)."""
    return [r for r in service.smtp.received if r.rcpt == address and r.message["List-Id"]]


def test_subscribe_confirm_receive_unsubscribe_receive_nothing(newsletter_service):
    service = newsletter_service(build=True)  # editions 1 and 2 point at this service
    with service.store() as store:
        store.add_subscriber(BYSTANDER)

    # Subscribe as the archive's form does, then confirm from the email.
    reply = service.post("/subscribe", f"address={READER}&name=Loop+Reader&website=")
    assert reply.status == 200 and "Check your inbox" in reply.text
    link = service.confirm_link(READER)[len(service.url) :]
    assert service.get(link).status == 200
    assert service.post(link).status == 200
    assert service.status(READER) == "active"

    # The next edition reaches them.
    sent = service.publish("send", "1", "--yes")
    assert sent.returncode == 0, sent.stderr
    [copy] = editions(service, READER)
    message = copy.message
    assert message["Subject"].startswith("Front Line #1")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(http://[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert url.startswith(f"{service.url}/unsubscribe?token=")

    # One click, as Gmail does it: POST to the header's URL, no cookie, no redirect.
    one_click = service.post(url[len(service.url) :], "List-Unsubscribe=One-Click")
    assert one_click.status == 200
    assert one_click.headers["Set-Cookie"] is None and one_click.headers["Location"] is None
    assert service.status(READER) == "unsubscribed"

    # The following edition goes out, and not to them.
    sent = service.publish("send", "2", "--yes")
    assert sent.returncode == 0, sent.stderr
    assert len(editions(service, BYSTANDER)) == 2
    assert len(editions(service, READER)) == 1
