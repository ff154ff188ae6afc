"""What publish.py shares between commands: one place turning errors into one-line
messages with exit codes, and the project every command opens from --settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import click

from .build import ContentError
from .errors import CheckFailed, MastheadError
from .project import Project, open_project


class Failure(click.ClickException):
    """A one-line message on stderr, with the exit code of the error behind it."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class MastheadGroup(click.Group):
    """Maps every error raised by a command to one line (the problems first, one per line,
    for content errors); `--debug` lets the traceback through instead."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """`--debug` works after the command name too (`publish.py build --debug`): it is
        the group's option, so it is moved in front of the command."""
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[1:end] and ctx.parent is None:
            args = ["--debug", *(a for i, a in enumerate(args) if a != "--debug" or i >= end)]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if (ctx.obj or {}).get("debug"):
                raise
            raise failure(error) from None


def failure(error: Exception) -> Failure:
    if isinstance(error, ContentError | CheckFailed):
        say_problems(error.problems)
    if isinstance(error, MastheadError | ContentError) or hasattr(error, "exitcode"):
        return Failure(str(error), getattr(error, "exitcode", 1))
    kind = type(error).__name__
    return Failure(f"unexpected {kind}: {error} (run with --debug to see where)", 1)


def say_problems(problems: Iterable) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def say_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        shown = warning if ": warning: " in warning else f"warning: {warning}"
        click.echo(shown, err=True)


def project_of(obj: dict) -> Project:
    if "project" not in obj:
        obj["project"] = open_project(obj["settings"])
    return obj["project"]


def debug_logging() -> None:
    """--debug: Pelican's and the plugin's log on stderr, as `pelican --debug` shows it."""
    logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
