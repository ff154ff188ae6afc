"""email.html in headless Chromium: no horizontal scrolling at phone and desktop widths."""

from __future__ import annotations

from pathlib import Path

import pytest

from edition_fixtures import build_newsletter, copy_theme, settings
from newsletter.edition import write_editions
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    copy_theme(root)
    problems = write_editions(build_newsletter(root), settings(root), root / "out", root)
    assert problems == []
    return root / "out" / "editions"


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("number", [1, 2])
def test_no_horizontal_scroll(browser, editions: Path, number: int, width: int) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    # Block the network: the email must render from its own file, and tests stay offline.
    page.route("**/*", lambda route: route.abort() if "file://" not in route.request.url
               else route.continue_())  # fmt: skip
    page.goto((editions / str(number) / "email.html").as_uri())
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"edition-{number}-{width}px.png"), full_page=True)
    widest = "Math.max(...[...document.querySelectorAll('div')].map(d => d.clientWidth))"
    content_width = page.evaluate(widest)
    page.close()
    assert scroll_width <= width
    assert content_width <= 600  # the email's max width
