"""What a failure says about the address: gone (hard), for now (soft) or the sender's problem.

One classifier for both places a failure shows up: the SMTP reply at send time and the
status code and diagnostic text of a bounce report read by `inbox process`. The enhanced
status code (RFC 3463, `5.1.1`) decides when it is specific; otherwise the words of the
reply do, matched as phrases on the case-folded, whitespace-collapsed text (no regular
expressions over mail).

    hard    the address is gone: user unknown, bad domain, moved, mailbox disabled
    soft    try later: mailbox full, over quota, greylisting, expired in the queue, delays
    policy  the receiver refused *this sender or message*: spam, blocklists, reputation,
            authentication (SPF/DKIM/DMARC), relaying, size. The address is fine.
    unknown a permanent failure that says nothing more; treated as soft by `inbox process`
            (counted, never suppressed on its own)
"""

from __future__ import annotations

from dataclasses import dataclass

HARD, SOFT, POLICY, UNKNOWN = "hard", "soft", "policy", "unknown"

# RFC 3463/5248 codes that mean the address itself is gone.
HARD_CODES = {
    "5.1.0": "bad address",
    "5.1.1": "user unknown",
    "5.1.2": "bad domain",
    "5.1.3": "bad address syntax",
    "5.1.6": "mailbox moved",
    "5.1.10": "null MX: domain accepts no mail",
    "5.2.1": "mailbox disabled",
    "5.4.1": "no answer from host",
    "5.4.4": "unable to route",
}
SOFT_CODES = {
    "5.2.2": "mailbox full",
    "5.4.7": "delivery time expired",
    "5.3.1": "mail system full",
    "5.3.0": "mail system error",
    "5.4.0": "network error",
    "5.4.6": "routing loop",
}
POLICY_CODES = {
    "5.2.3": "message too large",
    "5.3.4": "message too large",
    "5.6.0": "content refused",
    "5.6.1": "media not supported",
}

# Phrases, tried in order hard, policy, soft unless the code already decided.
HARD_PHRASES = (
    "user unknown",
    "unknown user",
    "no such user",
    "no such recipient",
    "no such mailbox",
    "no such account",
    "no such person",
    "no such address",
    "no such domain",
    "unknown recipient",
    "unknown address",
    "unknown local part",
    "unknown or illegal alias",
    "user not found",
    "recipient not found",
    "address not found",
    "mailbox not found",
    "account not found",
    "user doesn't exist",
    "user does not exist",
    "does not exist",
    "doesn't exist",
    "doesn't have a",  # Yahoo: "This user doesn't have a yahoo.com account"
    "not a valid mailbox",
    "invalid mailbox",
    "invalid recipient",
    "invalid address",
    "recipient address rejected: user",
    "recipient address rejected: undeliverable",
    "recipient unknown",
    "address unknown",
    "addressee unknown",
    "user unknown in",
    "is not a known user",
    "no mailbox here",
    "no mailbox",
    "mailbox unavailable",
    "mailbox is unavailable",
    "mailbox disabled",
    "mailbox is disabled",
    "mailbox has been disabled",
    "account disabled",
    "account is disabled",
    "account has been disabled",
    "account is inactive",
    "account inactive",
    "account has been closed",
    "account closed",
    "account expired",
    "account has expired",
    "mailbox is inactive",
    "no longer",  # "no longer active", "no longer with the company"
    "not listed in",  # Domino: "not listed in public Name & Address Book"
    "name service error",
    "host not found",
    "host unknown",
    "unknown host",
    "domain not found",
    "unrouteable address",
    "unroutable address",
    "no valid host",
    "not a valid user",
    "bad destination mailbox",
    "invalid user",
    "recipient rejected",
    "undeliverable address",
    "this account has been",
    "mailbox does not exist",
    "delivery failed to",
    "permanently undeliverable",
    "unknown account",
    "hop count exceeded",  # a loop for this address only
    "disabled",
)
POLICY_PHRASES = (
    "spam",
    "blocked",
    "block list",
    "blocklist",
    "blacklist",
    "listed at",
    "listed on",
    "policy",
    "reputation",
    "rejected due to content",
    "content rejected",
    "virus",
    "malware",
    "dmarc",
    "spf",
    "dkim",
    "authentication",
    "not authorized",
    "relay access denied",
    "relaying denied",
    "relay not permitted",
    "unable to relay",
    "message too large",
    "message size exceeds",
    "too big",
    "reverse dns",
    "ptr record",
    "not accepted",
    "mail refused",
    "access denied",
    "rejected by",
    "junk",
)
SOFT_PHRASES = (
    "mailbox full",
    "mailbox is full",
    "mailbox quota",
    "over quota",
    "overquota",
    "quota exceeded",
    "exceeded storage",
    "exceeds the storage",
    "exceeded the storage",
    "insufficient storage",
    "out of storage",
    "storage allocation",
    "not enough space",
    "disk full",
    "full mailbox",
    "is full",
    "try again later",
    "please try again",
    "try later",
    "greylist",
    "graylist",
    "temporarily",
    "temporary",
    "deferred",
    "delayed",
    "will be retried",
    "will continue trying",
    "still trying",
    "has not yet been delivered",
    "not yet been delivered",
    "delivery time expired",
    "retry time",
    "retry timeout",
    "too long in the queue",
    "expired",
    "timed out",
    "timeout",
    "too many connections",
    "too many messages",
    "rate limit",
    "connection refused",
    "could not connect",
    "service unavailable",
)


