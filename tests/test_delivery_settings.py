"""Settings: the NEWSLETTER dict, MASTHEAD_* overrides and clear errors."""

from __future__ import annotations

import pytest

from delivery.errors import SettingsError
from delivery.settings import load_settings

pytest_plugins = ["delivery_fixtures"]


def test_reads_newsletter_and_resolves_the_store_beside_the_settings(bare_newsletter):
    settings = load_settings(bare_newsletter.settings_path, environ={})
    assert settings.store_path == bare_newsletter.root / "subscribers.db"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.connections) == (
        "127.0.0.1",
        2525,
        2,
    )
    assert settings.smtp.rate is None
    assert settings.edition_dir(3) == bare_newsletter.root / "output" / "editions" / "3"


def test_environment_overrides(bare_newsletter):
    env = {
        "MASTHEAD_SMTP_HOST": "smtp.example.net",
        "MASTHEAD_SMTP_PORT": "587",
        "MASTHEAD_SMTP_SECURITY": "starttls",
        "MASTHEAD_SMTP_USER": "sender",
        "MASTHEAD_SMTP_PASSWORD": "hunter2",
        "MASTHEAD_SECRET": "x" * 32,
        "MASTHEAD_DB": "data/list.db",
    }
    settings = load_settings(bare_newsletter.settings_path, environ=env)
    smtp = settings.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.user) == (
        "smtp.example.net",
        587,
        "starttls",
        "sender",
    )
    assert smtp.password == "hunter2" and "hunter2" not in repr(settings)
    assert settings.store_path == bare_newsletter.root / "data" / "list.db"
    assert settings.require_secret() == "x" * 32


def test_publishconf_star_import_works(bare_newsletter):
    (bare_newsletter.root / "publishconf.py").write_text(
        "from pelicanconf import *  # noqa\nNEWSLETTER = {**NEWSLETTER, 'name': 'Prod'}\n"
    )
    settings = load_settings(bare_newsletter.root / "publishconf.py", environ={})
    assert settings.name == "Prod"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MASTHEAD_SMTP_PORT": "http"}, "MASTHEAD_SMTP_PORT"),
        ({"MASTHEAD_SMTP_SECURITY": "ssl"}, "MASTHEAD_SMTP_SECURITY is 'ssl'"),
    ],
)
def test_bad_overrides_name_the_variable(bare_newsletter, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(bare_newsletter.settings_path, environ=env)


def test_missing_file_and_missing_secret(bare_newsletter, tmp_path):
    with pytest.raises(SettingsError, match="pass --settings FILE"):
        load_settings(tmp_path / "nope.py")
    settings = load_settings(bare_newsletter.settings_path, environ={"MASTHEAD_SECRET": "short"})
    with pytest.raises(SettingsError, match="MASTHEAD_SECRET is too short"):
        settings.require_secret()
