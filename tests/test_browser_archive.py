"""Headless Chromium walks the web archive as a reader would, at phone and desktop widths."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.scrollingElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [375, 1280])
def test_reader_follows_issue_article_next_part_and_topics(tree, tmp_path, serve, browser, width):
    tree()
    base = serve(tmp_path / "output")
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    shots = ARTIFACTS / f"archive-{width}"
    shots.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/")
    assert page.locator("h1").first.inner_text().startswith("Latest: Issue #2")
    page.screenshot(path=str(shots / "home.png"), full_page=True)

    page.get_by_role("link", name="Issue #1: Listening first").click()
    assert page.url == f"{base}/issues/1/"
    assert page.locator("h1").inner_text() == "Issue #1"
    page.screenshot(path=str(shots / "issue.png"), full_page=True)

    page.locator("article#one h3 a").click()
    assert page.url == f"{base}/issues/1/one/"
    assert "Part 1 of 3 of LISTEN" in page.locator("aside.series-box").inner_text()
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "article.png"), full_page=True)

    page.get_by_role("link", name="Next part: Listening again →").click()
    assert page.url == f"{base}/issues/2/two/"
    assert page.locator("h1").inner_text() == "Listening again"
    page.screenshot(path=str(shots / "next-part.png"), full_page=True)

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Topical index").click()
    assert page.url == f"{base}/topics/"
    assert page.locator("h2#letter-L").inner_text() == "L"
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "topics.png"), full_page=True)
    page.close()
