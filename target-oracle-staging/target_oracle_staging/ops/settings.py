"""Settings of the ops commands: a JSON config file (the target's own works), env vars, flags.

Under Meltano the `etl-ops` utility passes its settings as ETL_OPS_<NAME>; the loader's
TARGET_ORACLE_STAGING_<NAME> connection variables, when set, take their place, so one set of
variables (say the prod password) serves both and both always open the same database.
"""

from __future__ import annotations

import json
import os
import re
import typing as t
from pathlib import Path

from target_oracle_staging.connection import CONNECTION_SETTINGS as TARGET_CONNECTION_SETTINGS

# The loader's connection settings (one list, the connection module's) and its schema.
CONNECTION_SETTINGS = (*TARGET_CONNECTION_SETTINGS, "default_target_schema")
OPS_SETTINGS = (
    "rules_file",
    "lookback_hours",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_password",
    "smtp_from",
    "smtp_timeout",
    "smtp_ca_file",
    "email_to",
    "webhook_url",
    "webhook_token",
    "webhook_timeout",
    "report_path",
    "report_days",
    "warehouse_schema",
)
SECRET_SETTINGS = (
    "password",
    "wallet_password",
    "sqlalchemy_url",
    "smtp_password",
    "webhook_token",
)
ENV_PREFIX = "ETL_OPS_"
TARGET_ENV_PREFIX = "TARGET_ORACLE_STAGING_"


class SettingsError(ValueError):
    """A setting is missing or has a value the command cannot use."""


def load_settings(
    config_path: str | None = None,
    overrides: t.Mapping[str, t.Any] | None = None,
    environ: t.Mapping[str, str] | None = None,
) -> dict[str, t.Any]:
    """Config file < ETL_OPS_* < TARGET_ORACLE_STAGING_* (connection only) < command-line flags."""
    env = os.environ if environ is None else environ
    settings: dict[str, t.Any] = {}
    if config_path:
        path = Path(config_path)
        try:
            settings.update(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            msg = f"config file {path} does not exist"
            raise SettingsError(msg) from exc
        except json.JSONDecodeError as exc:
            msg = f"config file {path}: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            raise SettingsError(msg) from exc
    for name in CONNECTION_SETTINGS + OPS_SETTINGS:
        if env.get(ENV_PREFIX + name.upper()):
            settings[name] = env[ENV_PREFIX + name.upper()]
    # The loader's own variables win: the ops commands must read the database the loader wrote.
    for name in CONNECTION_SETTINGS:
        if env.get(TARGET_ENV_PREFIX + name.upper()):
            settings[name] = env[TARGET_ENV_PREFIX + name.upper()]
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return settings


def as_list(value: t.Any) -> list[str]:
    """An array setting: a list, a JSON array (how Meltano passes arrays) or comma-separated."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [part.strip() for part in text.split(",") if part.strip()]


def as_number(settings: t.Mapping[str, t.Any], name: str, default: float) -> float:
    value = settings.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        msg = f"setting {name} must be a number, got {value!r}"
        raise SettingsError(msg) from exc


class Redactor:
    """Removes secret setting values and URL passwords from text bound for logs or the ledger."""

    def __init__(self, settings: t.Mapping[str, t.Any]) -> None:
        self._secrets = sorted(
            {str(settings[n]) for n in SECRET_SETTINGS if settings.get(n)}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
