"""Headless Chromium: a reader subscribes on the archive's page, follows the confirmation
link from the email caught by aiosmtpd, presses the button; later unsubscribes by button."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytest_plugins = ["delivery_fixtures", "service_fixtures"]
pytestmark = pytest.mark.browser

SECRET = "test-secret-0123456789-abcdef"  # delivery_fixtures.SECRET


def styled_like_the_archive(page) -> bool:
    return "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily")  # --sans


@pytest.mark.parametrize("width", [375, 1280])
def test_subscribe_on_the_archive_confirm_from_the_email(newsletter_service, serve, browser, width):
    from delivery.tokens import UNSUBSCRIBE, make_token

    service = newsletter_service(build=True)  # the archive's form posts to this service
    archive = serve(service.root / "output")
    shots = ARTIFACTS / f"service-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []  # CSP refusals show up as console errors; failed loads too
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    failed: list[str] = []

    page.goto(f"{archive}/subscribe/")
    page.get_by_label("Email address").fill("browser.reader@example.org")
    page.get_by_label("Name (optional)").fill("Browser Reader")
    page.screenshot(path=str(shots / "1-subscribe-form.png"), full_page=True)
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(f"{service.url}/subscribe")
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert styled_like_the_archive(page)
    page.screenshot(path=str(shots / "2-check-your-inbox.png"), full_page=True)

    page.goto(service.confirm_link("browser.reader@example.org"))
    assert page.locator("h1").inner_text() == "Confirm your subscription"
    assert service.status("browser.reader@example.org") == "pending"
    page.screenshot(path=str(shots / "3-confirm.png"), full_page=True)
    page.get_by_role("button", name="Confirm subscription").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Subscription confirmed"
    assert service.status("browser.reader@example.org") == "active"
    page.screenshot(path=str(shots / "4-confirmed.png"), full_page=True)

    token = make_token(SECRET, UNSUBSCRIBE, "browser.reader@example.org")
    page.goto(f"{service.url}/unsubscribe?token={token}")
    page.screenshot(path=str(shots / "5-unsubscribe.png"), full_page=True)
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    assert service.status("browser.reader@example.org") == "unsubscribed"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(shots / "6-unsubscribed.png"), full_page=True)
    page.close()
    # Chromium asks both servers for /favicon.ico: the only loads allowed to fail.
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [p for p in problems if not p.startswith("Failed to load resource")] == []
