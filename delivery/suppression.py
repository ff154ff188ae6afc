"""Bounces and complaints change the list: each with its evidence, as an event.

`apply_feedback` takes what `feedback.read_feedback` found in one message and:

- matches it to a subscriber: by the delivery token of our VERP return path or of our
  Message-ID (trustworthy: only we can make one), otherwise by the recipients the report
  names (Final-Recipient, Original-Recipient, Original-Rcpt-To, the returned message's To)
  — only an address on the list is ever touched;
- a hard bounce makes an active (or pending) subscriber `bounced`;
- a soft bounce is counted; soft bounces on `soft_limit` distinct issues within `soft_days`
  days make the subscriber `bounced` (an unclassifiable permanent failure counts as soft);
- a complaint makes the subscriber `complained`: never mailed again;
- a policy block and an auto-reply change nothing (both are recorded when matched).

Anyone who can mail the bounce address can forge a report naming an address; without a
valid token such a report can mark a listed address bounced or complained. Every change is
an event with its evidence, and `subscribers set-status` undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import verp
from .bounces import HARD, POLICY, Verdict
from .feedback import AUTO_REPLY, BOUNCE, COMPLAINT, Feedback
from .settings import SendSettings
from .store import Store, Subscriber, record_event

SUPPRESSIBLE = ("active", "pending")


@dataclass(frozen=True)
class BounceRules:
    secrets: tuple[str, ...] = ()  # MASTHEAD_SECRET (and older ones): delivery tokens
    bounce_address: str = ""
    soft_limit: int = 3
    soft_days: int = 30

    @classmethod
    def from_settings(cls, settings: SendSettings) -> BounceRules:
        secrets = tuple(s for s in (settings.secret, *settings.previous_secrets) if s)
        return cls(
            secrets,
            settings.bounce_address,
            settings.bounces.soft_limit,
            settings.bounces.soft_days,
        )


@dataclass(frozen=True)
class Match:
    subscriber: Subscriber
    issue: int | None
    by: str  # "verp", "message-id" or "address"


def apply_feedback(
    store: Store, feedback: Feedback, rules: BounceRules, source: str
) -> tuple[str, str]:
    """Apply one message's feedback; return (address, what was done) for printing."""
    match = find_match(store, feedback, rules)
    if feedback.kind == AUTO_REPLY:
        if match is not None:
            _record(store, match, "auto-reply", {"file": source})
        return (match.subscriber.address if match else ""), "auto-reply ignored"
    if match is None:
        named = ", ".join(feedback.addresses[:3]) or "no address"
        return "", f"{feedback.kind} for an address not on the list ({named}): ignored"
    if feedback.kind == COMPLAINT:
        return match.subscriber.address, _complaint(store, match, feedback, source)
    if feedback.kind == BOUNCE:
        return match.subscriber.address, _bounce(store, match, feedback, rules, source)
    return match.subscriber.address, "ignored"


def find_match(store: Store, feedback: Feedback, rules: BounceRules) -> Match | None:
    for candidate in feedback.tokens:
        found = _by_token(store, candidate, rules)
        if found is not None:
            return found
    for address in feedback.addresses:
        subscriber = store.get(address)
        if subscriber is not None:
            return Match(subscriber, store.last_issue_sent(subscriber.id), "address")
    return None


def _by_token(store: Store, candidate: str, rules: BounceRules) -> Match | None:
    if not rules.secrets:
        return None
    tokens = []
    if rules.bounce_address:
        tokens.append(("verp", verp.token_of_address(candidate, rules.bounce_address)))
    if candidate.startswith("<"):
        tokens.append(("message-id", verp.token_of_message_id(candidate)))
    for by, token in tokens:
        pair = verp.read(token, rules.secrets) if token else None
        if pair is None:
            continue
        with store.transaction() as db:
            subscriber = store.lookup_id(db, pair.subscriber_id)
        if subscriber is not None:
            return Match(subscriber, pair.issue, by)
    return None


def _complaint(store: Store, match: Match, feedback: Feedback, source: str) -> str:
    evidence = {"issue": match.issue, "type": feedback.note, "file": source, "matched by": match.by}
    changed = _set(
        store, match, "complained", "complaint", evidence, allowed=("active", "pending", "bounced")
    )
    return "complaint: never mailed again" if changed else "complaint (already off the list)"


def _bounce(store: Store, match: Match, feedback: Feedback, rules: BounceRules, source: str) -> str:
    verdict = _verdict_for(feedback, match.subscriber.address)
    evidence = {
        "issue": match.issue,
        "status": verdict.status,
        "reason": verdict.reason,
        "diagnostic": feedback.diagnostic[:300],
        "file": source,
        "matched by": match.by,
    }
    words = f"{verdict.status} ({verdict.reason})" if verdict.status else f"({verdict.reason})"
    if verdict.kind == HARD:
        changed = _set(store, match, "bounced", "hard bounce", evidence)
        return f"hard bounce {words}" + ("" if changed else f"; already {match.subscriber.status}")
    if verdict.kind == POLICY:
        _record(store, match, "policy block", evidence)
        return f"refused by policy {words}: the address stays {match.subscriber.status}"
    return _soft(store, match, evidence, rules, words)


def _soft(
    store: Store, match: Match, evidence: dict[str, Any], rules: BounceRules, words: str
) -> str:
    since = (datetime.now(UTC) - timedelta(days=rules.soft_days)).isoformat(timespec="seconds")
    with store.transaction() as db:
        subscriber = store.lookup_id(db, match.subscriber.id) or match.subscriber
        record_event(db, subscriber, "soft bounce", "inbox", evidence)
        count = store.soft_bounces(db, subscriber.id, since)
        if count >= rules.soft_limit and subscriber.status in SUPPRESSIBLE:
            facts = {"soft bounces": count, "within days": rules.soft_days}
            store.change_status(db, subscriber, "bounced", "bounced", "inbox", facts)
            return f"soft bounce {words} ({count} of {rules.soft_limit}): bounced"
    return f"soft bounce {words} ({min(count, rules.soft_limit)} of {rules.soft_limit})"


def _verdict_for(feedback: Feedback, address: str) -> Verdict:
    for failure in feedback.failures:
        if failure.address.lower() == address.lower():
            return failure.verdict
    assert feedback.verdict is not None  # a bounce always has one
    return feedback.verdict


def _set(
    store: Store,
    match: Match,
    status: str,
    kind: str,
    evidence: dict[str, Any],
    allowed: tuple[str, ...] = SUPPRESSIBLE,
) -> bool:
    """Change the status (if the subscriber is in an `allowed` one) and record the event,
    in one transaction; True if the status changed."""
    with store.transaction() as db:
        subscriber = store.lookup_id(db, match.subscriber.id) or match.subscriber
        if subscriber.status in allowed:
            store.change_status(db, subscriber, status, kind, "inbox", evidence)
            return True
        record_event(db, subscriber, kind, "inbox", evidence)
        return False


def _record(store: Store, match: Match, kind: str, evidence: dict[str, Any]) -> None:
    with store.transaction() as db:
        record_event(db, match.subscriber, kind, "inbox", evidence)
