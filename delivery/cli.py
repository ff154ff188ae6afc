"""Click commands for subscribers, sending and replies; thin: the library does the work.

The lead's `publish.py` group adds them with `register(cli)`; a parent group sets
ctx.obj["settings"] from its `--settings FILE` option. `python -m delivery` runs them alone.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import follows
from .confirmations import Confirmations
from .csvio import export_csv, import_csv
from .errors import DeliveryError, UnknownSubscriber, UsageError
from .inbox import process_inbox
from .proof import proof_note
from .report import delivery_times, overview, overview_line, send_report
from .report import lines as report_lines
from .schedule import cancel_schedule, parse_when, schedule_send, schedules, send_due, shown_time
from .send import (
    Progress,
    SendPlan,
    SendSummary,
    newer_issue_sent,
    plan_send,
    send_dry_run,
    send_lock,
    send_planned,
    send_test,
)
from .service import make_app
from .service import run as run_service
from .settings import SendSettings, load_settings
from .signing import keygen
from .store import STATUSES, Event, Store, normalise_address
from .subscriptions import unsubscribe_with_token

F = TypeVar("F", bound=Callable[..., Any])
STATUS = click.Choice(STATUSES)


class DeliveryClickError(click.ClickException):
    """A library error as one line on stderr, with the error's exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def friendly(command: F) -> F:
    """Turn the library's typed errors into one-line messages, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DeliveryError as error:
            raise DeliveryClickError(str(error), error.exitcode) from error

    return wrapper  # type: ignore[return-value]


def settings_of(ctx: click.Context) -> SendSettings:
    obj = ctx.find_root().obj if isinstance(ctx.find_root().obj, dict) else {}
    return load_settings(obj.get("settings") or "pelicanconf.py")


def store_of(
    ctx: click.Context, settings: SendSettings | None = None, create: bool = False
) -> Store:
    """The settings' store; only commands that add subscribers pass `create` (and say so)."""
    store = Store((settings or settings_of(ctx)).store_path, create=create)
    ctx.call_on_close(store.close)
    if store.created:
        click.echo(f"Created the subscriber store at {store.path}", err=True)
    return store


# -- subscribers ---------------------------------------------------------------------------


@click.group()
def subscribers() -> None:
    """Manage the subscriber list (the SQLite store named in NEWSLETTER["store"]).

    Example: publish.py subscribers add reader@example.org --name "Ada Reader"
    """


@subscribers.command("add")
@click.argument("address")
@click.option("--name", default="", help="The subscriber's name.")
@click.option(
    "--status", type=STATUS, default="active", show_default=True, help="Their starting status."
)
@click.option("--series", "series", metavar="SLUG", help="Follow this series (its parts).")
@click.option("--catch-up", is_flag=True, help="With --series: send its earlier parts too.")
@click.option("--series-only", is_flag=True, help="With --series: no whole issues.")
@click.pass_context
@friendly
def add_command(
    ctx: click.Context,
    address: str,
    name: str,
    status: str,
    series: str | None,
    catch_up: bool,
    series_only: bool,
) -> None:
    """Add one subscriber, or (with --series) make one follow a series.

    Examples: publish.py subscribers add reader@example.org --name "Ada Reader";
    publish.py subscribers add reader@example.org --series anchor --catch-up --series-only
    """
    address = normalise_address(address)  # a typo creates no store
    if (catch_up or series_only) and not series:
        raise UsageError("--catch-up and --series-only need --series SLUG")
    choice = follows.Choice(series or "", catch_up, not series_only)
    settings = settings_of(ctx)
    store = store_of(ctx, settings, create=True)
    subscriber, added = follows.add_follower(settings, store, address, name, status, choice)
    what = f" following {series}" if series else ""
    verb = "added" if added else "updated"
    click.echo(f"{verb} {subscriber.address} ({subscriber.status}){what}")


