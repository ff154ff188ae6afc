"""The subscription service: a plain WSGI application over the subscriber store.

Routes (relative to NEWSLETTER["service_url"]; a proxy may keep or strip its path prefix):

    GET  /unsubscribe?token=T   a page with one button (a GET never changes anything:
                                mail scanners open every link)
    POST /unsubscribe?token=T   RFC 8058 one-click (body List-Unsubscribe=One-Click) and the
                                button: 200, no cookie, no redirect, idempotent
    POST /subscribe             the archive's form: pending + a confirmation email
    GET  /confirm?token=T       a page with one button;  POST: the subscriber becomes active
    GET  /style.css             the archive's stylesheet, read at start-up

No framework: five routes do not need one, and the service stays a few hundred lines that
import nothing from the build side. Served by waitress (`publish.py serve`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import resource
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser, BytesParser
from email.policy import HTTP, default
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import service_pages as pages
from .confirmations import confirmation_message
from .edition import load_welcome, series_titles
from .errors import (
    DuplicateSubscriber,
    EditionError,
    InvalidAddress,
    SubscriberError,
    TokenError,
    UnknownSubscriber,
    UsageError,
)
from .follows import Choice
from .outbox import Outbox
from .ratelimit import SlidingWindow
from .send import Personaliser
from .settings import SendSettings
from .store import OutboxMail, Store, normalise_address, record_event
from .subscriptions import (
    confirm_with_token,
    preferences_with_token,
    request_subscription,
    save_preferences,
    unsubscribe_with_token,
)
from .tokens import CONFIRM, LEAVE_SERIES, UNSUBSCRIBE, verify_token

logger = logging.getLogger(__name__)

MAX_BODY = 4096  # the subscribe form is well under 1 KB; the one-click body is 26 bytes
MAX_ADDRESS = 254  # RFC 5321's limit for a forward path
MAX_NAME = 100  # the form's maxlength
MAX_FIELDS = 20
SUBSCRIBES_PER_CLIENT = (5, 600)  # 5 requests per 10 minutes from one REMOTE_ADDR
CONFIRMATIONS_PER_ADDRESS = (3, 3600)  # so the form cannot be used to flood one inbox
SHUTDOWN_GRACE = 20.0  # seconds to send the emails already promised when stopped
# waitress buffers a request before a thread sees it, so slow clients cost a connection
# each, not a thread: allow many (poll(), not select()'s 1,024 descriptors), close idle
# ones soon. A buffering reverse proxy in front is still the real protection.
WAITRESS_LIMITS = {
    "connection_limit": 1000,
    "channel_timeout": 30,  # seconds without a byte before a connection is closed
    "cleanup_interval": 5,
    "backlog": 1024,
    "asyncore_use_poll": True,
    "max_request_header_size": 16 * 1024,
}

# Strict: no scripts, no frames, styles and form posts to ourselves only; tokens are in
# URLs, so no Referer may carry them to another site.
HTML_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
]
TEXT_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
REASONS |= {413: "Content Too Large", 429: "Too Many Requests", 500: "Internal Server Error"}
FALLBACK_CSS = b"body{font:1.0625rem/1.6 Georgia,serif;max-width:46rem;margin:0 auto;padding:1rem}"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Answer:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(HTML_HEADERS))


class Refusal(Exception):
    """An answer in plain text: a bad token, a wrong method, too big, too many."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()):
        super().__init__(message)
        self.status, self.headers = status, list(headers)

    def answer(self) -> Answer:
        body = (str(self) + "\n").encode("utf-8")
        return Answer(self.status, body, [*TEXT_HEADERS, *self.headers])


class FormProblem(Exception):
    """A subscribe form that cannot be used as sent: an HTML page, so the reader can fix it."""


