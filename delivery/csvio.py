"""CSV import and export of subscribers.

Import reads a header row with an address column (`email`, `e-mail`, `email address` or
`address`, any case, as mail services export it) and optional `name`, `status`, `source`,
`created_at`, `updated_at`; export writes all of them, so export then import is lossless.
It also reads the exports of other tools by their own columns (formats.py), a list of one
address a line without a header, and files separated by semicolons or tabs.

Cells a spreadsheet would run as formulas (starting with = + - @ or a tab: "CSV injection";
names come from the public subscribe form) are exported with a leading quote, which import
strips again.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .errors import CsvError, InvalidAddress
from .formats import Format, RowProblem, detect
from .store import STATUSES, Store, Subscriber, normalise_address, utc_now

ADDRESS_COLUMNS = ("email", "e-mail", "email address", "e-mail address", "address")
EXPORT_COLUMNS = ("email", "name", "status", "source", "created_at", "updated_at")
# Far above any real list (a million rows of a wide export); /dev/zero or a mistaken disk
# image must be an error, not an import that never ends.
MAX_IMPORT_BYTES = 512 * 1024 * 1024


# Leading quotes are counted in: a cell "'=x" is exported as "''=x", so import restores it.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def defuse(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula."""
    return "'" + cell if _FORMULA.match(cell) else cell


def restore(cell: str) -> str:
    """Undo `defuse`."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell) else cell


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    imported: int = 0
    bad: list[BadRow] = field(default_factory=list)
    tool: str = ""  # the other tool whose export it was, if one was recognised
    statuses: Counter[str] = field(default_factory=Counter)  # imported rows by status
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        detail = f" ({by_status})" if by_status else ""
        tool = f" from a {self.tool} export" if self.tool else ""
        return f"{verb} {self.imported}{detail}{tool}, skipped {len(self.bad)} bad row(s)"


class _DryRun(Exception):
    """Raised inside the import transaction to roll it back after a dry run."""


def import_csv(
    path: str | Path,
    store: Store,
    status: str = "active",
    source: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the good rows in one transaction; report every bad row with its line.

    Reads our own export, the exports of Mailchimp, Substack, Buttondown and listmonk (by
    their column names, see formats.py), any CSV with an address column, or a list of one
    address a line; separated by commas, semicolons or tabs. With `dry_run` nothing is kept.
    """
    report = ImportReport(dry_run=dry_run)
    source = source or f"import:{Path(path).name}"
    try:
        with _open_csv(path) as handle, store.transaction() as db:
            _import_rows(handle, path, store, db, status, source, report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _import_rows(
    handle: TextIO,
    path: str | Path,
    store: Store,
    db: sqlite3.Connection,
    status: str,
    source: str,
    report: ImportReport,
) -> None:
    seen: dict[str, int] = {}
    for line, row in _rows(handle, path, report):
        subscriber = _subscriber(row, status, source, report, line)
        if subscriber is None:
            continue
        key = subscriber.address.lower()
        if key in seen:
            report.bad.append(BadRow(line, f"duplicate of line {seen[key]}"))
        elif store.lookup(db, subscriber.address):
            report.bad.append(BadRow(line, f"duplicate: {subscriber.address} already on the list"))
        else:
            seen[key] = line
            store.insert_subscriber(db, subscriber)
            report.imported += 1
            report.statuses[subscriber.status] += 1


def _open_csv(path: str | Path) -> TextIO:
    """A regular file of at most MAX_IMPORT_BYTES (a FIFO or a device could never end)."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise CsvError(f"{path} cannot be read: {error.strerror}") from error
    info = os.fstat(fd)  # of what was opened, not of what the name points at later
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = f"{path} is not a regular file: give a CSV file to import"
    elif info.st_size > MAX_IMPORT_BYTES:
        problem = (
            f"{path} is {info.st_size:,} bytes, more than the {MAX_IMPORT_BYTES:,} an import "
            "reads: split it"
        )
    if problem:
        os.close(fd)
        raise CsvError(problem)
    os.set_blocking(fd, True)
    # utf-8-sig: spreadsheets often start the file with a byte-order mark.
    return open(fd, newline="", encoding="utf-8-sig")


def _delimiter(first_line: str) -> str:
    """The separator that splits the first line into the most cells: , ; or tab."""
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in ",;\t"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _rows(
    handle: TextIO, path: str | Path, report: ImportReport
) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        first = handle.readline()
    except UnicodeDecodeError as error:
        raise CsvError(f"{path}: not UTF-8 text ({error.reason}): save it as UTF-8") from None
    handle.seek(0)
    reader = csv.reader(handle, delimiter=_delimiter(first))
    cells = next(reader, [])
    header = [" ".join(cell.split()).lower() for cell in cells]
    tool = detect(header)
    column = next((c for c in ADDRESS_COLUMNS if c in header), None)
    if tool is None and column is None:
        if len(cells) == 1 and "@" in cells[0]:
            yield from _address_list(cells, reader)  # no header: one address a line
            return
        raise CsvError(
            f"{path}: line 1 has no address column: name one of "
            f"{', '.join(ADDRESS_COLUMNS)} (any case), or give one address a line"
        )
    if tool is None:
        header[header.index(str(column))] = "email"
    report.tool = tool.name if tool else ""
    for cells in reader:
        row = dict(zip(header, (restore(cell.strip()) for cell in cells), strict=False))
        yield reader.line_num, _translated(tool, row) if tool else row


def _address_list(
    first: list[str], reader: Iterator[list[str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    yield 1, {"email": first[0].strip()}
    for cells in reader:
        yield reader.line_num, {"email": cells[0].strip() if cells else ""}


def _translated(tool: Format, row: dict[str, str]) -> dict[str, str]:
    if not any(row.values()):
        return row  # an empty row stays empty, reported as such
    try:
        return tool.read(row)
    except RowProblem as problem:
        return {"problem": str(problem)}


def _subscriber(
    row: dict[str, str], status: str, source: str, report: ImportReport, line: int
) -> Subscriber | None:
    if row.get("problem"):
        report.bad.append(BadRow(line, row["problem"]))
        return None
    if not any(row.values()):
        report.bad.append(BadRow(line, "empty row"))
        return None
    if not row.get("email"):
        report.bad.append(BadRow(line, "empty address"))
        return None
    try:
        address = normalise_address(row["email"])
    except InvalidAddress as error:
        report.bad.append(BadRow(line, f"bad address: {error}"))
        return None
    row_status = row.get("status") or status
    if row_status not in STATUSES:
        report.bad.append(BadRow(line, f"bad status {row_status!r} (use {', '.join(STATUSES)})"))
        return None
    now = utc_now()
    created = row.get("created_at") or now
    return Subscriber(
        0,
        address,
        row.get("name", ""),
        row_status,
        row.get("source") or source,
        created,
        row.get("updated_at") or created,
    )


def export_csv(path: str | Path, store: Store, status: str | None = None) -> int:
    """Write every subscriber (streamed) with all columns; return how many."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for s in store.subscribers(status):
            cells = (s.address, s.name, s.status, s.source, s.created_at, s.updated_at)
            writer.writerow([defuse(cell) for cell in cells])
            count += 1
    return count
