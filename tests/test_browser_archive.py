"""Headless Chromium walks the web archive as a reader would, at phone and desktop widths,
in light and dark; searches it with Pagefind; screenshots land in tests/artifacts/."""

from __future__ import annotations

import re

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

    page.goto(f"{base}/")
    assert page.locator("section.latest h2").inner_text() == "Listening, again"
    assert page.get_by_role("button", name="Subscribe").is_visible()  # the inline form

    page.get_by_role("link", name="Listening first").click()  # a recent issue's row
    assert page.url == f"{base}/issues/1/"
    assert page.locator("h1").inner_text() == "Listening first"  # headed by its subject

    page.locator("article#one h3 a").click()
    assert page.url == f"{base}/issues/1/one/"
    assert "Part 1 of 3 of LISTEN" in page.locator("aside.series-box").inner_text()
    assert no_horizontal_scroll(page)

    page.get_by_role("link", name="Next part: Listening again →").click()
    assert page.url == f"{base}/issues/2/two/"
    assert page.locator("h1").inner_text() == "Listening again"

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Topics").click()
    assert page.url == f"{base}/topics/"
    letter = page.get_by_role("navigation", name="Letters").get_by_role("link", name="L")
    box = letter.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a thumb-sized tap target
    letter.click()
    assert page.url == f"{base}/topics/#letter-L"
    assert no_horizontal_scroll(page)
    page.close()


SHOTS = {
    "home": "/",
    "issue": "/issues/8/",
    "article-series-box": "/issues/7/anchor-capacity/",
    "series": "/series/anchor/",
    "topics": "/topics/",
    "search": "/search/?q=handoff",
    "subscribe": "/subscribe/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_of_the_sample_archive(sample_site, serve, browser, width, scheme):
    base = serve(sample_site)
    shots = ARTIFACTS / f"archive-{width}-{scheme}"
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    paper = {"light": "rgb(255, 255, 255)", "dark": "rgb(21, 23, 27)"}[scheme]
    for name, path in SHOTS.items():
        page.goto(base + path)
        if name == "search":
            page.locator(".pagefind-ui__result").first.wait_for()
        if name == "article-series-box":
            assert page.locator("aside.series-box").is_visible()
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == paper
        assert no_horizontal_scroll(page), name
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.close()


def test_search_finds_a_word_and_follows_a_result(sample_site, serve, browser):
    base = serve(sample_site)
    page = browser.new_page()
    page.goto(f"{base}/search/")
    page.locator(".pagefind-ui__search-input").fill("buddy")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for()
    result.click()
    page.wait_for_url(re.compile(r"/issues/\d+/"))
    assert "buddy" in page.locator("main").inner_text().lower()

    # The index is sharded (search.py): a word only the about page holds is in the `site`
    # bundle, merged into the results of the issues' bundle.
    page.goto(f"{base}/search/?q=consultancy")
    page.locator('.pagefind-ui__result-link[href="/about/"]').wait_for()

    page.goto(f"{base}/about/")  # the header's search box on any page
    page.get_by_role("search").get_by_label("Search the archive").fill("escalation")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    page.wait_for_url(f"{base}/search/?q=escalation")
    # results arrive one by one as Pagefind loads their fragments: wait for a second one
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__result-link').length >= 2")
    page.close()


def test_topical_index_with_500_topics_at_phone_width(tree, tmp_path, serve, browser):
    from tests.test_build import many_topics

    tree(many_topics())
    base = serve(tmp_path / "output")
    page = browser.new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/topics/")
    jump = page.get_by_role("navigation", name="Letters")
    letters = jump.get_by_role("link")
    assert letters.count() == 26
    for i in range(letters.count()):
        box = letters.nth(i).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, letters.nth(i).inner_text()
    assert jump.bounding_box()["height"] <= 4 * 48  # a compact bar: four rows at most
    assert no_horizontal_scroll(page)
    letters.get_by_text("Q", exact=True).click()
    assert page.locator("#letter-Q").evaluate("e => e.getBoundingClientRect().top") < 100
    page.screenshot(path=str(ARTIFACTS / "archive-topics-500-375.png"))
    page.close()
