"""`inbox process` against hostile and odd messages (issue 10): a message that cannot be
read is named and left unseen, and never stops the others; auto-replies are never
commands; encoded subjects are read; a command failing DMARC is left for a person."""

from __future__ import annotations

import mailbox

import pytest

from delivery.inbox import process_inbox
from delivery.store import Store

READER = "ada@example.org"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "subscribers.db") as store:
        store.add_subscriber(READER)
        yield store


def raw(headers: str, body: str = "unsubscribe\n") -> bytes:
    return (headers.strip() + "\n\n" + body).encode("utf-8")


UNSUBSCRIBE_ADA = raw(f"From: {READER}\nSubject: unsubscribe\nDate: Tue, 1 Dec 2026 10:00:00 +0000")


def deep_multipart(depth: int) -> bytes:
    lines = [f"From: {READER}", "Subject: hello", "MIME-Version: 1.0"]
    for level in range(depth):
        lines += [f'Content-Type: multipart/mixed; boundary="b{level}"', "", f"--b{level}"]
    lines += ["Content-Type: text/plain", "", "unsubscribe"]
    lines += [f"--b{level}--" for level in reversed(range(depth))]
    return "\n".join(lines).encode()


def run(tmp_path, store, *messages: bytes) -> list[str]:
    box = mailbox.Maildir(str(tmp_path / "in"), create=True)
    for message in messages:
        box.add(message)
    return [str(action) for action in process_inbox(tmp_path / "in", store, None)]


HOSTILE = {
    "unknown charset": raw(
        "From: bo@example.org\nSubject: hi\nContent-Type: text/plain; charset=x-no-such-charset",
        "unsubscribe\n",
    ),
    "deep multipart": deep_multipart(500),
    "year 99999999999": raw(
        "From: cy@example.org\nSubject: hi\nDate: Tue, 1 Dec 99999999999 10:00:00 +0000"
    ),
    "no headers at all": b"\x00\xff\xfe garbage",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_message_never_stops_the_others(tmp_path, store, kind):
    results = run(tmp_path, store, HOSTILE[kind], UNSUBSCRIBE_ADA)
    assert f"{READER}: unsubscribed" in results
    assert store.get(READER).status == "unsubscribed"
    assert len(results) == 2
    unreadable = [line for line in results if "cannot be read" in line]
    for line in unreadable:
        assert line.startswith("in/") and line.endswith("left unseen")
    again = run(tmp_path, store)  # read messages are seen; unreadable ones are tried again
    assert len(again) == len(unreadable)


@pytest.mark.parametrize(
    "header",
    [
        "X-Autoreply: yes",
        "X-Autorespond: vacation",
        "Auto-Submitted: auto-replied",
        "Precedence: auto_reply",
    ],
)
def test_auto_replies_are_never_commands(tmp_path, store, header):
    message = raw(
        f"From: {READER}\nSubject: Re: your newsletter\n{header}", "Unsubscribe me? I am away.\n"
    )
    (result,) = run(tmp_path, store, message)
    assert result == f"{READER}: auto-reply ignored"
    assert store.get(READER).status == "active"


def test_an_encoded_subject_is_decoded(tmp_path, store):
    message = raw(f"From: {READER}\nSubject: =?utf-8?q?UNSUBSCRIBE_=E2=80=94_bitte?=", "Danke.\n")
    assert run(tmp_path, store, message) == [f"{READER}: unsubscribed"]


def test_a_command_failing_dmarc_is_left_for_a_person(tmp_path, store):
    message = raw(
        f"From: {READER}\nSubject: unsubscribe\n"
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.org;\n"
        " dmarc=fail (p=reject) header.from=example.org"
    )
    (result,) = run(tmp_path, store, message)
    assert result == f"{READER}: DMARC failed (From may be forged): left for a person"
    assert store.get(READER).status == "active"
    passing = raw(f"From: {READER}\nSubject: unsubscribe\nAuthentication-Results: mx; dmarc=pass")
    assert run(tmp_path, store, passing) == [f"{READER}: unsubscribed"]