@dataclass(frozen=True)
class Verdict:
    kind: str  # HARD, SOFT, POLICY or UNKNOWN
    status: str  # the enhanced status code that decided, or ""
    reason: str  # a few words for people: "user unknown", "mailbox full", ...

    def __str__(self) -> str:
        return f"{self.status} ({self.reason})" if self.status else f"({self.reason})"


def classify(status: str | None, text: str, transient: bool = False) -> Verdict:
    """Classify a failure from its status code (None: look in `text`) and diagnostic text.

    `transient` says the report itself calls the failure temporary (a DSN `Action: delayed`,
    a 4xx reply): it can only be soft then.
    """
    words = " ".join(text.casefold().split())
    code = _clean_code(status) or first_status_code(words)
    if transient or code.startswith("4"):
        return Verdict(SOFT, code, _soft_reason(code, words))
    by_code = _by_code(code, words)
    if by_code is not None:
        return by_code
    for kind, phrases in ((HARD, HARD_PHRASES), (POLICY, POLICY_PHRASES), (SOFT, SOFT_PHRASES)):
        phrase = _find(words, phrases)
        if phrase:
            return Verdict(kind, code, phrase)
    return Verdict(UNKNOWN, code, "permanent failure, no reason given")


def classify_reply(reply: str) -> Verdict:
    """Classify an SMTP reply such as `550 5.1.1 <ada@example.org>: user unknown`."""
    basic = reply.strip()[:3]
    transient = basic.isdigit() and basic.startswith("4")
    return classify(None, reply[3:] if basic.isdigit() else reply, transient)


def _by_code(code: str, words: str) -> Verdict | None:
    if code in HARD_CODES:
        # "5.1.1 ... blocked by policy" happens: the words win over a hard code only for a
        # block, never the other way round.
        policy = _find(words, POLICY_PHRASES) if not _find(words, HARD_PHRASES) else None
        return Verdict(POLICY, code, policy) if policy else Verdict(HARD, code, HARD_CODES[code])
    if code in SOFT_CODES:
        return Verdict(SOFT, code, SOFT_CODES[code])
    if code in POLICY_CODES:
        return Verdict(POLICY, code, POLICY_CODES[code])
    if code.startswith("5.7."):
        hard = _find(words, HARD_PHRASES)
        return Verdict(HARD, code, hard) if hard else Verdict(POLICY, code, "refused by policy")
    return None


def _soft_reason(code: str, words: str) -> str:
    if code in SOFT_CODES:
        return SOFT_CODES[code]
    if code == "4.2.2":
        return "mailbox full"
    return _find(words, SOFT_PHRASES) or "temporary failure"


def _find(words: str, phrases: tuple[str, ...]) -> str | None:
    return next((phrase for phrase in phrases if phrase in words), None)


def first_status_code(text: str) -> str:
    """The first enhanced status code (`5.1.1`, `4.2.2`) among the words of `text`, or ""."""
    for word in text.replace("(", " ").replace(")", " ").replace("#", " ").split():
        code = _clean_code(word.strip("<>[]:;,.'\"-"))
        if code:
            return code
    return ""


def _clean_code(candidate: str | None) -> str:
    """`5.1.1` style codes only: class 2, 4 or 5, then 1-3 digits, then 1-3 digits."""
    if not candidate:
        return ""
    parts = candidate.strip().split(".")
    if len(parts) != 3 or parts[0] not in ("2", "4", "5"):
        return ""
    if not all(part.isdigit() and 1 <= len(part) <= 3 for part in parts[1:]):
        return ""
    return f"{parts[0]}.{int(parts[1])}.{int(parts[2])}"
