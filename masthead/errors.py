"""Typed errors the library raises; publish.py turns each into one line and an exit code.

Content errors (the Markdown or the built site is wrong) exit 1, like a failing test in CI;
usage errors (a wrong option, an unknown issue, a port in use, no build yet) exit 2, as
click does for its own usage errors. The plugin's ContentError also has `exitcode = 1`.
"""

from __future__ import annotations


class MastheadError(Exception):
    """Something the editor can fix; the message says what to do."""

    exitcode = 1


class UsageError(MastheadError):
    """The command was asked for something that cannot be: fix the command line."""

    exitcode = 2


class SettingsError(UsageError):
    """The settings file is missing, cannot be read, or lacks a setting a command needs."""


class CheckFailed(MastheadError):
    """`check` found problems in the built site or the editions; each one is listed."""

    def __init__(self, problems: list):
        self.problems = sorted(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found by check")
