"""`preview`: serve the built site on 127.0.0.1 and rebuild when the content changes.

Each edition is also written as a subscriber sees it (editions/N/preview.html: a sample
subscriber's values, links and images from this build; see subscriber_view.py).

The server is an object a test can start and stop; the watch loop takes a stop event, so
neither needs a terminal or Ctrl-C to end."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError
from .live_reload import BuildState, handler_for
from .project import Project, shown
from .subscriber_view import PREVIEW, write_previews


class PreviewServer:
    """http.server in a thread, serving `directory` (looked up per request, so a rebuild
    that swaps the output directory is served at once). Pages get the live-reload script;
    while `state` holds a failed build, pages show its errors instead."""

    def __init__(
        self,
        directory: Path,
        port: int = 8000,
        host: str = "127.0.0.1",
        state: BuildState | None = None,
    ):
        self.state = state or BuildState()
        handler = functools.partial(handler_for(self.state), directory=str(directory))
        try:
            self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            raise UsageError(
                f"cannot serve on {host}:{port} ({error.strerror}): give another --port"
            ) from None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> PreviewServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def watched(project: Project) -> list[Path]:
    """What a rebuild depends on: the content, the theme and the settings file."""
    paths = [project.content, Path(project.settings["THEME"]), project.settings_file]
    return [path.resolve() for path in paths if path.exists()]


def watch(
    paths: list[Path], rebuild: Callable[[set], None], stop: threading.Event | None = None
) -> None:
    """Call rebuild(changes) after each batch of changes until `stop` is set."""
    import watchfiles

    for changes in watchfiles.watch(*paths, stop_event=stop, debounce=300, raise_interrupt=False):
        rebuild(changes)


class Preview:
    """Build with drafts, serve, rebuild on change; `say` prints one line for the editor."""

    def __init__(self, project: Project, port: int, say: Callable[[str], None]):
        self.project, self.say = project, say
        self.server = PreviewServer(project.output, port)  # a port in use fails before a build

    def build(self) -> None:
        from .build import ContentError, build

        try:
            report = build(self.project.settings_file, drafts=True)
        except ContentError as error:
            for problem in error.problems:
                self.say(str(problem))
            self.say(f"{error}; pages show these errors until a build succeeds")
            self.server.state.built([*map(str, error.problems), str(error)])  # shown in pages
            return
        for warning in [*map(str, report.warnings), *report.pelican_warnings]:
            self.say(warning)
        write_previews(self.project.output, str(self.project.newsletter.get("public_url") or ""))
        self.server.state.built()  # open pages reload
        self.say(self.where(report.latest_issue))

    def where(self, number: int | None) -> str:
        if number is None:
            return f"Built: {self.server.url} (no issues yet)"
        edition = self.project.output / "editions" / str(number) / PREVIEW
        email = f"{self.server.url}editions/{number}/{PREVIEW}" if edition.is_file() else "none"
        return f"Built. Latest issue: {self.server.url}issues/{number}/  email edition: {email}"

    def run(self, stop: threading.Event | None = None) -> None:
        """Serve until `stop` is set (or Ctrl-C), rebuilding on every change."""
        self.build()
        self.server.start()
        self.say(f"Serving {shown(self.project.output)} at {self.server.url} (Ctrl-C to stop)")
        try:
            watch(watched(self.project), lambda changes: self.build(), stop)
        finally:
            self.server.stop()
