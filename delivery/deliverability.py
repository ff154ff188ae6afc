"""An issue's deliverability: sent, failed, bounced (hard, soft), complained, with rates.

Mailbox providers (Gmail's and Yahoo's bulk-sender rules, every ESP) throttle or block a
sender whose bounce rate passes a few percent or whose complaint rate passes 0.1-0.3%;
`status N` says so in words when an issue passes 2% bounces or 0.1% complaints.

Bounces and complaints are counted from subscriber events that name the issue (the
delivery token of a VERP return path or Message-ID names it; a report matched by address
is given the latest issue the subscriber was sent), each subscriber once, hard before soft.
"""

from __future__ import annotations

from dataclasses import dataclass

from .store import Store

BOUNCE_LIMIT = 0.02
COMPLAINT_LIMIT = 0.001


@dataclass(frozen=True)
class Deliverability:
    issue: int
    sent: int
    failed: int
    hard: int
    soft: int
    complained: int

    @property
    def attempted(self) -> int:
        return self.sent + self.failed

    @property
    def bounce_rate(self) -> float:
        return (self.hard + self.soft) / self.attempted if self.attempted else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0

    def warnings(self) -> list[str]:
        found = []
        if self.bounce_rate > BOUNCE_LIMIT:
            found.append(
                f"bounce rate {self.bounce_rate:.1%} is over the {BOUNCE_LIMIT:.0%} mailbox "
                "providers enforce: clean the list (old or imported addresses?) before the "
                "next issue"
            )
        if self.complaint_rate > COMPLAINT_LIMIT:
            found.append(
                f"complaint rate {self.complaint_rate:.2%} is over the {COMPLAINT_LIMIT:.1%} "
                "mailbox providers enforce: readers mark it as spam; check consent and the "
                "unsubscribe link"
            )
        return found

    def lines(self) -> list[str]:
        out = [
            f"  deliverability: {self.sent} sent, {self.failed} failed; bounced {self.hard} hard, "
            f"{self.soft} soft ({self.bounce_rate:.1%}); {self.complained} complained "
            f"({self.complaint_rate:.2%})"
        ]
        return out + [f"  warning: {warning}" for warning in self.warnings()]


def deliverability(store: Store, issue: int) -> Deliverability:
    """The numbers of one issue (see the module docstring for how they are counted)."""
    counts = store.delivery_counts(issue)
    kinds = dict(
        store.query(
            "SELECT kind, COUNT(DISTINCT COALESCE(subscriber_id, address)) FROM events"
            " WHERE kind IN ('hard bounce', 'soft bounce', 'complaint')"
            " AND json_extract(evidence, '$.issue') = ? GROUP BY kind",
            (issue,),
        )
    )
    soft_only = store.query(
        "SELECT COUNT(DISTINCT COALESCE(subscriber_id, address)) FROM events e"
        " WHERE kind = 'soft bounce' AND json_extract(evidence, '$.issue') = ?"
        " AND NOT EXISTS (SELECT 1 FROM events h WHERE h.kind = 'hard bounce'"
        " AND h.subscriber_id IS e.subscriber_id AND json_extract(h.evidence, '$.issue') = ?)",
        (issue, issue),
    )[0][0]
    return Deliverability(
        issue,
        counts["sent"],
        counts["failed"],
        kinds.get("hard bounce", 0),
        soft_only,
        kinds.get("complaint", 0),
    )
