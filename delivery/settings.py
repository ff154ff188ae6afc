"""Send-time settings: the NEWSLETTER dict of pelicanconf.py, overridden by MASTHEAD_* variables.

Secrets (SMTP password, token key) come from the environment so they stay out of files.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SettingsError

SECURITY_MODES = ("none", "starttls", "tls")
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    connections: int = 4
    rate: float | None = None  # messages per second over all connections; None = no limit
    error_budget: float = 0.05  # below 1: fraction of attempts; 1 or more: a count
    timeout: float = 30.0


@dataclass(frozen=True)
class DkimSettings:
    """NEWSLETTER["dkim"] = {"domain": ..., "selector": ...}; the key's path from
    MASTHEAD_DKIM_KEY (a PEM file, never in the settings)."""

    domain: str
    selector: str
    key_path: Path | None


@dataclass(frozen=True)
class BounceSettings:
    """NEWSLETTER["bounces"]: soft bounces on `soft_limit` distinct issues within
    `soft_days` days make an address bounced."""

    soft_limit: int = 3
    soft_days: int = 30


@dataclass(frozen=True)
class SendSettings:
    path: Path
    name: str
    from_address: str
    reply_to: str
    list_id: str
    service_url: str
    requests_address: str
    output_path: Path
    store_path: Path
    smtp: SmtpSettings
    secret: str | None = field(default=None, repr=False)
    # MASTHEAD_SECRET_PREVIOUS: older secrets whose links (in old emails) still verify.
    previous_secrets: tuple[str, ...] = field(default=(), repr=False)
    # Used by the subscription service only: its pages link back to the archive and reuse
    # the archive's stylesheet (theme/static/css/style.css), read from the theme directory.
    public_url: str = ""
    theme_path: Path | None = None
    # Deliverability (docs/sending.md, "Keeping the list clean"): the VERP return path's
    # mailbox, DKIM signing and the soft-bounce window.
    bounce_address: str = ""
    dkim: DkimSettings | None = None
    bounces: BounceSettings = field(default_factory=BounceSettings)
    # Scheduled sends: times are read and shown in the newsletter's TIMEZONE (Pelican's
    # setting) and stored in UTC; a send more than max_lateness late is refused.
    timezone: str = "UTC"
    max_lateness: timedelta = timedelta(hours=6)
    # Catch-up on a series: days between two parts to one follower (0: one part per run).
    catch_up_days: float = 3.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def edition_dir(self, number: int) -> Path:
        return self.output_path / "editions" / str(number)

    @property
    def unsubscribe_url_template(self) -> str:
        return self.service_url.rstrip("/") + "/unsubscribe?token={token}"

    @property
    def preferences_url_template(self) -> str:
        return self.service_url.rstrip("/") + "/preferences?token={token}"

    def require_secret(self) -> str:
        """The token key; signing or checking a token without one is a settings error."""
        if not self.secret:
            raise SettingsError(
                "MASTHEAD_SECRET is not set: export a long random value, e.g. "
                "`export MASTHEAD_SECRET=$(python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')`; unsubscribe links are signed with it"
            )
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"MASTHEAD_SECRET is too short ({len(self.secret)} characters): "
                f"use at least {MIN_SECRET_LENGTH} random characters"
            )
        return self.secret

    def verifying_secrets(self) -> tuple[str, ...]:
        """The secrets a token may be signed with: the current one first, then the previous
        ones (new tokens use the current one only)."""
        current = self.require_secret()
        for old in self.previous_secrets:
            if len(old) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"MASTHEAD_SECRET_PREVIOUS holds a secret of {len(old)} characters: each "
                    f"comma-separated secret needs at least {MIN_SECRET_LENGTH}"
                )
        return (current, *self.previous_secrets)


def load_settings(
    path: str | os.PathLike[str] = "pelicanconf.py", environ: Mapping[str, str] | None = None
) -> SendSettings:
    """Read NEWSLETTER from a Pelican settings file and apply MASTHEAD_* overrides."""
    env = os.environ if environ is None else environ
    settings_path = Path(path).resolve()
    values = _run_settings_file(settings_path)
    newsletter = values.get("NEWSLETTER")
    if not isinstance(newsletter, Mapping):
        raise SettingsError(f"{path}: NEWSLETTER is missing or not a dict: define it there")
    base = settings_path.parent
    return SendSettings(
        path=settings_path,
        name=_text(newsletter, "name"),
        from_address=_text(newsletter, "from"),
        reply_to=str(newsletter.get("reply_to") or ""),
        list_id=_text(newsletter, "list_id"),
        service_url=_text(newsletter, "service_url"),
        requests_address=str(newsletter.get("requests_address") or ""),
        output_path=base / str(values.get("OUTPUT_PATH", "output")),
        store_path=_store_path(newsletter, env, base),
        smtp=_smtp_settings(newsletter.get("smtp") or {}, env),
        secret=env.get("MASTHEAD_SECRET") or None,
        previous_secrets=_previous_secrets(env.get("MASTHEAD_SECRET_PREVIOUS") or ""),
        public_url=str(newsletter.get("public_url") or ""),
        theme_path=base / str(values.get("THEME", "theme")),
        bounce_address=_bounce_address(newsletter),
        dkim=_dkim_settings(newsletter.get("dkim"), env, base),
        bounces=_bounce_settings(newsletter.get("bounces") or {}),
        timezone=_timezone(values.get("TIMEZONE")),
        max_lateness=_hours(newsletter.get("max_lateness", 6), "max_lateness"),
        catch_up_days=_days(newsletter.get("catch_up_days", 3)),
    )


def _bounce_address(newsletter: Mapping[str, Any]) -> str:
    value = newsletter.get("bounce_address") or ""
    local, at, domain = str(value).rpartition("@")
    if value and (not isinstance(value, str) or not at or not local or "+" in local or not domain):
        raise SettingsError(
            f'NEWSLETTER["bounce_address"] is {value!r}: give a plain address such as '
            "bounces@example.org (without a +tag: the send adds one per message)"
        )
    return str(value)


def _dkim_settings(value: Any, env: Mapping[str, str], base: Path) -> DkimSettings | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(value.get(key), str) and value.get(key) for key in ("domain", "selector")
    ):
        raise SettingsError(
            'NEWSLETTER["dkim"] must be {"domain": "example.org", "selector": "news"}: '
            "see docs/sending.md"
        )
    key = env.get("MASTHEAD_DKIM_KEY")
    key_path = (base / Path(key).expanduser()) if key else None
    return DkimSettings(value["domain"], value["selector"], key_path)


def _bounce_settings(value: Any) -> BounceSettings:
    if not isinstance(value, Mapping):
        raise SettingsError('NEWSLETTER["bounces"] must be a dict: see docs/sending.md')
    limit, days = value.get("soft_limit", 3), value.get("soft_days", 30)
    for name, number in (("soft_limit", limit), ("soft_days", days)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise SettingsError(f'NEWSLETTER["bounces"]["{name}"] must be a whole number >= 1')
    return BounceSettings(limit, days)


def _run_settings_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SettingsError(f"settings file {path} not found: pass --settings FILE")
    # publishconf.py does `from pelicanconf import *`: its directory must be importable, and
    # a pelicanconf cached from another directory (tests, two newsletters) must not leak in.
    before = set(sys.modules)
    sys.path.insert(0, str(path.parent))
    try:
        return runpy.run_path(str(path))
    except Exception as error:
        raise SettingsError(f"{path}: cannot be executed: {error}") from error
    finally:
        sys.path.remove(str(path.parent))
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", "")).startswith(str(path.parent)):
                del sys.modules[name]


def _previous_secrets(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _text(newsletter: Mapping[str, Any], key: str) -> str:
    value = newsletter.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f'NEWSLETTER["{key}"] is missing or empty: set it in pelicanconf.py')
    return value


def _store_path(newsletter: Mapping[str, Any], env: Mapping[str, str], base: Path) -> Path:
    raw = env.get("MASTHEAD_DB") or str(newsletter.get("store") or "subscribers.db")
    store = Path(raw).expanduser()
    return store if store.is_absolute() else base / store


def _smtp_settings(smtp: Mapping[str, Any], env: Mapping[str, str]) -> SmtpSettings:
    if not isinstance(smtp, Mapping):
        raise SettingsError('NEWSLETTER["smtp"] must be a dict: see docs/sending.md')
    security = env.get("MASTHEAD_SMTP_SECURITY") or str(smtp.get("security", "none"))
    if security not in SECURITY_MODES:
        source = (
            "MASTHEAD_SMTP_SECURITY"
            if "MASTHEAD_SMTP_SECURITY" in env
            else 'NEWSLETTER["smtp"]["security"]'
        )
        raise SettingsError(f"{source} is {security!r}: use one of none, starttls, tls")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    return SmtpSettings(
        host=env.get("MASTHEAD_SMTP_HOST") or str(smtp.get("host", "localhost")),
        port=_port(env.get("MASTHEAD_SMTP_PORT") or smtp.get("port", default_port)),
        security=security,
        user=env.get("MASTHEAD_SMTP_USER") or smtp.get("user") or None,
        password=env.get("MASTHEAD_SMTP_PASSWORD") or None,
        connections=_positive_int(smtp.get("connections", 4), "connections"),
        rate=_rate(smtp.get("rate")),
        error_budget=_budget(smtp.get("error_budget", 0.05)),
        timeout=float(smtp.get("timeout", 30.0)),
    )


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        raise SettingsError(
            f"SMTP port {value!r} (MASTHEAD_SMTP_PORT or "
            'NEWSLETTER["smtp"]["port"]) must be 1-65535'
        )
    return port


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SettingsError(f'NEWSLETTER["smtp"]["{name}"] must be a whole number, at least 1')
    return value


def _rate(value: Any) -> float | None:
    if value in (None, 0):
        return None
    if not isinstance(value, int | float) or value < 0:
        raise SettingsError('NEWSLETTER["smtp"]["rate"] must be messages per second (0 = no limit)')
    return float(value)


def _budget(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise SettingsError(
            'NEWSLETTER["smtp"]["error_budget"] must be a fraction (0.05) or a count (25)'
        )
    return float(value)


def _timezone(value: Any) -> str:
    name = str(value or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"TIMEZONE {name!r} is not a time zone: use a name like 'Europe/Paris' or 'UTC'"
        ) from None
    return name


def _hours(value: Any, name: str) -> timedelta:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise SettingsError(f'NEWSLETTER["{name}"] must be a number of hours, e.g. 6')
    return timedelta(hours=value)


def _days(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise SettingsError(
            'NEWSLETTER["catch_up_days"] must be a number of days, 0 or more (0: a part '
            "on every send-due run)"
        )
    return float(value)
