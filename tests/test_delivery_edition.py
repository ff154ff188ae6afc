"""Loading and personalising editions: refusals and the rendered message."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest

from delivery.edition import (
    BodyTemplate,
    compile_edition,
    fill,
    load_edition,
    quoted_printable,
)
from delivery.errors import EditionCorrupt, EditionDraft, EditionNotBuilt, EditionStale
from delivery.send import send_dry_run, send_edition

pytest_plugins = ["delivery_fixtures"]


def test_unbuilt_edition_is_refused(bare_newsletter):
    with pytest.raises(EditionNotBuilt, match=r"edition 7 is not built.*run publish\.py build"):
        load_edition(bare_newsletter.settings(), 7)
    with bare_newsletter.store() as store, pytest.raises(EditionNotBuilt):
        send_edition(bare_newsletter.settings(), 7, store)


def test_draft_is_refused_by_send(bare_newsletter):
    bare_newsletter.build(status="draft")
    bare_newsletter.add("ada@example.org")
    with pytest.raises(EditionDraft, match="edition 1 is a draft"), bare_newsletter.store() as s:
        send_edition(bare_newsletter.settings(), 1, s)
    assert load_edition(bare_newsletter.settings(), 1, allow_draft=True).status == "draft"


def test_stale_edition_is_refused(bare_newsletter):
    bare_newsletter.build()
    (bare_newsletter.root / "content/issues/001.md").write_text("---\nnumber: 1\n---\nEdited.\n")
    with pytest.raises(EditionStale, match=r"edition 1 is older than its content: run publish\.py"):
        load_edition(bare_newsletter.settings(), 1)


def test_missing_source_makes_it_stale(bare_newsletter):
    bare_newsletter.build()
    (bare_newsletter.root / "content/issues/001.md").unlink()
    with pytest.raises(EditionStale, match=r"content/issues/001\.md is missing"):
        load_edition(bare_newsletter.settings(), 1)


def test_body_edited_after_build_is_refused(bare_newsletter):
    directory = bare_newsletter.build()
    (directory / "email.html").write_text("<p>edited by hand</p>")
    with pytest.raises(EditionCorrupt, match=r"email\.html does not match its hash"):
        load_edition(bare_newsletter.settings(), 1)


def test_unknown_format_and_placeholder_are_refused(bare_newsletter):
    directory = bare_newsletter.build()
    meta = json.loads((directory / "edition.json").read_text())
    (directory / "edition.json").write_text(json.dumps({**meta, "format": 2}))
    with pytest.raises(EditionCorrupt, match="format 2 is not 1"):
        load_edition(bare_newsletter.settings(), 1)
    meta["headers"]["X-Greeting"] = "Hello %%first_name%%"
    (directory / "edition.json").write_text(json.dumps(meta))
    with pytest.raises(EditionCorrupt, match="unknown placeholder %%first_name%%"):
        load_edition(bare_newsletter.settings(), 1)


def test_render_fills_every_placeholder(bare_newsletter):
    bare_newsletter.build()
    settings = bare_newsletter.settings()
    compiled = compile_edition(load_edition(settings, 1), settings.list_id)
    raw = compiled.render("ada@example.org", "https://x.example/u?token=abc.def")
    message = message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "ada@example.org"
    assert message["List-Unsubscribe"].startswith("<https://x.example/u?token=abc.def>")
    assert b"%%" not in raw
    html = message.get_body(("html",)).get_content()
    assert 'href="https://x.example/u?token=abc.def"' in html
    assert "Sent to ada@example.org" in html
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_missing_to_and_list_unsubscribe_are_added(bare_newsletter):
    bare_newsletter.build()
    edition = load_edition(bare_newsletter.settings(), 1)
    for name in ("To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        del edition.headers[name]
    raw = compile_edition(edition, "test.example.org", "requests@test.example.org").render(
        "ada@example.org", "https://x.example/u"
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "ada@example.org"
    assert message["List-Unsubscribe"] == (
        "<https://x.example/u>, <mailto:requests@test.example.org?subject=UNSUBSCRIBE>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "body",
    [
        "plain\n",
        "no final newline %%recipient%%",
        "%%recipient%%\n" + "x" * 200 + " %%unsubscribe_url%% \n\n.\ntrailing space \n",
        "é" * 100 + "\n  %%recipient%%=%%unsubscribe_url%%\t\nend\n",
    ],
)
def test_body_template_matches_encoding_the_whole_body(body):
    url = "https://x.example/u?token=" + "A" * 90
    expected = quoted_printable(fill(body, "ada@example.org", url))
    if not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    assert BodyTemplate(body).render("ada@example.org", url) == expected


def test_dry_run_writes_a_maildir_and_logs_no_delivery(bare_newsletter, tmp_path):
    import mailbox

    bare_newsletter.build()
    bare_newsletter.add("ada@example.org", "bob@example.org")
    bare_newsletter.add("gone@example.org", status="unsubscribed")
    with bare_newsletter.store() as store:
        summary = send_dry_run(bare_newsletter.settings(), 1, store, tmp_path / "preview")
        assert summary.sent == 2
        assert store.deliveries(1) == []
    box = mailbox.Maildir(str(tmp_path / "preview"), create=False)
    assert sorted(m["To"] for m in box) == ["ada@example.org", "bob@example.org"]


def test_dry_run_into_an_impossible_maildir_fails_cleanly(bare_newsletter, tmp_path):
    from delivery.errors import UsageError

    bare_newsletter.build()
    bare_newsletter.add("ada@example.org")
    (tmp_path / "file").write_text("not a directory")
    with bare_newsletter.store() as store, pytest.raises(UsageError, match="cannot create"):
        send_dry_run(bare_newsletter.settings(), 1, store, tmp_path / "file" / "box")
