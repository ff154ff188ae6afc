"""`preview`: a server on 127.0.0.1 that a test starts and stops; rebuilds on change."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from masthead.preview import Preview, PreviewServer
from masthead.project import open_project
from tests.cli_helpers import one_line_error


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_the_server_answers_on_localhost_and_stops(tmp_path):
    (tmp_path / "index.html").write_text("<body><p>hello</p></body>")
    (tmp_path / "notes.txt").write_text("plain")
    server = PreviewServer(tmp_path, port=0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        page = fetch(server.url)
        assert page.startswith("<body><p>hello</p><script data-masthead-live-reload>")
        assert page.endswith("</script>\n</body>")  # injected by the server, before </body>
        assert fetch(server.url + "notes.txt") == "plain"  # other files as they are
        assert json.loads(fetch(server.url + "__masthead/state")) == {"version": 0, "errors": []}
    finally:
        server.stop()
    with socket.socket() as probe:  # the port is free again
        assert probe.connect_ex(("127.0.0.1", int(server.url.rsplit(":", 1)[1][:-1]))) != 0


def test_a_port_in_use_is_one_line_and_exit_2(editor):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(editor.run("preview", "--port", str(port)), 2)
    assert f"cannot serve on 127.0.0.1:{port}" in line and "--port" in line


@contextlib.contextmanager
def running_preview(settings: str = "settings.py"):
    """`preview` in a thread until the block ends; yields it and the lines it said, once
    it serves."""
    said: list[str] = []
    preview = Preview(open_project(settings), 0, said.append)
    stop = threading.Event()
    runner = threading.Thread(target=preview.run, args=(stop,))
    runner.start()
    try:
        wait_for(lambda: any(line.startswith("Serving") for line in said))
        yield preview, said
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()


def test_preview_builds_drafts_serves_and_rebuilds_on_change(editor):
    editor.write({"issues/003.md": "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\n"})
    with running_preview() as (preview, said):
        url = preview.server.url
        assert f"Latest issue: {url}issues/3/" in said[0]
        assert "Front Line" in fetch(url + "issues/3/")
        edited = "---\nnumber: 3\ndate: 2025-01-21\nstatus: draft\n---\nA brand-new welcome.\n"
        editor.write({"issues/003.md": edited})
        wait_for(lambda: "brand-new welcome" in fetch(url + "issues/3/"))
        editor.write({"issues/003.md": "---\nnumber: 3\n---\n"})
        wait_for(lambda: any("pages show these errors" in line for line in said))
        with pytest.raises(urllib.error.HTTPError) as failed:  # the errors, not stale content
            fetch(url + "issues/3/")
        page = failed.value.read().decode()
        assert "The last build failed" in page and "issues/003.md:" in page
        assert "brand-new welcome" not in page
        assert fetch(url + "theme/css/style.css")  # the last good build's files still serve


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.browser
def test_open_page_reloads_after_a_rebuild_and_shows_a_failed_build(editor, browser):
    with running_preview() as (preview, _):
        page = browser.new_page()
        page.goto(preview.server.url + "issues/2/")
        page.evaluate("window.notReloaded = true")
        issue = (editor.root / "content/issues/002.md").read_text()
        editor.write({"issues/002.md": issue + "\nA welcome edited while the page is open.\n"})
        page.wait_for_function("document.body.innerText.includes('edited while the page')")
        assert page.evaluate("window.notReloaded") is None  # a reload, not a patch

        editor.write({"issues/002.md": "---\nnumber: 2\n---\nNo date.\n"})
        page.get_by_text("The last build failed").wait_for()
        assert "issues/002.md:" in page.locator("pre.build-errors").inner_text()

        editor.write({"issues/002.md": issue})  # fixed: the page comes back by itself
        page.get_by_role("heading", level=1, name="Listening, again").wait_for()
        page.close()


def test_the_built_site_has_no_reload_script(editor):
    with running_preview() as (preview, _):
        served = fetch(preview.server.url + "issues/2/")
    assert "data-masthead-live-reload" in served
    for page in (editor.root / "output").rglob("*.html"):
        assert "data-masthead-live-reload" not in page.read_text(encoding="utf-8"), page