@subscribers.command("remove")
@click.argument("address")
@click.pass_context
@friendly
def remove_command(ctx: click.Context, address: str) -> None:
    """Delete a subscriber from the store (the delivery log keeps its rows).

    Example: publish.py subscribers remove reader@example.org
    """
    removed = store_of(ctx).remove_subscriber(address)
    click.echo(f"removed {removed.address}")


@subscribers.command("unsubscribe")
@click.argument("address", required=False)
@click.option("--token", help="The token from an unsubscribe link (?token=...).")
@click.pass_context
@friendly
def unsubscribe_command(ctx: click.Context, address: str | None, token: str | None) -> None:
    """Mark a subscriber unsubscribed, by address or by the token of their link.

    Example: publish.py subscribers unsubscribe --token 'dW5zdWJ...'
    """
    if bool(address) == bool(token):
        raise UsageError("give an ADDRESS or --token TOKEN (one of them)")
    settings = settings_of(ctx)
    store = store_of(ctx, settings)
    if token:
        subscriber, changed = unsubscribe_with_token(
            store, settings.verifying_secrets(), token, source="cli --token"
        )
    else:
        subscriber, changed = store.set_status(str(address), "unsubscribed", source="cli")
    click.echo(f"{subscriber.address}: {'unsubscribed' if changed else 'already unsubscribed'}")


@subscribers.command("history")
@click.argument("address")
@click.pass_context
@friendly
def history_command(ctx: click.Context, address: str) -> None:
    """List everything recorded about ADDRESS, oldest first: subscribed, confirmed, each
    issue sent, bounces and complaints with their evidence, unsubscribed and how.

    Example: publish.py subscribers history reader@example.org
    """
    store = store_of(ctx)
    events = store.events(address)
    if not events and store.get(address) is None:
        raise UnknownSubscriber(f"{address.strip()} is not on the list and has no history")
    current = store.get(address)
    click.echo(f"{address.strip()}: {current.status if current else 'removed'}")
    for event in events:
        click.echo(f"  {describe_event(event)}")


@subscribers.command("set-status")
@click.argument("address")
@click.argument("status", type=STATUS)
@click.option("--note", default="", help="Why (kept in the subscriber's history).")
@click.pass_context
@friendly
def set_status_command(ctx: click.Context, address: str, status: str, note: str) -> None:
    """Set ADDRESS's status by hand (an editor handling a case); recorded in its history.

    Example: publish.py subscribers set-status reader@example.org active --note "fixed typo"
    """
    evidence = {"note": note} if note else None
    subscriber, changed = store_of(ctx).set_status(
        address, status, kind="status set", source="cli", evidence=evidence
    )
    click.echo(f"{subscriber.address}: {status if changed else 'already ' + status}")


@subscribers.command("list")
@click.option("--status", type=STATUS, help="Only subscribers with this status.")
@click.pass_context
@friendly
def list_command(ctx: click.Context, status: str | None) -> None:
    """List subscribers, one a line: address, name, status (tab-separated).

    Example: publish.py subscribers list --status active
    """
    for s in store_of(ctx).subscribers(status):
        click.echo(f"{s.address}\t{s.name}\t{s.status}")


@subscribers.command("count")
@click.option("--status", type=STATUS, help="Only subscribers with this status.")
@click.pass_context
@friendly
def count_command(ctx: click.Context, status: str | None) -> None:
    """Print how many subscribers there are.

    Example: publish.py subscribers count --status active
    """
    click.echo(store_of(ctx).count(status))


@subscribers.command("import")
@click.argument("csv_path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--status",
    type=STATUS,
    default="active",
    show_default=True,
    help="Status of rows without a status column.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; change nothing.")
