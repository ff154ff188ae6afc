#!/usr/bin/env python3
"""Masthead: the editor's command line. Every command is here; the work is in masthead/."""

from __future__ import annotations

import click

from delivery.cli import register as add_send_commands
from masthead import build as site
from masthead import check as checks
from masthead import editions, preview, progress, proof, scaffold, subscriber_view
from masthead.cli_support import MastheadGroup, debug_logging, project_of, say_warnings
from masthead.project import shown


@click.group(cls=MastheadGroup)
@click.option("--settings", default="pelicanconf.py", show_default=True, help="Settings file.")
@click.option("--debug", is_flag=True, help="Show tracebacks and Pelican's own log.")
@click.pass_context
def cli(ctx: click.Context, settings: str, debug: bool) -> None:
    """Write a newsletter in Markdown; build its web archive and email editions; send them.

    Example: python publish.py --settings publishconf.py build
    """
    ctx.ensure_object(dict).update(settings=settings, debug=debug)
    if debug:
        debug_logging()


@cli.group()
def new() -> None:
    """Start an issue, an article or a series from a scaffold; never overwrites a file.

    Example: python publish.py new issue --subject "Holiday coverage"
    """


@new.command("issue")
@click.option(
    "--date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="YYYY-MM-DD (default: the next publication day).",
)
@click.option("--subject", help="The email subject after the newsletter's name.")
@click.pass_obj
def new_issue(obj: dict, date, subject: str | None) -> None:
    """Write the next issue's file, as a draft, and print its path.

    The date defaults to the first publication day (NEWSLETTER["publication_day"]) after
    the latest issue, and not before today.

    Example: python publish.py new issue --date 2026-11-24 --subject "Holiday coverage"
    """
    project = project_of(obj)
    path = scaffold.new_issue(project, date.date() if date else None, subject)
    click.echo(project.shown(path))


@new.command("article")
@click.argument("title", required=False)
@click.option("--issue", type=click.IntRange(min=1), required=True, help="The issue it appears in.")
@click.option("--series", metavar="SLUG", help="A series in content/series/: takes its next part.")
@click.option(
    "--part", type=click.IntRange(min=1), help="The part number (default: the next free)."
)
@click.option("--section", help="Section heading (default: Features).")
@click.option("--slug", help="File name and URL (default: from the title).")
@click.pass_obj
def new_article(obj: dict, title: str | None, issue: int, **where: str | None) -> None:
    """Write an article's file, content/articles/<slug>.md, and print its path.

    With --series it takes the series' next free part, and TITLE may be left out (or
    given as -) to use that part's planned title from the series file.

    Example: python publish.py new article --issue 10 --series anchor
    """
    project = project_of(obj)
    made = scaffold.new_article(project, title, issue, **where)
    click.echo(project.shown(made.path))
    if made.listed_by_issue:
        click.echo(f"note: issue {issue} lists its articles: add '{made.slug}' there", err=True)


@new.command("series")
@click.argument("slug")
@click.option("--title", required=True, help="The series name.")
@click.option("--subtitle", help="One line under the title.")
@click.option("--part", "parts", multiple=True, metavar="TITLE", help="A planned part (repeat).")
@click.pass_obj
def new_series(obj: dict, slug: str, title: str, subtitle: str | None, parts: tuple) -> None:
    """Write content/series/SLUG.md with its planned parts, and print its path.

    Example: python publish.py new series anchor --title ANCHOR --part "Access" --part "Notice"
    """
    project = project_of(obj)
    click.echo(project.shown(scaffold.new_series(project, slug, title, list(parts), subtitle)))


