"""Run `inbox process` over the real corpus in tests/mail/bounces/ and measure what it did.

Each message is delivered, as the receiving MTA would, to the VERP address of its own
delivery (a `Delivered-To: bounces+<token>@...` line on top), into a fresh Maildir; every
message has its own subscriber, active, with its issue sent. Then the shares of the aims:
hard bounces and complaints suppressed, soft bounces and auto-replies wrongly suppressed.
A second run leaves the messages as they are (no token) and puts only the recipients the
labels name on the list: matching by the report's own addresses.
"""

from __future__ import annotations

import csv
import mailbox
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from delivery import verp
from delivery.inbox import process_inbox
from delivery.store import Store
from delivery.suppression import BounceRules

CORPUS = Path(__file__).resolve().parent / "mail" / "bounces"
SECRET = "corpus-secret-0123456789"
BOUNCES = "bounces@list.example.net"
SUPPRESSED = ("bounced", "complained")


@dataclass
class Shares:
    totals: Counter = field(default_factory=Counter)  # label -> messages
    suppressed: Counter = field(default_factory=Counter)  # label -> subscribers suppressed
    unreadable: list[str] = field(default_factory=list)
    wrong: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def share(self, *labels: str) -> float:
        total = sum(self.totals[label] for label in labels)
        return sum(self.suppressed[label] for label in labels) / total if total else 0.0

    def lines(self) -> list[str]:
        def line(name: str, labels: tuple[str, ...]) -> str:
            n = sum(self.suppressed[x] for x in labels)
            total = sum(self.totals[x] for x in labels)
            return f"{name:42} {n:4} of {total:4}  {self.share(*labels):6.1%}"

        return [
            line("hard bounces suppressed", ("hard",)),
            line("complaints suppressed", ("complaint",)),
            line("soft bounces + auto-replies suppressed", ("soft", "auto-reply")),
            line("policy blocks suppressed", ("policy",)),
            line("no-reason failures suppressed", ("unclear",)),
            line("other messages suppressed", ("none",)),
        ]


def labels() -> list[dict[str, str]]:
    with open(CORPUS / "labels.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def measure_with_verp(workdir: Path) -> Shares:
    rows = labels()
    with Store(workdir / "verp.db") as store:
        ids = [store.add_subscriber(f"reader{n}@example.org").id for n in range(len(rows))]
        _sent(store, 1)
        box = mailbox.Maildir(str(workdir / "verp-box"), create=True)
        for row, subscriber_id in zip(rows, ids, strict=True):
            token = verp.make(SECRET, 1, subscriber_id)
            header = f"Delivered-To: {verp.return_path(BOUNCES, token)}\n".encode()
            box.add(header + (CORPUS / row["file"]).read_bytes())
        rules = BounceRules((SECRET,), BOUNCES)
        shares = Shares()
        _run(workdir / "verp-box", store, rules, shares)
        for n, row in enumerate(rows):
            status = store.get(f"reader{n}@example.org").status
            _count(shares, row, status)
    return shares


def measure_by_address(workdir: Path) -> Shares:
    """Only messages whose label names one recipient; no token; each message alone with
    its recipient on the list (one store per message: the same example address recurs)."""
    shares = Shares()
    for n, row in enumerate(r for r in labels() if r["recipient"]):
        with Store(workdir / f"address-{n}.db") as store:
            store.add_subscriber(row["recipient"])
            box = mailbox.Maildir(str(workdir / f"address-{n}"), create=True)
            box.add((CORPUS / row["file"]).read_bytes())
            _run(workdir / f"address-{n}", store, BounceRules(), shares)
            _count(shares, row, store.get(row["recipient"]).status)
    return shares


def _sent(store: Store, issue: int) -> None:
    store.snapshot(issue)
    for delivery in store.deliveries(issue):
        store.record_delivery(delivery.id, "sent", "250 ok")


def _run(path: Path, store: Store, rules: BounceRules, shares: Shares) -> None:
    for action in process_inbox(path, store, None, rules=rules):
        if "cannot be read" in action.result:
            shares.unreadable.append(str(action))


def _count(shares: Shares, row: dict[str, str], status: str) -> None:
    label = row["label"]
    shares.totals[label] += 1
    if status in SUPPRESSED:
        shares.suppressed[label] += 1
    wanted = label in ("hard", "complaint")
    if wanted != (status in SUPPRESSED):
        shares.wrong[label].append(f"{row['file']} ({status})")
