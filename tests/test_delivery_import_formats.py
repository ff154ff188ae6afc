"""`subscribers import` reads the exports of other tools by their own column names.

The samples' headers are the tools' own; where each comes from is in
tests/samples/imports/README.md.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from delivery.cli import cli
from delivery.csvio import import_csv

pytest_plugins = ["delivery_fixtures"]

SAMPLES = Path(__file__).parent / "samples" / "imports"


def imported(newsletter, name: str, **options):
    with newsletter.store() as store:
        report = import_csv(SAMPLES / name, store, **options)
        people = {s.address: (s.name, s.status) for s in store.subscribers()}
    return report, people


def test_mailchimp_names_are_joined_and_each_file_keeps_its_status(bare_newsletter):
    report, people = imported(bare_newsletter, "mailchimp_subscribed.csv")
    assert (report.tool, report.imported, report.bad) == ("Mailchimp", 3, [])
    assert people == {
        "ada.reader@example.org": ("Ada Reader", "active"),
        "grace@example.org": ("Grace", "active"),
        "solo@example.org": ("Lastname Only", "active"),
    }
    _, people = imported(bare_newsletter, "mailchimp_unsubscribed.csv")
    assert people["left@example.org"] == ("Lena Left", "unsubscribed")
    _, people = imported(bare_newsletter, "mailchimp_cleaned.csv")
    assert people["gone@example.org"] == ("Gus Gone", "bounced")


def test_mailchimp_keeps_the_opt_in_time(bare_newsletter):
    imported(bare_newsletter, "mailchimp_subscribed.csv")
    with bare_newsletter.store() as store:
        assert store.require("ada.reader@example.org").created_at == "2024-03-14T09:12:31+00:00"


def test_substack_disabled_email_is_not_active(bare_newsletter):
    report, people = imported(bare_newsletter, "substack_email_list.csv")
    assert report.tool == "Substack"
    assert people == {
        "free.reader@example.org": ("", "active"),
        "paid.reader@example.org": ("", "active"),
        "muted@example.org": ("", "unsubscribed"),
    }


def test_buttondown_types_map_onto_our_statuses(bare_newsletter):
    report, people = imported(bare_newsletter, "buttondown_subscribers.csv")
    assert report.tool == "Buttondown"
    assert {address: status for address, (_, status) in people.items()} == {
        "regular@example.org": "active",
        "premium@example.org": "active",
        "waiting@example.org": "pending",
        "quit@example.org": "unsubscribed",
        "removed@example.org": "unsubscribed",
    }
    [bad] = report.bad
    assert bad.line == 7 and "Buttondown subscriber_type 'mystery' is not one of" in bad.reason


def test_listmonk_blocklisted_and_disabled_are_not_active(bare_newsletter):
    report, people = imported(bare_newsletter, "listmonk_subscribers.csv")
    assert report.tool == "listmonk"
    assert people == {
        "enabled@example.org": ("Eno Abled", "active"),
        "blocked@example.org": ("Bo Locked", "unsubscribed"),
        "off@example.org": ("Di Sabled", "unsubscribed"),
    }
    with bare_newsletter.store() as store:
        assert store.require("enabled@example.org").created_at == "2023-05-01T08:00:00+00:00"


def test_a_list_without_header_is_one_address_a_line(bare_newsletter):
    report, people = imported(bare_newsletter, "plain_list.txt")
    assert sorted(people) == ["one@example.org", "three@example.org", "two@example.org"]
    reasons = {bad.line: bad.reason for bad in report.bad}
    assert reasons[3] == "empty row"
    assert reasons[4].startswith("bad address: 'not an address' is not a valid address")
    assert "need SMTPUTF8, which many mail servers do not offer" in reasons[5]


def test_semicolons_and_tabs_are_read(bare_newsletter):
    _, people = imported(bare_newsletter, "semicolons.csv")
    assert people == {
        "semi@example.org": ("Dupont; Marie", "active"),
        "colon@example.org": ("Jean Martin", "active"),
    }
    _, people = imported(bare_newsletter, "tabs.tsv")
    assert people["tab@example.org"] == ("Tab Reader", "active")
    assert people["late@example.org"] == ("Late Reader", "pending")


def test_dry_run_shows_what_would_change_and_keeps_nothing(bare_newsletter):
    runner = CliRunner(env=bare_newsletter.env)
    base = ["--settings", str(bare_newsletter.settings_path), "subscribers", "import"]
    result = runner.invoke(cli, [*base, str(SAMPLES / "buttondown_subscribers.csv"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "would import 5 (2 active, 1 pending, 2 unsubscribed) from a Buttondown export, "
        "skipped 1 bad row(s)"
    ) in result.output
    with bare_newsletter.store() as store:
        assert store.count() == 0
    real = runner.invoke(cli, [*base, str(SAMPLES / "buttondown_subscribers.csv")])
    assert "imported 5 (2 active, 1 pending, 2 unsubscribed)" in real.output
    with bare_newsletter.store() as store:
        assert store.count() == 5