@cli.command()
@click.option("--drafts", is_flag=True, help="Also build draft issues (marked DRAFT).")
@click.option("--output", type=click.Path(file_okay=False), help="Output directory.")
@click.option("--no-cache", is_flag=True, help="Render everything again (no build cache).")
@click.pass_obj
def build(obj: dict, drafts: bool, output: str | None, no_cache: bool) -> None:
    """Build the web archive and the email editions.

    Example: python publish.py build --drafts
    """
    with progress.spinner("Building"):
        report = site.build(obj["settings"], output, drafts, cache=not no_cache)
    say_warnings([*map(str, report.warnings), *report.pelican_warnings])
    drafts_note = f" and {report.drafts} drafts" if report.drafts else ""
    click.echo(
        f"Built {report.issues} issues{drafts_note}, {report.articles} articles, "
        f"{report.series} series, {report.topics} topics, {report.editions} editions, "
        f"{report.warning_count} warnings."
    )
    click.echo(f"Open {shown(report.output / 'index.html')} with `python publish.py preview`")


@cli.command()
@click.pass_obj
def check(obj: dict) -> None:
    """Check links to our own pages and the email editions; exit 1 on a problem (for CI).

    Builds drafts too, into a temporary directory: output/ is left as it is.

    Example: python publish.py check && python publish.py send 10
    """
    warnings = checks.check(project_of(obj), progress.track, progress.spinner)
    say_warnings(map(str, warnings))
    click.echo(f"Check passed ({len(warnings)} warnings).")


@cli.command("preview")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1.",
)
@click.pass_obj
def preview_command(obj: dict, port: int) -> None:
    """Serve the site on 127.0.0.1 and rebuild it whenever something changes.

    Builds drafts too, then watches content/, theme/ and the settings file. Ctrl-C stops it.

    Example: python publish.py preview --port 8001
    """
    preview.Preview(project_of(obj), port, click.echo).run()


@cli.command()
@click.argument("number", type=click.IntRange(min=1))
@click.option("--text", "kind", flag_value="text", help="Print the plain-text email.")
@click.option("--html", "kind", flag_value="html", help="Print the HTML email.")
@click.option("--eml", "kind", flag_value="eml", help="Print a sample reader's MIME message.")
@click.option(
    "--preview",
    "kind",
    flag_value="preview",
    help="Write preview.html (a sample subscriber, this build's links) and print its path.",
)
@click.pass_obj
def edition(obj: dict, number: int, kind: str | None) -> None:
    """Print one email edition, or the path of its directory.

    Example: python publish.py edition 8 --text | less
    """
    project = project_of(obj)
    output = project.output
    if kind == "preview":
        folder = editions.edition_dir(output, number)
        click.echo(shown(subscriber_view.write_preview(folder, project.setting("public_url"))))
    elif kind is None:
        click.echo(shown(editions.edition_dir(output, number)))
    elif kind == "eml":
        click.echo(editions.sample_eml(editions.edition_dir(output, number)), nl=False)
    else:
        click.echo(
            editions.edition_file(output, number, kind).read_text(encoding="utf-8"), nl=False
        )


@cli.command("proof")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--offline", is_flag=True, help="Do not fetch external links (not checked).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=3.0,
    show_default=True,
    help="Seconds to wait for each external link.",
)
@click.pass_obj
def proof_command(obj: dict, number: int, offline: bool, timeout: float) -> None:
    """Write output/proofs/NUMBER/index.html, the sheet to sign off before `send NUMBER`.

    Inbox view, screenshots at 375 and 600 px in light and dark (Debian's chromium), the
    text part, every link checked, size, headers, alt text, List-Unsubscribe, capitals
    and image-only checks. Build first (`build --drafts` for a draft).

    Example: python publish.py proof 10 && xdg-open output/proofs/10/index.html
    """
    sheet = proof.make_proof(project_of(obj), number, proof.find_chromium(), timeout, offline)
    say_warnings([f"{check.name}: {check.detail}" for check in sheet.failed])
    if sheet.browser_note:
        click.echo(sheet.browser_note, err=True)
    passed = len(sheet.checks) - len(sheet.failed)
    click.echo(f"Proof sheet: {shown(sheet.path)} ({passed} of {len(sheet.checks)} checks passed)")


# Send time: `subscribers`, `send` (also --at, --cancel), `send-due`, `schedule`, `status`,
# `inbox` and the subscription service `serve` (delivery/ reads only the built editions).
add_send_commands(cli)


if __name__ == "__main__":
    cli()
