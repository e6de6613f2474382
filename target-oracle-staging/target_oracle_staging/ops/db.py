"""An engine on the database the target writes to, chosen by the target's own settings."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from target_oracle_staging.connection import (
    ORACLE_SETTINGS,
    connection_default,
    normalized_url,
    oracle_connect_params,
)
from target_oracle_staging.ops.settings import Redactor, SettingsError


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the text names the setting and the cause."""


@dataclass
class Database:
    engine: sa.Engine
    schema: str | None
    setting: str  # which setting chose the database, for error messages
    shown: str  # the redacted address, for error messages and the report

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def _secrets_of_url(settings: dict[str, t.Any]) -> dict[str, t.Any]:
    """Add the URL's password as a secret, so the URL itself can be shown redacted."""
    url = settings.get("sqlalchemy_url")
    extra = dict(settings)
    if url:
        try:
            password = sa.engine.make_url(url).password
        except sa.exc.ArgumentError:
            password = None
        extra["sqlalchemy_url"] = password or None
    return extra


def redactor_for(settings: t.Mapping[str, t.Any]) -> Redactor:
    return Redactor(_secrets_of_url(dict(settings)))


def _oracle_engine(settings: t.Mapping[str, t.Any]) -> tuple[sa.Engine, str]:
    try:
        params = oracle_connect_params(settings)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    user, password = params.pop("user", None), params.pop("password", None)
    url = sa.URL.create("oracle+oracledb", username=user, password=password)
    return sa.create_engine(url, connect_args=params), f"{user}@{params['dsn']}"


def open_database(settings: t.Mapping[str, t.Any]) -> Database:
    """Oracle when an Oracle setting is set, else sqlalchemy_url, else the DuckDB file."""
    schema = settings.get("default_target_schema") or None
    redact = redactor_for(settings)
    if any(settings.get(n) for n in ORACLE_SETTINGS):
        engine, shown = _oracle_engine(settings)
        setting = "dsn" if settings.get("dsn") else "host"
    elif settings.get("sqlalchemy_url"):
        setting = "sqlalchemy_url"
        try:
            url = normalized_url(str(settings["sqlalchemy_url"]))
        except sa.exc.ArgumentError as exc:
            shown = redact(str(settings["sqlalchemy_url"]))
            msg = f"setting sqlalchemy_url is not a SQLAlchemy URL ({shown})"
            raise SettingsError(msg) from exc
        shown = redact(url.render_as_string(hide_password=True))
        engine = sa.create_engine(url)
    else:
        setting = "database_path"
        path = str(settings.get("database_path") or connection_default("database_path"))
        shown = path
        if not Path(path).exists():
            msg = f"the DuckDB file given by database_path ({path}) does not exist"
            raise DatabaseError(msg)
        # Read-only would clash with a target writing at the same time; DuckDB allows one writer.
        engine = sa.create_engine(f"duckdb:///{path}")
    database = Database(engine, schema.lower() if schema else None, setting, shown)
    check_connection(database, redact)
    return database


def check_connection(database: Database, redact: Redactor) -> None:
    """Connect once, so a wrong address fails here with one line naming the setting."""
    try:
        with database.engine.connect():
            pass
    except Exception as exc:  # every driver has its own error classes; all end here
        cause = redact(str(getattr(exc, "orig", None) or exc)).strip().splitlines()
        reason = cause[0] if cause else type(exc).__name__
        msg = (
            f"cannot connect to the database given by {database.setting} "
            f"({database.shown}): {reason}"
        )
        database.dispose()
        raise DatabaseError(msg) from None
