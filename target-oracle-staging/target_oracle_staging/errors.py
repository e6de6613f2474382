"""The one line a user sees when the target fails: which setting, its (redacted) value, why.

The traceback goes to the debug log; the last line names the setting for the common mistakes
(an unreachable or wrong database, bad credentials, a missing privilege) and holds no secret.
"""

from __future__ import annotations

import re
import typing as t

from target_oracle_staging.connection import ORACLE_SETTINGS, oracle_connect_params

_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")
_SQL_ECHO = re.compile(r"\s*\[SQL: .*", re.S)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    """The error's text in one line (a driver's cause on its next lines is kept)."""
    text = _SQL_ECHO.sub("", _BACKGROUND.sub("", str(exc))).strip()
    text = re.sub(r"^\([\w.]+\)\s*", "", text)  # SQLAlchemy's "(psycopg.OperationalError) "
    text = re.sub(r"\s*\(CONNECTION_ID=[^)]*\)", "", text)  # python-oracledb's trace id
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return ": ".join(lines[:3]) if lines else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    name = type(exc).__name__
    if module.startswith("oracledb"):
        return True
    if name == "OperationalError" and module.startswith(("psycopg", "sqlalchemy")):
        return True
    return module.startswith("duckdb") and name in {"IOException", "ConnectionException"}


def _where(config: t.Mapping[str, t.Any]) -> str:
    """The setting that chose the database, with its value safe to print."""
    if config.get("dry_run_dialect"):
        return "the dry run"
    if config.get("sqlalchemy_url"):
        import sqlalchemy as sa

        try:
            url = sa.make_url(str(config["sqlalchemy_url"])).render_as_string(hide_password=True)
        except Exception:  # a URL SQLAlchemy cannot parse: show nothing of it
            url = "<unparseable URL>"
        return f"the database given by sqlalchemy_url ({url})"
    if any(config.get(k) for k in ORACLE_SETTINGS):
        dsn = oracle_connect_params(config).get("dsn")
        return f"Oracle given by dsn ({dsn}) as user {config.get('user')!r}"
    return f"the DuckDB file given by database_path ({config.get('database_path')})"


def describe_failure(
    exc: BaseException,
    config: t.Mapping[str, t.Any],
    redact: t.Callable[[str], str],
    *,
    connected: bool = False,
) -> str:
    """One line: for database failures the setting and the driver's reason, else the error."""
    for link in _chain(exc):
        if _is_connection_error(link):
            verb = "lost the connection to" if connected else "cannot connect to"
            return redact(f"{verb} {_where(config)}: {_first_line(link)}")
        if isinstance(link, PermissionError):
            return redact(_first_line(link))
        if isinstance(link, OSError) and not connected:
            return redact(f"cannot open {_where(config)}: {_first_line(link)}")
    return redact(f"{type(exc).__name__}: {_first_line(exc)}")
