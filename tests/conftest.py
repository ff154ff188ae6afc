"""Shared fixtures: tiny content trees written per test, and builds into temporary dirs."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))  # as Pelican imports it, from PLUGIN_PATHS
sys.path.insert(0, str(ROOT / "tests"))  # edition_fixtures

from masthead import build as site  # noqa: E402

# A valid little newsletter: two issues, a three-part series with two parts out, an event.
MINIMAL = {
    "issues/001.md": """
        ---
        number: 1
        date: 2025-01-07
        preheader: The first one
        ---
        Welcome to the **first** issue.
        """,
    "issues/002.md": """
        ---
        number: 2
        date: 2025-01-14
        subject: Listening, again
        ---
        Hello again. See [part one]({filename}../articles/one.md).
        """,
    "articles/one.md": """
        ---
        title: Listening first
        issue: 1
        author: Ann Vale
        topics: [Listening, Escalation]
        series: listen
        part: 1
        ---
        Body of *one*.
        """,
    "articles/two.md": """
        ---
        title: Listening again
        issue: 2
        authors: [Bo Chen, Ann Vale]
        topics: [listening]
        series: listen
        part: 2
        ---
        Body two, see [one]({filename}one.md).
        """,
    "articles/workshop.md": """
        ---
        title: A workshop on handoffs
        issue: 2
        section: Events
        event_date: 2025-01-20 17:30
        location: Portsmouth Public Library
        register: https://example.org/register
        ---
        Come along.
        """,
    "series/listen.md": """
        ---
        title: LISTEN
        parts: [Look, Inquire, Summarise]
        ---
        Three parts on listening.
        """,
    "pages/about.md": "Title: About\nSlug: about\n\nAbout us.\n",
    "pages/subscribe.md": "Title: Subscribe\nSlug: subscribe\n\nJoin us.\n",
    "pages/unsubscribe.md": "Title: Unsubscribe\nSlug: unsubscribe\n\nLeave us.\n",
}


TODAY = "2025-01-15"


def write_tree(root: Path, files: dict[str, str | None]) -> Path:
    """Write `files` (content-relative path -> text; None deletes) under root/content."""
    content = root / "content"
    for name, text in files.items():
        path = content / name
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return content


@pytest.fixture
def tree(tmp_path: Path):
    """A function writing a content tree (MINIMAL plus changes) and building it."""

    def make(changes: dict[str, str | None] | None = None, **options):
        content = write_tree(tmp_path, {**MINIMAL, **(changes or {})})
        # "Today" for past/upcoming events: the day after issue 2, so its workshop is ahead.
        options["extra"] = {"NEWSLETTER_TODAY": TODAY, **(options.get("extra") or {})}
        return site.build(ROOT / "pelicanconf.py", tmp_path / "output", content=content, **options)

    return make


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's sample newsletter, built once per test session."""
    output = tmp_path_factory.mktemp("sample") / "output"
    site.build(ROOT / "pelicanconf.py", output)
    return output


def chromium_path() -> str | None:
    """Debian's chromium, or None (a skip on a user's machine, a failure under CI)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no chromium on PATH: .ci/run installs Debian's chromium")
    pytest.skip("chromium not installed (apt-get install chromium) - browser checks skipped")


ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's chromium driven by Playwright (never `playwright install`)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield context
        context.close()


@pytest.fixture
def serve():
    """Serve a directory over HTTP on 127.0.0.1; returns its base URL. Stopped after the test."""
    import functools
    import http.server
    import threading

    servers = []

    def start(directory: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """For the CLI tests: MINIMAL and its own settings.py in tmp_path, the working directory;
    `editor.run(*args)` invokes publish.py (see tests/cli_helpers.py)."""
    from tests.cli_helpers import make_newsletter

    return make_newsletter(tmp_path, monkeypatch)