@click.pass_context
@friendly
def import_command(ctx: click.Context, csv_path: str, status: str, dry_run: bool) -> None:
    """Import subscribers: our export, another tool's, any CSV with an address column, or a
    list of one address a line.

    Reads Mailchimp, Substack, Buttondown and listmonk exports by their own columns (names
    joined; unsubscribed, cleaned or bounced rows keep that status, never active); commas,
    semicolons or tabs. Bad rows are reported with their line; the good ones are imported in
    one transaction.

    Example: publish.py subscribers import subscribed_members_export.csv --dry-run
    """
    store = store_of(ctx, create=True)
    report = import_csv(csv_path, store, status=status, dry_run=dry_run)
    for bad in report.bad:
        click.echo(f"{csv_path}:{bad.line}: {bad.reason}", err=True)
    click.echo(str(report))


@subscribers.command("export")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False))
@click.option("--status", type=STATUS, help="Only subscribers with this status.")
@click.pass_context
@friendly
def export_command(ctx: click.Context, csv_path: str, status: str | None) -> None:
    """Export subscribers to CSV with every field (import reads it back losslessly).

    Example: publish.py subscribers export backup.csv
    """
    count = export_csv(csv_path, store_of(ctx), status)
    click.echo(f"exported {count} subscriber(s) to {csv_path}")


# -- send ----------------------------------------------------------------------------------


@click.command("send")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--dry-run", is_flag=True, help="Write every copy into --maildir, send nothing.")
@click.option("--maildir", type=click.Path(file_okay=False), help="Maildir for --dry-run.")
@click.option("--test-to", metavar="ADDR", help="Send one copy to ADDR; log no delivery.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--connections", type=click.IntRange(min=1), help="SMTP connections at once.")
@click.option("--rate", type=click.FloatRange(min=0), help="Messages per second (0: no limit).")
@click.option(
    "--retry-failed", is_flag=True, help="Queue the failed deliveries again, then resume."
)
@click.option(
    "--at",
    "when",
    metavar="WHEN",
    help="Schedule it instead: 'YYYY-MM-DD HH:MM' in TIMEZONE, or ISO 8601 with an offset.",
)
@click.option("--cancel", is_flag=True, help="Cancel the issue's schedule.")
@click.pass_context
@friendly
def send_command(
    ctx: click.Context,
    number: int,
    dry_run: bool,
    maildir: str | None,
    test_to: str | None,
    yes: bool,
    connections: int | None,
    rate: float | None,
    retry_failed: bool,
    when: str | None,
    cancel: bool,
) -> None:
    """Send edition NUMBER to every active subscriber; run it again to resume.

    With --at it is scheduled instead, and `send-due` (from cron or a systemd timer) sends
    it when the time comes; --cancel drops the schedule.

    Examples: publish.py send 14 --dry-run --maildir /tmp/preview;
    publish.py send 14 --test-to editor@example.org; publish.py send 14 --yes;
    publish.py send 14 --at "2026-11-24 07:00"
    """
    if dry_run != bool(maildir):
        raise UsageError("--dry-run and --maildir DIR go together")
    if test_to and dry_run:
        raise UsageError("choose --test-to or --dry-run, not both")
    if retry_failed and (test_to or dry_run):
        raise UsageError("--retry-failed is for a real send, not --test-to or --dry-run")
    if (when or cancel) and (test_to or dry_run or retry_failed or (when and cancel)):
        raise UsageError("--at and --cancel go alone (not with each other, a test or a dry run)")
    settings = settings_of(ctx)
    store = store_of(ctx, settings)
    now = datetime.now(UTC)
    if when or not (test_to or dry_run or cancel):
        _older_than_sent(store, number, yes)
    if when:
        at = parse_when(when, settings.zone)
        made = schedule_send(settings, store, number, at, now)
        click.echo(f"scheduled {made.shown(settings.zone)}; `send-due` sends it then")
        return
    if cancel:
        click.echo(f"cancelled {cancel_schedule(store, number, now).shown(settings.zone)}")
        return
    if test_to:
        summary = send_test(settings, number, test_to, store=store)
    elif dry_run:
        with _progress_bar(follows.count_readers(store), "writing") as progress:
            summary = send_dry_run(
                settings, number, store, str(maildir), connections=connections, progress=progress
            )
    else:
        summary = _real_send(settings, store, number, yes, connections, rate, retry_failed)
    _report(summary)
    if note := proof_note(settings, number):  # after the summary: errors stay one line
        click.echo(note, err=True)


