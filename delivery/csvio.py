"""CSV import and export of subscribers.

Import reads a header row with an address column (`email`, `e-mail`, `email address` or
`address`, any case, as mail services export it) and optional `name`, `status`, `source`,
`created_at`, `updated_at`; export writes all of them, so export then import is lossless.

Cells a spreadsheet would run as formulas (starting with = + - @ or a tab: "CSV injection";
names come from the public subscribe form) are exported with a leading quote, which import
strips again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .errors import CsvError, InvalidAddress
from .store import STATUSES, Store, Subscriber, normalise_address, utc_now

ADDRESS_COLUMNS = ("email", "e-mail", "email address", "e-mail address", "address")
EXPORT_COLUMNS = ("email", "name", "status", "source", "created_at", "updated_at")


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


def import_csv(
    path: str | Path, store: Store, status: str = "active", source: str | None = None
) -> ImportReport:
    """Import the good rows in one transaction; report every bad row with its line."""
    report = ImportReport()
    source = source or f"import:{Path(path).name}"
    seen: dict[str, int] = {}
    with _open_csv(path) as handle, store.transaction() as db:
        for line, row in _rows(handle, path):
            subscriber = _subscriber(row, status, source, report, line)
            if subscriber is None:
                continue
            key = subscriber.address.lower()
            if key in seen:
                report.bad.append(BadRow(line, f"duplicate of line {seen[key]}"))
            elif store.lookup(db, subscriber.address):
                report.bad.append(
                    BadRow(line, f"duplicate: {subscriber.address} already on the list")
                )
            else:
                seen[key] = line
                store.insert_subscriber(db, subscriber)
                report.imported += 1
    return report


def _open_csv(path: str | Path) -> TextIO:
    try:
        # utf-8-sig: spreadsheets often start the file with a byte-order mark.
        return open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise CsvError(f"{path} cannot be read: {error.strerror}") from error


def _rows(handle: TextIO, path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(handle)
    header = [" ".join(cell.split()).lower() for cell in next(reader, [])]
    column = next((c for c in ADDRESS_COLUMNS if c in header), None)
    if column is None:
        raise CsvError(
            f"{path}: line 1 has no address column: name one of "
            f"{', '.join(ADDRESS_COLUMNS)} (any case)"
        )
    header[header.index(column)] = "email"
    for cells in reader:
        row = dict(zip(header, (restore(cell.strip()) for cell in cells), strict=False))
        yield reader.line_num, row


def _subscriber(
    row: dict[str, str], status: str, source: str, report: ImportReport, line: int
) -> Subscriber | None:
    if not any(row.values()):
        report.bad.append(BadRow(line, "empty row"))
        return None
    if not row.get("email"):
        report.bad.append(BadRow(line, "empty address"))
        return None
    try:
        address = normalise_address(row["email"])
    except InvalidAddress:
        report.bad.append(BadRow(line, f"bad address {row['email']!r}"))
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
