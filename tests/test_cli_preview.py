"""`preview`: a server on 127.0.0.1 that a test starts and stops; rebuilds on change."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.request

from masthead.preview import Preview, PreviewServer
from masthead.project import open_project
from tests.cli_helpers import one_line_error


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_the_server_answers_on_localhost_and_stops(tmp_path):
    (tmp_path / "index.html").write_text("<p>hello</p>")
    server = PreviewServer(tmp_path, port=0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert fetch(server.url) == "<p>hello</p>"
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
        wait_for(lambda: any("still serving the last good build" in line for line in said))
        assert "brand-new welcome" in fetch(url + "issues/3/")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
