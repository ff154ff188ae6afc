"""The subscriber exports of other tools, read by their own column names.

Each Format recognises a header row and turns one row into our fields (email, name, status,
created_at). Statuses map onto ours so that a reader who left, bounced or never confirmed
there is never imported as active here. Where each header comes from (documented column names
or the tool's own source) is noted beside the test samples in tests/samples/imports/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Row = dict[str, str]  # header (lower case, spaces collapsed) -> cell


class RowProblem(ValueError):
    """One row cannot be read as the format says (its message is the reason)."""


@dataclass(frozen=True)
class Format:
    name: str
    detect: Callable[[set[str]], bool]
    read: Callable[[Row], Row]  # -> email, name, status, created_at (any may be missing)


def _joined(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())


def _time(value: str) -> str:
    """A tool's timestamp as our UTC ISO form; naive times are taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _mapped(value: str, table: dict[str, str], tool: str, column: str) -> str:
    key = value.strip().lower()
    if key not in table:
        known = ", ".join(table)
        raise RowProblem(f"{tool} {column} {value!r} is not one of {known}")
    return table[key]


# -- Mailchimp: one export file per status (subscribed, unsubscribed, cleaned) ------------


def _mailchimp(row: Row) -> Row:
    if row.get("clean_time"):
        status = "bounced"  # "cleaned": hard bounces, or repeated soft ones
    elif row.get("unsub_time"):
        status = "unsubscribed"
    else:
        status = "active"
    return {
        "email": row.get("email address", ""),
        "name": _joined(row.get("first name", ""), row.get("last name", "")),
        "status": status,
        "created_at": _time(row.get("optin_time") or row.get("confirm_time") or ""),
    }


def _is_mailchimp(header: set[str]) -> bool:
    return "email address" in header and bool(header & {"member_rating", "leid", "euid"})


# -- Substack: email_list.<publication>.csv ---------------------------------------------------


def _substack(row: Row) -> Row:
    disabled = row.get("email_disabled", "").strip().lower() == "true"
    return {
        "email": row.get("email", ""),
        "name": row.get("name", ""),
        "status": "unsubscribed" if disabled else "active",
        "created_at": _time(row.get("created_at", "")),
    }


def _is_substack(header: set[str]) -> bool:
    return "email" in header and bool(header & {"active_subscription", "email_disabled"})


# -- Buttondown: subscriber types of its API (subscriber_type, or type since API v2) ----------

BUTTONDOWN_TYPES = {
    "regular": "active",
    "premium": "active",
    "trialed": "active",
    "unpaid": "active",
    "gifted": "active",
    "churning": "active",
    "paused": "active",
    "past_due": "active",
    "unactivated": "pending",
    "unsubscribed": "unsubscribed",
    "removed": "unsubscribed",
    "spammy": "unsubscribed",
    "undeliverable": "bounced",
}


def _buttondown(row: Row) -> Row:
    kind = row.get("subscriber_type") or row.get("type") or ""
    return {
        "email": row.get("email") or row.get("email_address") or "",
        "name": row.get("name", ""),
        "status": _mapped(kind, BUTTONDOWN_TYPES, "Buttondown", "subscriber_type"),
        "created_at": _time(row.get("creation_date", "")),
    }


def _is_buttondown(header: set[str]) -> bool:
    return "subscriber_type" in header or {"email_address", "type", "creation_date"} <= header


# -- listmonk: Subscribers > Export (uuid, email, name, attributes, status, ...) -------------

LISTMONK_STATUSES = {"enabled": "active", "disabled": "unsubscribed", "blocklisted": "unsubscribed"}


def _listmonk(row: Row) -> Row:
    return {
        "email": row.get("email", ""),
        "name": row.get("name", ""),
        "status": _mapped(row.get("status", ""), LISTMONK_STATUSES, "listmonk", "status"),
        "created_at": _time(row.get("created_at", "")),
    }


def _is_listmonk(header: set[str]) -> bool:
    return {"uuid", "email", "attributes", "status"} <= header


FORMATS = (
    Format("Mailchimp", _is_mailchimp, _mailchimp),
    Format("Substack", _is_substack, _substack),
    Format("Buttondown", _is_buttondown, _buttondown),
    Format("listmonk", _is_listmonk, _listmonk),
)


def detect(header: list[str]) -> Format | None:
    """The tool whose export has this header row, or None (our own columns, or generic)."""
    columns = set(header)
    return next((f for f in FORMATS if f.detect(columns)), None)