class Request:
    """What a handler needs from the WSGI environ."""

    def __init__(self, environ: dict[str, Any], prefix: str):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        # A proxy that does not strip service_url's path (/service/...) works as well.
        self.path = path[len(prefix) :] if prefix and path.startswith(prefix + "/") else path
        self.client = environ.get("REMOTE_ADDR") or "unknown"

    def token(self) -> str:
        try:
            values = parse_qs(self.environ.get("QUERY_STRING", ""), max_num_fields=MAX_FIELDS)
        except ValueError:
            raise Refusal(
                400, "too many query fields: open the whole link from the email"
            ) from None
        token = (values.get("token") or [""])[0]
        if not token:
            raise Refusal(400, "token missing: open the whole link from the email")
        return token

    def body(self) -> bytes:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Refusal(400, "Content-Length is not a number") from None
        if length > MAX_BODY:
            raise Refusal(413, f"request body too large: at most {MAX_BODY} bytes")
        data = self.environ["wsgi.input"].read(length if length > 0 else MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise Refusal(413, f"request body too large: at most {MAX_BODY} bytes")
        return data

    def form(self) -> dict[str, str]:
        """The posted fields (urlencoded or multipart/form-data, as RFC 8058 allows)."""
        body, kind = self.body(), self.environ.get("CONTENT_TYPE") or ""
        try:
            if kind.lower().startswith("multipart/form-data"):
                return _multipart(kind, body)
            pairs = parse_qs(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except (UnicodeDecodeError, ValueError):
            raise Refusal(400, "the form cannot be read: send UTF-8 form fields") from None
        return {name: values[0] for name, values in pairs.items()}


def _multipart(kind: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body
    )
    fields = {}
    for part in list(message.iter_parts())[:MAX_FIELDS]:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = (part.get_payload(decode=True) or b"").decode("utf-8")
    return fields


class SubscriptionService:
    """The WSGI application. One Store is shared by waitress's threads (it holds a lock).

    Emails it promises go through `outbox` (started by `run`); its "confirm" and "welcome"
    kinds are here.
    """

    def __init__(self, settings: SendSettings, store: Store, outbox: Outbox | None = None):
        self.settings, self.store = settings, store
        self.secret = settings.require_secret()  # signs new links
        self.secrets = settings.verifying_secrets()  # checks links, old ones included
        self.outbox = outbox or Outbox(settings, store)
        self.outbox.composers["confirm"] = self.compose_confirmation
        self.outbox.composers["welcome"] = self.compose_welcome
        self.outbox.on_sent["welcome"] = self.record_welcomed
        self.look = pages.Look(settings.name, settings.public_url)
        self.stylesheet = read_stylesheet(settings.theme_path)
        self.prefix = urlsplit(settings.service_url).path.rstrip("/")
        self.per_client = SlidingWindow(*SUBSCRIBES_PER_CLIENT)
        self.per_address = SlidingWindow(*CONFIRMATIONS_PER_ADDRESS)
        self.routes: dict[str, dict[str, Callable[[Request], Answer]]] = {
            "/unsubscribe": {"GET": self.ask_unsubscribe, "POST": self.unsubscribe},
            "/subscribe": {"POST": self.subscribe},
            "/confirm": {"GET": self.ask_confirm, "POST": self.confirm},
            "/preferences": {"GET": self.ask_preferences, "POST": self.save_preferences},
            "/style.css": {"GET": self.style},
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        request = Request(environ, self.prefix)
        answer = self.answer(request)
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
        start_response(f"{answer.status} {REASONS.get(answer.status, '')}".strip(), headers)
        return [b"" if request.method == "HEAD" else answer.body]

    def answer(self, request: Request) -> Answer:
        try:
            return self.route(request)(request)
        except Refusal as refusal:
            return refusal.answer()
        except TokenError as error:
            return Refusal(400, str(error)).answer()
        except FormProblem as problem:
            return Answer(400, pages.form_problem(self.look, str(problem)))
        except Exception:
            logger.exception("%s %s failed", request.method, request.path)
            return Refusal(500, "internal error: try again later").answer()

    def route(self, request: Request) -> Callable[[Request], Answer]:
        methods = self.routes.get(request.path)
        if methods is None:
            raise Refusal(404, "not found")
        method = "GET" if request.method == "HEAD" else request.method
        if method not in methods:
            allowed = ", ".join(sorted({*methods, "HEAD"} if "GET" in methods else methods))
            raise Refusal(405, f"method {request.method} not allowed", [("Allow", allowed)])
        return methods[method]

    # -- unsubscribe -----------------------------------------------------------------------

    def ask_unsubscribe(self, request: Request) -> Answer:
        token = request.token()
        claims = verify_token(self.secrets, token, (UNSUBSCRIBE, LEAVE_SERIES))
        if claims.purpose == LEAVE_SERIES:
            title = self._title(claims.scope)
            page = pages.leave_series_question(self.look, _action(request), claims.address, title)
            return Answer(200, page)
        page = pages.unsubscribe_question(self.look, _action(request), claims.address)
        return Answer(200, page)

    def unsubscribe(self, request: Request) -> Answer:
        token = request.token()
        request.body()  # the size limit holds; any body is the intent (RFC 8058 sends one)
        # Removed from the list already: "unsubscribed" is true then as well.
        with contextlib.suppress(UnknownSubscriber):
            unsubscribe_with_token(self.store, self.secrets, token)
        claims = verify_token(self.secrets, token, (UNSUBSCRIBE, LEAVE_SERIES))
        if claims.purpose == LEAVE_SERIES:
            return Answer(200, pages.left_series(self.look, self._title(claims.scope)))
        return Answer(200, pages.unsubscribed(self.look))

    def _title(self, slug: str) -> str:
        return series_titles(self.settings).get(slug, slug)

    # -- preferences -----------------------------------------------------------------------

    def ask_preferences(self, request: Request) -> Answer:
        token = request.token()
        try:
            subscriber, prefs = preferences_with_token(self.store, self.secrets, token)
        except UnknownSubscriber:
            raise Refusal(400, "this address is no longer on the list: subscribe again") from None
        titles = series_titles(self.settings)
        status = {f.series: f.status for f in prefs.follows}
        options = [
            pages.SeriesOption(
                slug, title, status.get(slug) == "following", _note(status.get(slug))
            )
            for slug, title in titles.items()
        ]
        page = pages.preferences(
            self.look,
            _action(request),
            subscriber.address,
            prefs.newsletter,
            options,
            unsubscribed=subscriber.status != "active",
        )
        return Answer(200, page)

    def save_preferences(self, request: Request) -> Answer:
        token = request.token()
        form = request.form()
        offered = set(series_titles(self.settings))
        wanted = {slug for slug in offered if form.get(f"follow-{slug}") == "yes"}
        newsletter = form.get("newsletter") == "yes"
        if form.get("nothing") == "yes":
            newsletter, wanted = False, set()
        try:
            summary = save_preferences(self.store, self.secrets, token, newsletter, wanted, offered)
        except UnknownSubscriber:
            raise Refusal(400, "this address is no longer on the list: subscribe again") from None
        return Answer(200, pages.preferences_saved(self.look, summary))

    # -- subscribe and confirm -------------------------------------------------------------

    def subscribe(self, request: Request) -> Answer:
        wait = self.per_client.hit(request.client)
        if wait:
            raise Refusal(429, "too many requests: try again later", [("Retry-After", str(wait))])
        form = request.form()
        if not form.get("website"):  # the honeypot: people never see it, bots fill it
            address, name = _subscriber_fields(form)
            choice = _choice(form)
            # Stored before the answer, and the same single INSERT for every address: the
            # list is looked at later, on the outbox's thread (no enumeration by timing).
            self.outbox.add("confirm", address, name, choice.encode())
        return Answer(200, pages.check_your_inbox(self.look))

    def compose_confirmation(self, mail: OutboxMail) -> bytes | None:
        """The outbox's "confirm" kind: make the address pending and return the email with
        its link; None when it is already active or was sent 3 this hour."""
        try:
            token = self._request(mail)
        except DuplicateSubscriber:  # added meanwhile (`subscribers add`, the inbox)
            token = self._request(mail)
        first_try = mail.attempts == 0  # a retry was counted when it was first made
        if token is None or (first_try and self.per_address.hit(mail.address.lower())):
            return None
        return confirmation_message(self.settings, mail.address, token)

    def _request(self, mail: OutboxMail) -> str | None:
        choice = Choice.decode(mail.choice)
        return request_subscription(self.store, self.secret, mail.address, mail.name, choice=choice)

    def ask_confirm(self, request: Request) -> Answer:
        token = request.token()
        address = verify_token(self.secrets, token, CONFIRM).address
        return Answer(200, pages.confirm_question(self.look, _action(request), address))

    def confirm(self, request: Request) -> Answer:
        token = request.token()
        request.body()
        try:
            subscriber, changed = confirm_with_token(self.store, self.secrets, token)
        except UnknownSubscriber:
            raise Refusal(400, "this confirmation link no longer works: subscribe again") from None
        if changed:
            self.outbox.add("welcome", subscriber.address)
        return Answer(200, pages.confirmed(self.look))

    def compose_welcome(self, mail: OutboxMail) -> bytes | None:
        """The outbox's "welcome" kind: the welcome edition, if the newsletter has one, once
        per reader ever (a `welcomed` event, recorded once it is sent, says so: a reader who
        comes back is not welcomed twice), and only while they are still active."""
        try:
            edition = load_welcome(self.settings)
        except EditionError as error:
            logger.error("%s: not sent to %s", error, mail.address)
            return None
        subscriber = self.store.get(mail.address)
        if edition is None or subscriber is None or subscriber.status != "active":
            return None
        if any(event.kind == "welcomed" for event in self.store.events(subscriber.address)):
            return None
        return Personaliser(self.settings, edition).render(subscriber.address)

    def record_welcomed(self, mail: OutboxMail, message: bytes) -> None:
        """The outbox sent the welcome: only now is the reader welcomed."""
        subscriber = self.store.get(mail.address)
        if subscriber is None:
            return
        subject = BytesHeaderParser(policy=default).parsebytes(message)["Subject"]
        with self.store.transaction() as db:
            record_event(db, subscriber, "welcomed", "service", {"subject": str(subject or "")})

    def style(self, request: Request) -> Answer:
        headers = [
            ("Content-Type", "text/css; charset=utf-8"),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "public, max-age=3600"),
        ]
        return Answer(200, self.stylesheet, headers)


def _action(request: Request) -> str:
    # Relative to the page's own URL, so it survives any prefix a proxy adds.
    return request.path.rsplit("/", 1)[-1] + "?" + request.environ.get("QUERY_STRING", "")


def _subscriber_fields(form: dict[str, str]) -> tuple[str, str]:
    address = form.get("address", "").strip()
    name = _CONTROL.sub(" ", form.get("name", "")).strip()
    if not address:
        raise FormProblem("Please give your email address.")
    if len(address) > MAX_ADDRESS or len(name) > MAX_NAME:
        raise FormProblem(
            f"The address (at most {MAX_ADDRESS} characters) or the name (at most {MAX_NAME}) "
            "is too long."
        )
    try:
        return normalise_address(address), name
    except InvalidAddress:
        raise FormProblem(f"{address} is not an email address we can send to.") from None


def _note(status: str | None) -> str:
    return {"ended": "complete: you had every part", "left": "you left it"}.get(status or "", "")


def _choice(form: dict[str, str]) -> Choice:
    try:
        return Choice.from_form(form)
    except SubscriberError:
        raise FormProblem("That series is not one of ours: subscribe from its page.") from None


def read_stylesheet(theme: Path | None) -> bytes:
    """The archive's stylesheet, read once; a plain fallback when the theme is not there."""
    path = (theme or Path("theme")) / "static" / "css" / "style.css"
    try:
        return path.read_bytes()
    except OSError:
        logger.warning("no stylesheet at %s: the service's pages use a plain fallback", path)
        return FALLBACK_CSS


def make_app(settings: SendSettings) -> SubscriptionService:
    """The service for a newsletter's settings; raises SettingsError without MASTHEAD_SECRET,
    StoreMissing without a store (it never creates one: see Store)."""
    settings.require_secret()
    return SubscriptionService(settings, Store(settings.store_path, create=False))


def run(
    app: SubscriptionService,
    host: str,
    port: int,
    threads: int = 4,
    trusted_proxy: str | None = None,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve `app` with waitress until Ctrl-C or SIGTERM; `on_listening` gets the URL once
    the socket listens (so "Serving" is never printed for a port that failed)."""
    import waitress

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "threads": threads,
        "ident": "masthead",
        "max_request_body_size": 64 * 1024,  # waitress's own cap; the app answers 413 sooner
        "clear_untrusted_proxy_headers": True,
        **WAITRESS_LIMITS,
    }
    _allow_descriptors(WAITRESS_LIMITS["connection_limit"] + 64)
    if trusted_proxy:
        # Behind a proxy every request comes from it: the client address the rate limit
        # counts must come from X-Forwarded-For, trusted from that proxy only.
        options |= {
            "trusted_proxy": trusted_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        }
    try:
        server = waitress.create_server(app, **options)
    except OSError as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {error.strerror} (port in use? pass --port N)"
        ) from error
    signal.signal(signal.SIGTERM, _interrupt)  # systemd's stop: finish like Ctrl-C
    app.outbox.start()
    if on_listening is not None:
        on_listening(f"http://{server.effective_host}:{server.effective_port}/")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        # Readers already told "check your inbox" get their email now if the server
        # answers, else at the next start: the rows are in the store.
        if not app.outbox.stop(SHUTDOWN_GRACE):
            logger.warning("stopped with emails still queued: the next start sends them")


def _allow_descriptors(wanted: int) -> None:
    """Raise the soft limit on open files towards `wanted` (one per connection)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
