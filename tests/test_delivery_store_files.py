"""The store's files: private modes, and no command but those adding subscribers makes one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from delivery.cli import cli
from delivery.errors import StoreMissing
from delivery.store import Store

pytest_plugins = ["delivery_fixtures"]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)  # the common default, under which files come out 0644
    yield
    os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mode & 0o777 for p in directory.iterdir() if p.is_file()}


def test_store_wal_and_shm_are_created_owner_only(tmp_path, umask_022):
    with Store(tmp_path / "data" / "subscribers.db") as store:
        store.add_subscriber("ada@example.org")
        found = modes(tmp_path / "data")
    assert found == dict.fromkeys(
        ["subscribers.db", "subscribers.db-wal", "subscribers.db-shm"], 0o600
    )


def test_a_new_store_through_the_cli_is_private_and_announced(bare_newsletter, umask_022):
    runner = CliRunner()
    settings = ["--settings", str(bare_newsletter.settings_path)]
    result = runner.invoke(cli, [*settings, "subscribers", "add", "ada@example.org"])
    store = bare_newsletter.settings().store_path
    assert result.output == (
        f"Created the subscriber store at {store}\nadded ada@example.org (active)\n"
    )
    assert store.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(cli, [*settings, "subscribers", "add", "bo@example.org"])
    assert again.output == "added bo@example.org (active)\n"  # said once, when made


def test_opening_without_create_refuses_missing_and_empty_files(tmp_path):
    with pytest.raises(StoreMissing, match=r"subscribers\.db does not exist: check MASTHEAD_DB"):
        Store(tmp_path / "subscribers.db", create=False)
    assert not (tmp_path / "subscribers.db").exists()
    (tmp_path / "empty.db").touch()
    with pytest.raises(StoreMissing, match=r"empty\.db is empty \(0 bytes\)"):
        Store(tmp_path / "empty.db", create=False)
    assert (tmp_path / "empty.db").stat().st_size == 0


def cli_run(newsletter, *args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **newsletter.env, "MASTHEAD_DB": str(db)}
    command = [sys.executable, "publish.py", "--settings", str(newsletter.settings_path), *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["send", "1", "--yes"], ["serve", "--port", "1"]])
@pytest.mark.parametrize("kind", ["mistyped", "empty"])
def test_send_and_serve_refuse_a_missing_or_empty_store(newsletter, command, kind):
    newsletter.build()
    newsletter.add("ada@example.org")  # the real store, beside the settings
    db = newsletter.root / ("subscriber.db" if kind == "mistyped" else "empty.db")
    if kind == "empty":
        db.touch()
    result = cli_run(newsletter, *command, db=db)
    state = "does not exist" if kind == "mistyped" else "is empty (0 bytes)"
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Error: subscriber store {db} {state}: check MASTHEAD_DB")
    assert (db.exists(), db.exists() and db.stat().st_size) == (kind == "empty", 0)


@pytest.mark.parametrize(
    "args",
    [["subscribers", "list"], ["subscribers", "count"], ["subscribers", "remove", "a@b.org"]],
)
def test_commands_that_add_nobody_make_no_store(bare_newsletter, args):
    runner = CliRunner()
    result = runner.invoke(cli, ["--settings", str(bare_newsletter.settings_path), *args])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not bare_newsletter.settings().store_path.exists()


def test_an_older_store_readable_by_others_is_named_with_the_fix(tmp_path, caplog):
    path = tmp_path / "subscribers.db"
    Store(path).close()
    path.chmod(0o644)  # as stores were made before
    with caplog.at_level("WARNING"), Store(path, create=False):
        pass
    assert f"subscriber store {path} can be read by other users (mode 644)" in caplog.text
    assert f"chmod 600 {path}*" in caplog.text