def _older_than_sent(store: Store, number: int, yes: bool) -> None:
    """Sending an issue older than one already sent is usually a wrong number: ask first."""
    newer = newer_issue_sent(store, number)
    if newer is None or yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"issue {number} is older than issue {newer}, which was already sent: check the "
            "number, or pass --yes to send it anyway"
        )
    click.confirm(
        f"Issue {newer} was already sent and issue {number} is older. Send it anyway?",
        abort=True,
    )


def _real_send(
    settings: SendSettings,
    store: Store,
    number: int,
    yes: bool,
    connections: int | None,
    rate: float | None,
    retry_failed: bool,
) -> SendSummary:
    # Lock first: the plan writes (skipped rows) and must still hold when the send starts.
    with send_lock(store, number) as lease:
        plan = plan_send(settings, number, store, retry_failed)
        if not yes and sys.stdin.isatty():
            _confirm(settings, plan)
        try:
            with _progress_bar(plan.recipients, "sending") as progress:
                return send_planned(
                    settings,
                    plan,
                    store,
                    connections=connections,
                    rate=rate,
                    progress=progress,
                    lease=lease,
                )
        except KeyboardInterrupt:
            raise DeliveryClickError(
                f"interrupted: deliveries not yet answered stay queued; run `send {number}` "
                "again to resume",
                130,
            ) from None


def _confirm(settings: SendSettings, plan: SendPlan) -> None:
    verb = "Resume sending" if plan.resuming else "Send"
    if note := proof_note(settings, plan.edition.number):
        click.echo(note, err=True)
    click.confirm(
        f"{verb} issue {plan.edition.number} ({plan.edition.subject!r}) to "
        f"{plan.recipients} subscriber(s) through {settings.smtp.host}:{settings.smtp.port}?",
        abort=True,
    )


class _progress_bar:  # used like a function
    """A click progress bar on a terminal; nothing when output goes to a file or a pipe."""

    def __init__(self, total: int, label: str):
        self.total, self.label = total, label
        self.bar: Any = None
        self.shown = 0

    def __enter__(self) -> Callable[[Progress], None] | None:
        if not sys.stderr.isatty():
            return None
        self.bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr)
        self.bar.__enter__()
        return self.update

    def update(self, progress: Progress) -> None:
        self.bar.update(progress.done - self.shown)
        self.shown = progress.done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _report(summary: SendSummary) -> None:
    click.echo(str(summary))
    for address, reply in summary.failures:
        click.echo(f"  failed: {address}: {reply}", err=True)
    if summary.kind == "real" and summary.failed:
        click.echo(f"  `send {summary.issue} --retry-failed` tries them again", err=True)


# -- schedules -----------------------------------------------------------------------------


@click.command("send-due")
@click.option("--force", is_flag=True, help="Also send what is more than max_lateness late.")
@click.option("--connections", type=click.IntRange(min=1), help="SMTP connections at once.")
@click.option("--rate", type=click.FloatRange(min=0), help="Messages per second (0: no limit).")
@click.pass_context
@friendly
def send_due_command(
    ctx: click.Context, force: bool, connections: int | None, rate: float | None
) -> None:
    """Send every scheduled issue whose time has come; for cron or a systemd timer.

    Safe to run often and twice at once: each schedule is sent exactly once. A schedule more
    than NEWSLETTER["max_lateness"] hours late (default 6) is refused unless --force; exit 1
    when something was refused or failed.

    Example (crontab): */5 * * * * cd /srv/news && .venv/bin/python publish.py send-due
    """
    settings = settings_of(ctx)
    store = store_of(ctx, settings)
    outcomes = send_due(
        settings, store, datetime.now(UTC), force=force, connections=connections, rate=rate
    )
    for outcome in outcomes:
        click.echo(str(outcome), err=not outcome.ok)
    if not outcomes:
        click.echo("nothing due")
    if not all(outcome.ok for outcome in outcomes):
        ctx.exit(1)


