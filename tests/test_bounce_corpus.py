"""The real corpus (tests/mail/bounces/, origins and licences in its README): the aims of
issue 9 — hard bounces suppressed >= 95%, complaints >= 95%, soft bounces and auto-replies
wrongly suppressed <= 1% — measured by running `inbox process` over every message."""

from __future__ import annotations

from .bounce_corpus import labels, measure_by_address, measure_with_verp


def test_the_corpus_is_labelled_and_large_enough():
    rows = labels()
    kinds = {row["label"] for row in rows}
    assert kinds == {"hard", "soft", "policy", "unclear", "complaint", "auto-reply", "none"}
    assert len(rows) >= 180
    assert sum(row["label"] == "complaint" for row in rows) >= 6


def test_the_aims_hold_on_the_corpus_with_verp(tmp_path):
    shares = measure_with_verp(tmp_path)
    print("\n".join(["", *shares.lines()]))
    assert shares.unreadable == []
    assert shares.share("hard") >= 0.95, shares.wrong["hard"]
    assert shares.share("complaint") >= 0.95, shares.wrong["complaint"]
    assert shares.share("soft", "auto-reply") <= 0.01, (
        shares.wrong["soft"] + shares.wrong["auto-reply"]
    )
    assert shares.share("policy", "none") == 0, shares.wrong["policy"] + shares.wrong["none"]


def test_without_a_token_the_reports_own_addresses_match(tmp_path):
    shares = measure_by_address(tmp_path)
    print("\n".join(["", *shares.lines()]))
    assert shares.share("hard") >= 0.9, shares.wrong["hard"]
    assert shares.share("soft", "auto-reply") <= 0.01, shares.wrong["soft"]
