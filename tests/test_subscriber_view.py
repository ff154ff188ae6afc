"""`edition N --preview` and the preview server: the edition as a subscriber sees it, with a
sample subscriber's values, this build's images, and a draft's web link on the local build."""

from __future__ import annotations

import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from tests.test_cli_preview import running_preview

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001aab3e3a30000000049454e44ae426082"
)
DRAFT = {
    "issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\nSoon.\n",
    "articles/chart.md": "---\ntitle: A chart\nissue: 3\n---\n"
    "![Calls per hour]({static}/images/chart.png)\n\n[Part one]({filename}one.md)\n",
}


class Urls(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.urls: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]


def _project(editor) -> None:
    editor.write(DRAFT)
    (editor.content / "images").mkdir()
    (editor.content / "images" / "chart.png").write_bytes(PNG)


def _check_preview(html: str, folder: Path) -> None:
    assert "%%" not in html
    # Whitespace as a browser shows it: the footer puts placeholders on lines of their own.
    assert "because reader@example.org subscribed" in " ".join(html.split())
    urls = Urls(html).urls
    local = [u for u in urls if not u.startswith(("https:", "mailto:"))]
    assert "../../images/chart.png" in local  # the image of this build
    assert "../../issues/3/" in local  # "View in your browser" of a draft: the local page
    assert "../../issues/1/one/" in local
    for url in local:  # every one names a file of the build
        target = (folder / url.split("?")[0]).resolve()
        assert target.is_file() or (target / "index.html").is_file(), url
    # The subscription service is another program: its links stay as they are.
    assert "https://frontline.example.org/service/unsubscribe?token=sample-token-not-valid" in urls


def test_edition_preview_writes_the_subscriber_view(editor):
    _project(editor)
    assert editor.run("build", "--drafts").exit_code == 0
    result = editor.run("edition", "3", "--preview")
    assert result.exit_code == 0, result.output
    assert result.stdout == "output/editions/3/preview.html\n"
    folder = editor.output / "editions" / "3"
    _check_preview((folder / "preview.html").read_text(), folder)
    assert "%%recipient%%" in (folder / "email.html").read_text()  # the edition is untouched
    assert editor.run("check").exit_code == 0


def test_preview_server_shows_the_subscriber_view(editor):
    _project(editor)
    with running_preview() as (preview, said):
        url = f"{preview.server.url}editions/3/preview.html"
        assert f"email edition: {url}" in said[0]
        with urllib.request.urlopen(url, timeout=5) as response:
            html = response.read().decode("utf-8")
        _check_preview(html, editor.output / "editions" / "3")
        image = urllib.request.urlopen(preview.server.url + "images/chart.png", timeout=5)
        assert image.read() == PNG


def test_preview_serves_a_subscriber_view_only_for_an_issue_edition_it_can_read(editor):
    _project(editor)
    with running_preview() as (preview, _said):
        folder = editor.output / "editions" / "3"
        (folder / "edition.json").unlink()  # as during a swap, or after a failed build
        for path in ("editions/3/preview.html", "proofs/3/preview.html"):
            try:
                urllib.request.urlopen(preview.server.url + path, timeout=5)
            except urllib.error.HTTPError as error:
                assert error.code == 404, path  # an answer, not a dropped connection
            else:
                raise AssertionError(f"{path} served")
