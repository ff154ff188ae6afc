"""`inbox process` on bounces, complaints and auto-replies from the real corpus, delivered to
the VERP address of a delivery as a receiving MTA does: what is printed and recorded."""

from __future__ import annotations

import mailbox

import pytest

from delivery import verp
from delivery.inbox import process_inbox
from delivery.store import Store
from delivery.suppression import BounceRules

from .bounce_corpus import CORPUS

SECRET = "a-secret-long-enough-1234"
BOUNCES = "bounces@list.example.net"
RULES = BounceRules((SECRET,), BOUNCES, soft_limit=3, soft_days=30)
READER = "reader@example.org"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "subscribers.db") as store:
        store.add_subscriber(READER)
        yield store


def to_verp(sample: str, issue: int, subscriber_id: int, secret: str = SECRET) -> bytes:
    token = verp.make(secret, issue, subscriber_id)
    return (
        f"Delivered-To: {verp.return_path(BOUNCES, token)}\n".encode()
        + (CORPUS / sample).read_bytes()
    )


def run(tmp_path, store, *messages: bytes) -> list[str]:
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    for message in messages:
        box.add(message)
    return [str(action) for action in process_inbox(tmp_path / "bounces", store, None, rules=RULES)]


def reader_id(store) -> int:
    return store.get(READER).id


def test_a_hard_bounce_suppresses_with_its_evidence(tmp_path, store):
    (line,) = run(tmp_path, store, to_verp("baunsu/bounce_gmail.txt", 4, reader_id(store)))
    assert line == f"{READER}: hard bounce 5.1.1 (user unknown)"
    assert store.get(READER).status == "bounced"
    event = store.events(READER)[-1]
    assert (event.kind, event.source) == ("hard bounce", "inbox")
    assert event.evidence["issue"] == 4 and event.evidence["matched by"] == "verp"
    assert "does not exist" in event.evidence["diagnostic"]
    assert event.evidence["file"].startswith("bounces/")


def test_soft_bounces_on_distinct_issues_add_up(tmp_path, store):
    sample = "bounced/tt_bounce_13.eml"  # 5.2.2 mailbox full
    first = run(tmp_path, store, to_verp(sample, 1, reader_id(store)))
    assert first == [f"{READER}: soft bounce 5.2.2 (mailbox full) (1 of 3)"]
    same_issue = run(tmp_path, store, to_verp(sample, 1, reader_id(store)))
    assert same_issue == [f"{READER}: soft bounce 5.2.2 (mailbox full) (1 of 3)"]
    assert run(tmp_path, store, to_verp(sample, 2, reader_id(store)))[0].endswith("(2 of 3)")
    assert store.get(READER).status == "active"
    third = run(tmp_path, store, to_verp(sample, 3, reader_id(store)))
    assert third == [f"{READER}: soft bounce 5.2.2 (mailbox full) (3 of 3): bounced"]
    assert store.get(READER).status == "bounced"
    assert store.events(READER)[-1].evidence == {"from": "active", "to": "bounced",
                                                  "soft bounces": 3, "within days": 30}  # fmt: skip


def test_a_complaint_means_never_mailed_again(tmp_path, store):
    (line,) = run(tmp_path, store, to_verp("sisimai/arf-15.eml", 2, reader_id(store)))
    assert line == f"{READER}: complaint: never mailed again"
    assert store.get(READER).status == "complained"
    assert store.events(READER)[-1].kind == "complaint"


def test_auto_replies_and_policy_blocks_change_nothing(tmp_path, store):
    lines = run(
        tmp_path,
        store,
        to_verp("sisimai/rfc3834-01.eml", 2, reader_id(store)),
        to_verp("baunsu/bounce_spam.txt", 2, reader_id(store)),
    )
    assert f"{READER}: auto-reply ignored" in lines
    assert (
        f"{READER}: refused by policy 5.7.0 (refused by policy): the address stays active" in lines
    )
    assert store.get(READER).status == "active"
    assert [e.kind for e in store.events(READER)][-2:] in (
        ["auto-reply", "policy block"],
        ["policy block", "auto-reply"],
    )


def test_a_forged_token_is_ignored(tmp_path, store):
    forged = to_verp("baunsu/bounce_gmail.txt", 4, reader_id(store), secret="not-our-secret-at-all")
    (line,) = run(tmp_path, store, forged)
    assert line == (
        "MAILER-DAEMON@sender.com: bounce for an address not on the list "
        "(mango3432xlkdieldkl@gmail.com): ignored"
    )
    assert store.get(READER).status == "active"


def test_without_a_token_only_an_address_on_the_list_is_touched(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.add_subscriber("userx@example.com")
        store.add_subscriber("bystander@example.com")
        (line,) = run(tmp_path, store, (CORPUS / "flufl-bounce/simple_36.txt").read_bytes())
        assert line == "userx@example.com: hard bounce (unknown user)"
        assert store.get("bystander@example.com").status == "active"
        assert store.events("userx@example.com")[-1].evidence["matched by"] == "address"