@click.command("schedule")
@click.option("--all", "everything", is_flag=True, help="Also schedules sent, cancelled, failed.")
@click.pass_context
@friendly
def schedule_command(ctx: click.Context, everything: bool) -> None:
    """List scheduled sends: issue, time (in TIMEZONE), state, and what became of them.

    Example: publish.py schedule --all
    """
    settings = settings_of(ctx)
    found = schedules(store_of(ctx, settings), everything)
    for item in found:
        note = f"\t{item.note}" if item.note else ""
        click.echo(f"{item.issue}\t{shown_time(item.due_at, settings.zone)}\t{item.status}{note}")
    if not found:
        click.echo("nothing scheduled: `send N --at 'YYYY-MM-DD HH:MM'` schedules an issue")


# -- the send report -----------------------------------------------------------------------


@click.command("status")
@click.argument("number", type=click.IntRange(min=1), required=False)
@click.option(
    "--plot",
    "plot_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="With NUMBER: draw its deliveries over time into FILE (.png or .svg).",
)
@click.pass_context
@friendly
def status_command(ctx: click.Context, number: int | None, plot_path: str | None) -> None:
    """How the sends went: every issue in one line each, or one issue's send in detail.

    Without NUMBER: each issue's state (draft, not sent, scheduled, sending, sent). With
    NUMBER: deliveries by state, start and end, rate, failures grouped by reason.

    Example: publish.py status 14 --plot issue-14.svg
    """
    settings = settings_of(ctx)
    store = store_of(ctx, settings)
    if number is None:
        if plot_path:
            raise UsageError("--plot needs an issue NUMBER")
        for item in overview(settings, store):
            click.echo(overview_line(item))
        return
    for line in report_lines(send_report(store, number), settings.zone):
        click.echo(line)
    if plot_path:
        from .plot import plot_deliveries  # matplotlib only when asked for

        title = f"{settings.name}: issue {number}"
        times = delivery_times(store, number)
        click.echo(f"plot: {plot_deliveries(times, plot_path, title, settings.zone)}")


# -- inbox ---------------------------------------------------------------------------------


@click.group()
def inbox() -> None:
    """Handle replies sent to the requests address (UNSUBSCRIBE / SUBSCRIBE).

    Example: publish.py inbox process ~/Mail/newsletter-requests
    """


@inbox.command("process")
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "--active",
    "trust",
    is_flag=True,
    help="SUBSCRIBE makes the sender active at once, with no confirmation email "
    "(only for an inbox you trust: From can be forged).",
)
@click.option(
    "--pending",
    is_flag=True,
    hidden=True,  # the old flag, kept so scripts still run: pending is the default now
    help="The default: SUBSCRIBE makes the sender pending and sends a confirmation email.",
)
@click.option("--all", "reprocess", is_flag=True, help="Also messages already processed.")
@click.pass_context
@friendly
def process_command(
    ctx: click.Context, path: str, trust: bool, pending: bool, reprocess: bool
) -> None:
    """Apply UNSUBSCRIBE / SUBSCRIBE from a Maildir or mbox of replies; print each action.

    SUBSCRIBE makes the sender pending and emails them a confirmation link (through the
    SMTP settings, signed with MASTHEAD_SECRET), as the subscribe form does.

    Example: publish.py inbox process ~/Mail/newsletter-requests
    """
    if trust and pending:
        raise UsageError("choose --active or --pending, not both")
    settings = settings_of(ctx)
    store = store_of(ctx, settings, create=True)  # SUBSCRIBE adds subscribers
    confirmations = None if trust else Confirmations(settings)
    if confirmations is not None:
        ctx.call_on_close(confirmations.close)
    for action in process_inbox(path, store, confirmations, reprocess):
        click.echo(str(action))


