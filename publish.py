#!/usr/bin/env python3
"""Masthead: the editor's command line. Every command is here; the work is in masthead/."""

from __future__ import annotations

import click

from masthead import build as site


@click.group()
@click.option("--settings", default="pelicanconf.py", show_default=True, help="Settings file.")
@click.pass_context
def cli(ctx: click.Context, settings: str) -> None:
    """Write a newsletter in Markdown; build its web archive and email editions; send them."""
    ctx.ensure_object(dict)["settings"] = settings


@cli.command()
@click.option("--drafts", is_flag=True, help="Also build draft issues (marked DRAFT).")
@click.option("--output", type=click.Path(file_okay=False), help="Output directory.")
@click.pass_obj
def build(obj: dict, drafts: bool, output: str | None) -> None:
    """Build the web archive and the email editions.

    Example: python publish.py build --drafts
    """
    try:
        report = site.build(obj["settings"], output, drafts)
    except site.ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Built {report.issues} issues, {report.articles} articles, {report.series} series, "
        f"{report.topics} topics, {report.editions} editions, {len(report.warnings)} warnings."
    )
    click.echo(f"Open {report.output / 'index.html'}")


if __name__ == "__main__":
    cli()
