"""`status N` deliverability numbers: bounced hard/soft, complained, rates and warnings."""

from __future__ import annotations

from click.testing import CliRunner

from delivery.cli import cli
from delivery.deliverability import deliverability
from delivery.store import Store, record_event

pytest_plugins = ["delivery_fixtures"]


def test_numbers_rates_and_warnings(tmp_path):
    with Store(tmp_path / "s.db") as store:
        readers = [store.add_subscriber(f"r{i}@example.org") for i in range(1000)]
        store.snapshot(5)
        for n, delivery in enumerate(store.deliveries(5)):
            gone = {"status": "5.1.1", "reason": "user unknown"} if n < 15 else None
            store.record_delivery(delivery.id, "failed" if gone else "sent", "550", gone)
        with store.transaction() as db:
            for reader in readers[20:30]:  # soft, two reports for one reader count once
                record_event(db, reader, "soft bounce", "inbox", {"issue": 5})
            record_event(db, readers[20], "soft bounce", "inbox", {"issue": 5})
            record_event(db, readers[0], "soft bounce", "inbox", {"issue": 5})  # hard already
            record_event(db, readers[40], "soft bounce", "inbox", {"issue": 4})  # another issue
            for reader in readers[50:52]:
                record_event(db, reader, "complaint", "inbox", {"issue": 5})
        numbers = deliverability(store, 5)
    assert (numbers.sent, numbers.failed, numbers.hard, numbers.soft, numbers.complained) == (
        985,
        15,
        15,
        10,
        2,
    )
    assert numbers.bounce_rate == 0.025 and round(numbers.complaint_rate, 5) == round(2 / 985, 5)
    text = "\n".join(numbers.lines())
    assert "bounced 15 hard, 10 soft (2.5%); 2 complained (0.20%)" in text
    assert "bounce rate 2.5% is over the 2% mailbox providers enforce" in text
    assert "complaint rate 0.20% is over the 0.1% mailbox providers enforce" in text


def test_a_clean_issue_has_no_warning(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.add_subscriber("ada@example.org")
        store.snapshot(1)
        store.record_delivery(store.deliveries(1)[0].id, "sent", "250 ok")
        assert deliverability(store, 1).warnings() == []


def test_status_prints_them(newsletter, smtp_server):
    newsletter.build()
    newsletter.add("gone@example.org", "fine@example.org")
    smtp_server.rcpt_replies["gone@example.org"] = ["550 5.1.1 user unknown"]
    runner = CliRunner()
    base = ["--settings", str(newsletter.settings_path)]
    runner.invoke(cli, [*base, "send", "1", "--yes"], env=newsletter.env)
    result = runner.invoke(cli, [*base, "status", "1"], env=newsletter.env)
    assert result.exit_code == 0, result.output
    assert "deliverability: 1 sent, 1 failed; bounced 1 hard, 0 soft (50.0%)" in result.output
    assert "warning: bounce rate 50.0% is over the 2%" in result.output
