"""Must show (issue 14): a reader's whole loop with a series, over real HTTP (`publish.py
serve`, waitress) and real SMTP (aiosmtpd), on a real build.

Subscribe from the series page with catch-up, confirm, `send-due` delivers parts 1..k one
per run (catch_up_days = 0), the issue with part k+1 is sent: the follower gets that part
once, a whole-newsletter subscriber the issue; the follower leaves the series in one click
from the part's List-Unsubscribe, and gets nothing more.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

from tests.conftest import write_tree

pytest_plugins = ["delivery_fixtures", "service_fixtures"]

FOLLOWER = "series.reader@example.org"
READER = "every.issue@example.org"
FOUR_PARTS = {
    "series/listen.md": """
        ---
        title: LISTEN
        parts: [Look, Inquire, Summarise, Confirm]
        ---
        Four parts on listening.
        """,
}


def part_issue(number: int) -> dict[str, str]:
    return {
        f"issues/{number:03}.md": f"---\nnumber: {number}\ndate: 2025-01-{14 + 7 * (number - 2)}\n"
        "---\nAnother week.\n",
        f"articles/part{number}.md": f"---\ntitle: Listening, part {number}\nissue: {number}\n"
        f"series: listen\npart: {number}\n---\nBody of part {number}.\n",
    }


class FollowForm(HTMLParser):
    """The series page's follow form: its action and fields (hidden ones, checkboxes)."""

    def __init__(self, html: str):
        super().__init__()
        self.action, self.fields, self.checkboxes, self.text = "", {}, [], ""
        self._in_form = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("aria-labelledby") == "follow-series-label":
            self._in_form, self.action = True, attrs["action"]
        elif tag == "input" and self._in_form:
            if attrs.get("type") == "hidden":
                self.fields[attrs["name"]] = attrs["value"]
            elif attrs.get("type") == "checkbox":
                self.checkboxes.append((attrs["name"], attrs["value"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._in_form:
            self.text += data


def received(service, address: str) -> list[str]:
    """Subjects of the editions (issues and parts) `address` received, in order."""
    return [
        r.message["Subject"]
        for r in service.smtp.received
        if r.rcpt == address and r.message["List-Id"]
    ]


def build(service) -> None:
    from masthead import build as site

    site.build(service.settings_path, service.root / "output")


def test_follow_catch_up_live_part_and_leave(newsletter_service):
    start = newsletter_service.service
    write_tree(start.root, FOUR_PARTS)
    with start.settings_path.open("a") as settings:
        settings.write('NEWSLETTER["catch_up_days"] = 0\n')
    service = newsletter_service(build=True)
    with service.store() as store:
        store.add_subscriber(READER)
    for number in ("1", "2"):  # parts 1 and 2 went out with their issues, before the follower
        sent = service.publish("send", number, "--yes")
        assert sent.returncode == 0, sent.stderr

    # The series page offers the follow, with catch-up, and says what catching up sends.
    page = FollowForm((service.root / "output/series/listen/index.html").read_text())
    assert page.action == f"{service.url}/subscribe"
    assert page.fields == {"series": "listen"}
    assert ("catch_up", "yes") in page.checkboxes
    assert "you receive the 2 parts so far first" in " ".join(page.text.split())
    form = {**page.fields, "address": FOLLOWER, "catch_up": "yes", "website": ""}
    reply = service.post(page.action[len(service.url) :], urlencode(form))
    assert reply.status == 200 and "Check your inbox" in reply.text
    link = service.confirm_link(FOLLOWER)[len(service.url) :]
    assert service.post(link).status == 200
    assert service.status(FOLLOWER) == "active"

    # Catch-up: one part per send-due run, then nothing until a new part.
    for count in (1, 2, 2):
        ran = service.publish("send-due")
        assert ran.returncode == 0, ran.stderr
        assert len(received(service, FOLLOWER)) == count
    assert received(service, FOLLOWER) == [
        "Front Line: Part 1 of 4 of LISTEN: Listening first",
        "Front Line: Part 2 of 4 of LISTEN: Listening again",
    ]

    # The issue carrying part 3: the follower gets the part once, the reader the issue.
    write_tree(service.root, part_issue(3))
    build(service)
    sent = service.publish("send", "3", "--yes")
    assert sent.returncode == 0, sent.stderr
    assert service.publish("send-due").returncode == 0
    assert received(service, FOLLOWER)[2:] == [
        "Front Line: Part 3 of 4 of LISTEN: Listening, part 3"
    ]
    assert received(service, READER) == [
        "Front Line #1: Listening first",
        "Front Line #2: Listening, again",
        "Front Line #3: Listening, part 3",
    ]

    # The part's footer links the reader's preferences; its one click leaves the series.
    part = [r for r in service.smtp.received if r.rcpt == FOLLOWER and r.message["List-Id"]][-1]
    text = part.message.get_body(("plain",)).get_content()
    preferences = re.search(r"(http://\S+/preferences\?token=\S+)", text).group(1)
    page = service.get(preferences[len(service.url) :])
    assert page.status == 200 and 'name="follow-listen" value="yes" checked' in page.text
    header = part.message["List-Unsubscribe"]
    assert "mailto:" not in header
    url = re.search(r"<(http://[^>]+)>", header).group(1)
    one_click = service.post(url[len(service.url) :], "List-Unsubscribe=One-Click")
    assert one_click.status == 200 and "You left LISTEN" in one_click.text
    assert service.status(FOLLOWER) == "active"  # left the series, not the list

    # Part 4 goes out with issue 4: not to the follower.
    write_tree(service.root, part_issue(4))
    build(service)
    assert service.publish("send", "4", "--yes").returncode == 0
    assert service.publish("send-due").returncode == 0
    assert len(received(service, FOLLOWER)) == 3
    assert received(service, READER)[-1] == "Front Line #4: Listening, part 4"
