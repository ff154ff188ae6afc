"""`preview`: serve the built site on 127.0.0.1 and rebuild when the content changes.

Each edition is also served as a subscriber sees it (editions/N/preview.html: a sample
subscriber's values, links and images from this build; see subscriber_view.py), made when
asked for. Rebuilds use the build cache and render only what changed; the search index is
made again in the background after a rebuild is served (Pagefind re-reads every page), and
a rebuild that starts meanwhile stops it, and a successful one starts it again.

The server is an object a test can start and stop; the watch loop takes a stop event, so
neither needs a terminal or Ctrl-C to end."""

from __future__ import annotations

import functools
import gc
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .errors import UsageError
from .live_reload import BuildState, handler_for
from .project import Project, shown
from .subscriber_view import PREVIEW, subscriber_view

from newsletter import LIVE, output_tree  # isort: skip  (plugins/ is on sys.path now)
from newsletter.search import (  # isort: skip
    BUNDLE,
    Shard,
    command,
    scratch_folder,
    shard_size,
    shards,
    write_entry,
)

T = TypeVar("T")


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
        made: Callable[[str], str | None] | None = None,
    ):
        self.state = state or BuildState()
        bound = handler_for(self.state, made)
        handler = functools.partial(bound, directory=str(directory))
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

    # A save is one event or a few within milliseconds (an editor writing a temporary file
    # and renaming it): 20 ms of quiet is enough to group them.
    changes_seen = watchfiles.watch(
        *paths, stop_event=stop, debounce=300, step=20, raise_interrupt=False
    )
    for changes in changes_seen:
        rebuild(changes)


class Preview:
    """Build with drafts, serve, rebuild on change; `say` prints one line for the editor."""

    def __init__(self, project: Project, port: int, say: Callable[[str], None]):
        self.project, self.say = project, say
        # a port in use fails before a build
        self.server = PreviewServer(project.output, port, made=self.subscriber_page)
        self.search = SearchIndexer(project.output, say, project.settings)

    def subscriber_page(self, path: str) -> str | None:
        """editions/N/preview.html: the subscriber view of issue N's edition, made now;
        None for any other path, or while the edition cannot be read (a swap, a failed
        build): then the server answers as for any missing file."""
        folder = Path(path).resolve().parent
        editions = self.project.output.resolve() / "editions"
        if Path(path).name != PREVIEW or folder.parent != editions:
            return None
        if not folder.name.isdigit() or not (folder / "email.html").is_file():
            return None
        try:
            return subscriber_view(folder, str(self.project.newsletter.get("public_url") or ""))
        except (UsageError, OSError):
            return None

    def build(self) -> None:
        from .build import ContentError, build

        self.search.stop()  # it reads the output this build replaces
        try:
            report = _without_collections(
                lambda: build(self.project.settings_file, drafts=True, extra={LIVE: True})
            )
        except ContentError as error:
            for problem in error.problems:
                self.say(str(problem))
            self.say(f"{error}; pages show these errors until a build succeeds")
            self.server.state.built([*map(str, error.problems), str(error)])  # shown in pages
            return
        except OSError as error:  # a disk or output problem: said, and the preview goes on
            message = f"the build could not write {error.filename or 'the output'}: {error}"
            self.say(message)
            self.server.state.built([message])
            return
        for warning in [*map(str, report.warnings), *report.pelican_warnings]:
            self.say(warning)
        self.server.state.built()  # open pages reload
        self.say(self.where(report.latest_issue))
        if self.project.settings.get("NEWSLETTER_SEARCH", True) is not False:
            self.search.start()

    def where(self, number: int | None) -> str:
        if number is None:
            return f"Built: {self.server.url} (no issues yet)"
        edition = self.project.output / "editions" / str(number) / "email.html"
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
            self.search.stop()
            self.search.clean()
            self.server.stop()


def _without_collections(run: Callable[[], T]) -> T:
    """run(), with the cycle collector off until it is done and the pages are served.

    The preview keeps the last build's model in memory, so a full collection walks a large
    heap: one in the middle of a rebuild cost 40–60 ms of a 0.25 s save. Collected once
    afterwards instead, while the editor reads: memory stays flat across saves."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if enabled:
            gc.enable()
            gc.collect()


class SearchIndexer:
    """Pagefind over the served output in a thread: each shard whose pages changed since
    this preview last indexed it, into a fresh bundle swapped in when done. `stop` ends a
    run at once (the next build replaces the pages it reads)."""

    def __init__(self, output: Path, say: Callable[[str], None], settings: dict):
        self.output, self.say = output, say
        self.siteurl = str(settings.get("SITEURL") or "")
        self.size = shard_size(settings)
        self.indexed: dict[str, str] = {}  # shard name -> the key its bundle was made from
        self.process: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def start(self) -> None:
        self.stopped.clear()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        with self.lock:
            if self.process and self.process.poll() is None:
                self.process.kill()
        if self.thread:
            self.thread.join()
            self.thread = None

    def clean(self) -> None:
        """Remove what a stopped run left (the preview is ending)."""
        shutil.rmtree(self._fresh, ignore_errors=True)

    @property
    def _fresh(self) -> Path:
        return self.output.parent / f".{self.output.name}-search-{os.getpid()}"

    def _run(self) -> None:
        found = shards(self.output, self.size)
        for shard in found:
            bundle = self.output / BUNDLE / shard.name
            fresh = self.indexed.get(shard.name) == shard.key and bundle.is_dir()
            if not fresh and not self._index(shard, bundle):
                return
        if not self.stopped.is_set():
            write_entry(self.output, [shard.name for shard in found], self.siteurl)

    def _index(self, shard: Shard, bundle: Path) -> bool:
        """One shard into a fresh folder, then swapped in; False when stopped or failed.
        Pagefind writes into memory first (search.scratch_folder: its many small files
        cost it seconds of system time on disk, beside the next save's build)."""
        fresh, scratch = self._fresh, scratch_folder()
        try:
            shutil.rmtree(fresh, ignore_errors=True)
            with self.lock:
                if self.stopped.is_set():
                    return False
                self.process = subprocess.Popen(
                    command(self.output, shard.glob, scratch),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            _out, errors = self.process.communicate()
            if self.stopped.is_set():  # a save: its build waits for this thread, so no
                return False  # cleanup of `fresh` here (the next run clears it first)
            if self.process.returncode:
                lines = errors.decode(errors="replace").strip().splitlines() or ["no index"]
                self.say(f"search index not updated: {lines[-1]}")
                return False
            output_tree.copy_in(scratch, fresh, bundle if bundle.is_dir() else None)
        except OSError as error:
            shutil.rmtree(fresh, ignore_errors=True)
            self.say(f"search index not updated: {error}")
            return False
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        old = fresh.with_name(fresh.name + "-old")
        if bundle.exists():
            bundle.rename(old)
        bundle.parent.mkdir(parents=True, exist_ok=True)
        fresh.rename(bundle)
        shutil.rmtree(old, ignore_errors=True)
        self.indexed[shard.name] = shard.key
        return True