def describe_event(event: Event) -> str:
    """One line of history: `2026-11-24 09:12 hard bounce 5.1.1 (user unknown) [send]`."""
    facts = ", ".join(f"{key}: {value}" for key, value in event.evidence.items() if value != "")
    source = f" [{event.source}]" if event.source else ""
    return f"{event.at[:16].replace('T', ' ')} {event.kind}{source}" + (
        f" — {facts}" if facts else ""
    )


# -- DKIM ----------------------------------------------------------------------------------


@click.group("dkim")
def dkim_group() -> None:
    """DKIM signing of every message sent (NEWSLETTER["dkim"], MASTHEAD_DKIM_KEY).

    Example: publish.py dkim keygen --out ~/.config/masthead/news.pem
    """


@dkim_group.command("keygen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    required=True,
    help="Where to write the new private key (PEM, mode 0600; never overwritten).",
)
@click.option("--domain", help='The signing domain (default: NEWSLETTER["dkim"]["domain"]).')
@click.option("--selector", help='The selector (default: NEWSLETTER["dkim"]["selector"]).')
@click.pass_context
@friendly
def keygen_command(ctx: click.Context, out: str, domain: str | None, selector: str | None) -> None:
    """Write a 2048-bit RSA key and print the DNS TXT record to publish.

    Example: publish.py dkim keygen --out ~/.config/masthead/news.pem
    """
    configured = settings_of(ctx).dkim
    domain = domain or (configured.domain if configured else None)
    selector = selector or (configured.selector if configured else None)
    if not domain or not selector:
        raise UsageError(
            'give --domain and --selector, or set NEWSLETTER["dkim"] = {"domain": ..., '
            '"selector": ...} in the settings'
        )
    record = keygen(Path(out).expanduser(), domain, selector)
    click.echo(f"wrote {out}: keep it secret; export MASTHEAD_DKIM_KEY={out}")
    click.echo("Publish this DNS record (TXT), then send:")
    click.echo(str(record))


# -- the subscription service -------------------------------------------------------------


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,  # not 8025: aiosmtpd's default, where a test SMTP server often listens
    show_default=True,
    help="TCP port.",
)
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Worker threads."
)
@click.option(
    "--trusted-proxy",
    metavar="IP",
    help="The reverse proxy's address: client addresses then come from its X-Forwarded-For.",
)
@click.pass_context
@friendly
def serve_command(
    ctx: click.Context, host: str, port: int, threads: int, trusted_proxy: str | None
) -> None:
    """Run the subscription service: subscribe, confirm and one-click unsubscribe.

    Put it behind a reverse proxy that serves NEWSLETTER["service_url"] over HTTPS (see
    docs/service.md). Needs MASTHEAD_SECRET and the SMTP settings (confirmation emails).

    Example: MASTHEAD_SECRET=... python publish.py --settings publishconf.py serve --port 8080
    """
    settings = settings_of(ctx)
    app = make_app(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    def listening(url: str) -> None:  # said once the socket listens, not before
        click.echo(
            f"Serving the subscription service of {settings.service_url} at {url} (Ctrl-C to stop)"
        )

    run_service(app, host, port, threads, trusted_proxy, on_listening=listening)
    click.echo("stopped")


# -- wiring --------------------------------------------------------------------------------

COMMANDS = (
    subscribers,
    send_command,
    send_due_command,
    schedule_command,
    status_command,
    inbox,
    serve_command,
    dkim_group,
)


def register(group: click.Group) -> None:
    """Add the send-time commands (COMMANDS) to the main CLI group."""
    for command in COMMANDS:
        group.add_command(command)


@click.group()
@click.option(
    "--settings",
    default="pelicanconf.py",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The newsletter's settings file.",
)
@click.pass_context
def cli(ctx: click.Context, settings: str) -> None:
    """Masthead's send-time commands (python -m delivery; publish.py includes them).

    Example: python -m delivery --settings publishconf.py send 14 --dry-run --maildir /tmp/p
    """
    ctx.ensure_object(dict)["settings"] = settings


register(cli)
