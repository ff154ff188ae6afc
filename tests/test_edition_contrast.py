"""Every text of every sample edition keeps WCAG AA contrast in light and dark schemes, and
under Outlook.com's dark-mode markers; measured in headless Chromium (masthead/contrast.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from masthead import build as site
from masthead.contrast import text_contrast
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

# What Outlook.com adds to a message it shows in dark mode (it leaves prefers-color-scheme
# alone): data-ogsc on elements whose text colour it changed, data-ogsb for backgrounds.
OUTLOOK_COM_DARK = """() => {
  document.body.setAttribute('data-ogsc', ''); document.body.setAttribute('data-ogsb', '');
}"""


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    output = tmp_path_factory.mktemp("contrast") / "output"
    site.build(ROOT / "pelicanconf.py", output, drafts=True)  # the draft banner too
    return sorted((output / "editions").glob("*/email.html"))


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_viewport_size({"width": 600, "height": 900})
    page.route("**/*", lambda route: route.abort())  # offline: the edition's own HTML only
    yield page
    page.close()


def _open(page, html: Path, scheme: str, outlook_com: bool = False):
    page.emulate_media(color_scheme=scheme)
    page.set_content(html.read_text(encoding="utf-8"))
    if outlook_com:
        page.evaluate(OUTLOOK_COM_DARK)
    return text_contrast(page)


def _page_background(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.dm-page')).backgroundColor")


@pytest.mark.parametrize("scheme", ["light", "dark", "outlook.com dark"])
def test_every_text_meets_aa(page, editions: list[Path], scheme: str) -> None:
    assert len(editions) >= 8
    below = []
    for html in editions:
        texts = _open(page, html, scheme.split()[-1], outlook_com=scheme.startswith("outlook"))
        assert len(texts) > 50, html  # the walk found the edition's texts
        below += [f"{html.parent.name}: {text}" for text in texts if not text.passes]
    assert below == []


def test_dark_scheme_is_a_dark_palette_not_light_with_pale_links(page, editions) -> None:
    light = _open(page, editions[-1], "light")
    light_page = _page_background(page)
    dark = _open(page, editions[-1], "dark")
    assert light_page == "rgb(255, 255, 255)"
    assert _page_background(page) == "rgb(26, 31, 38)"
    _open(page, editions[-1], "light", outlook_com=True)
    assert _page_background(page) == "rgb(26, 31, 38)"
    # The same texts in both schemes, each on its own scheme's background.
    assert [t.text for t in light] == [t.text for t in dark]
    assert all(t.background != d.background for t, d in zip(light, dark, strict=True))


def test_contrast_walk_catches_pale_text(page) -> None:
    page.set_content(
        '<body style="background:#fff"><p style="color:#8ab4f8">pale</p>'
        '<p style="color:#111">fine</p><div style="display:none;color:#fff">hidden</div>'
        '<h1 style="font-size:30px;color:#767676">big</h1></body>'
    )
    found = {t.text: t for t in text_contrast(page)}
    assert set(found) == {"pale", "fine", "big"}
    assert not found["pale"].passes and round(found["pale"].ratio, 2) == 2.11
    assert found["fine"].passes and found["big"].large and found["big"].passes
