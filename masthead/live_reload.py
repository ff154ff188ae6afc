"""Live reload for `preview`: the open page reloads after each rebuild, and a failed build
shows its errors in the page instead of the stale content.

Only the preview server adds this: it injects a small polling script into every HTML page it
serves and answers `/__masthead/state` with the build's version and errors. The built site
itself carries no script. Polling (not a held-open event stream) keeps the server's threads
short-lived, so stopping it never waits on an open tab.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable
from html import escape

STATE_PATH = "/__masthead/state"
POLL_MS = 150  # an open page reloads within this much of a rebuild (a cheap local request)

SCRIPT = f"""<script data-masthead-live-reload>
(function () {{
  var seen = null;
  function poll() {{
    fetch("{STATE_PATH}", {{cache: "no-store"}}).then(function (r) {{ return r.json(); }})
      .then(function (state) {{
        if (seen === null) {{ seen = state.version; }}
        else if (state.version !== seen) {{ location.reload(); return; }}
        setTimeout(poll, {POLL_MS});
      }}, function () {{ setTimeout(poll, {POLL_MS} * 5); }});
  }}
  poll();
}})();
</script>
"""

ERROR_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed</title>
<style>
body {{ font: 1rem/1.5 ui-sans-serif, system-ui, sans-serif; margin: 2rem auto; max-width: 48rem;
  padding: 0 1rem; color: #1b1d21; background: #fff; }}
h1 {{ color: #9a3412; }} pre {{ white-space: pre-wrap; background: #f5f3ef; padding: 1rem; }}
</style></head>
<body>
<h1>The last build failed</h1>
<p>Fix the problems below and save: this page reloads by itself when the build succeeds.</p>
<pre class="build-errors">{errors}</pre>
</body>
</html>
"""


class BuildState:
    """The latest build's outcome, shared by the build loop and the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self.errors: list[str] = []

    def built(self, errors: list[str] | None = None) -> None:
        """Record a build: `errors` empty for success, else the lines to show in the page."""
        with self._lock:
            self.version += 1
            self.errors = list(errors or [])

    def snapshot(self) -> tuple[int, list[str]]:
        with self._lock:
            return self.version, list(self.errors)


class LiveReloadHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the output directory, with the reload script in HTML and the state endpoint.
    `state` is set on a subclass made per server (see handler_for); so is `made`, which
    may answer for a page that is made when asked for (an edition's preview.html)."""

    state: BuildState
    made: Callable[[str], str | None] | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would bury the rebuild messages

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == STATE_PATH:
            version, errors = self.state.snapshot()
            self._send(200, "application/json", json.dumps({"version": version, "errors": errors}))
            return
        made = self.made(self.translate_path(self.path)) if self.made else None
        page = self._html_file()
        if page is None and made is None:
            super().do_GET()
            return
        version, errors = self.state.snapshot()
        if errors:
            body = ERROR_PAGE.format(errors=escape("\n".join(errors)))
            self._send(500, "text/html; charset=utf-8", _with_script(body.encode()))
            return
        try:
            if made is not None:
                html = made.encode("utf-8")
            else:
                with open(page, "rb") as source:  # type: ignore[arg-type]
                    html = source.read()
        except OSError:
            super().do_GET()  # swapped out meanwhile: let the ordinary path answer (404)
            return
        self._send(200, "text/html; charset=utf-8", _with_script(html))

    def _html_file(self) -> str | None:
        """The HTML file this request names (a directory's index.html), if it exists."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                return None  # SimpleHTTPRequestHandler redirects to the slash first
            path = os.path.join(path, "index.html")
        return path if path.endswith(".html") and os.path.isfile(path) else None

    def _send(self, status: int, content_type: str, body: str | bytes) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def _with_script(html: bytes) -> bytes:
    """The page with the reload script before its last </body> (or at the end)."""
    script = SCRIPT.encode()
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def handler_for(
    state: BuildState, made: Callable[[str], str | None] | None = None
) -> type[LiveReloadHandler]:
    """A handler bound to one server's build state and made pages (a function of the file
    path a request names: the page, or None to serve the file there)."""
    bound = {"state": state, "made": staticmethod(made) if made else None}
    return type("BoundLiveReloadHandler", (LiveReloadHandler,), bound)
