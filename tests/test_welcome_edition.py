"""The welcome email: the build writes it as an edition; the service sends it after confirm."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from delivery.edition import load_welcome
from delivery.settings import load_settings
from masthead.build import ContentError

pytest_plugins = ["delivery_fixtures", "service_fixtures"]

WELCOME = """Title: Welcome aboard

Thank you for confirming. Every issue brings a few practical articles;
[the archive](https://frontline.example.org/) holds every past one.
"""


def test_the_build_writes_the_welcome_as_an_edition_and_no_web_page(tree, tmp_path):
    tree({"pages/welcome.md": WELCOME})
    folder = tmp_path / "output" / "editions" / "welcome"
    meta = json.loads((folder / "edition.json").read_text())
    assert (meta["kind"], meta["number"], meta["status"]) == ("welcome", 0, "published")
    assert meta["subject"].endswith(": Welcome aboard")
    assert list(meta["sources"]) == ["content/pages/welcome.md"]
    html = (folder / "email.html").read_text()
    text = (folder / "email.txt").read_text()
    for part in (html, text):
        assert "Thank you for confirming" in part
        assert "%%unsubscribe_url%%" in part and "%%recipient%%" in part
    assert "/issues/2/" in html and "The latest issue: #2" in text  # the latest issue's link
    assert "<mj-section" not in html and "dm-masthead" in html  # MRML, the editions. look
    assert not (tmp_path / "output" / "welcome").exists()  # an email, not a page


def test_without_a_welcome_text_there_is_no_welcome_edition(tree, tmp_path):
    tree()
    assert not (tmp_path / "output" / "editions" / "welcome").exists()


def test_a_welcome_page_without_a_title_is_an_error_naming_it(tree, tmp_path):
    with pytest.raises(ContentError) as error:
        tree({"pages/welcome.md": "Just a body.\n"})
    assert "content/pages/welcome.md:1: the welcome email needs a 'Title:' line" in str(
        error.value.problems[0]
    )


HOSTILE = (
    "Title: Hi\n\nHello.\n\n<script>alert(1)</script> "
    '<img src="https://e.org/x.png" alt="a" onerror=alert(2)> '
    '<a href="javascript:alert(3)">x</a>\n'
)


def test_the_welcome_is_sanitised_with_warnings_naming_its_lines(tree, tmp_path):
    report = tree({"pages/welcome.md": HOSTILE})
    folder = tmp_path / "output" / "editions" / "welcome"
    for name in ("email.html", "email.txt"):
        part = (folder / name).read_text()
        assert "Hello." in part
        assert "alert(" not in part and "javascript:" not in part and "onerror" not in part
    shown = [str(w) for w in report.warnings]
    assert any(w.startswith("content/pages/welcome.md:5: warning: removed <script>") for w in shown)
    assert len([w for w in shown if w.startswith("content/pages/welcome.md:5:")]) >= 3


def test_a_welcome_past_the_markdown_limits_is_an_error_naming_it(tree):
    with pytest.raises(ContentError) as error:
        tree({"pages/welcome.md": "Title: Hi\n\n" + "> " * 2000 + "\n"})
    (problem,) = error.value.problems
    assert str(problem).startswith("content/pages/welcome.md:3: ")
    assert "unexpected" not in str(problem)


def test_the_service_sends_the_welcome_after_the_reader_confirms(newsletter_service, tmp_path):
    (tmp_path / "content" / "pages" / "welcome.md").write_text(WELCOME)
    service = newsletter_service(build=True)
    settings = load_settings(service.settings_path, environ=service.env)
    assert load_welcome(settings) is not None

    service.post("/subscribe", "address=new.reader%40example.org")
    link = service.confirm_link("new.reader@example.org")
    assert service.post(link[len(service.url) :], "confirm=yes").status == 200
    _confirmation, welcome = service.mail_to("new.reader@example.org", count=2)
    message = welcome.message
    assert message["Subject"].endswith(": Welcome aboard")
    assert message["To"] == "new.reader@example.org"
    assert message["List-Unsubscribe"].startswith(f"<{service.url}/unsubscribe?token=")
    body = message.get_body(("plain",)).get_content()
    assert "Thank you for confirming" in body and "%%" not in body
    # A second press of the button sends nothing more.
    service.post(link[len(service.url) :], "confirm=yes")
    with service.store() as store:
        kinds = [event.kind for event in store.events("new.reader@example.org")]
    assert kinds.count("welcomed") == 1
    assert len(service.mail_to("new.reader@example.org", count=2)) == 2


def test_no_welcome_edition_means_no_welcome_email(newsletter_service):
    service = newsletter_service(build=True)
    service.post("/subscribe", "address=plain%40example.org")
    link = service.confirm_link("plain@example.org")
    service.post(link[len(service.url) :], "confirm=yes")
    service.wait_for_status("plain@example.org", "active")
    assert not Path(service.root / "output" / "editions" / "welcome").exists()
    time.sleep(1)  # what a welcome would take to arrive
    assert len(service.mail_to("plain@example.org")) == 1
