"""Which database the settings point at, and how to reach it: pure functions, light imports.

The connector (DDL, sessions) and the ops commands (report, alerts, rollback) both use these,
so a setting means the same to both.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

ORACLE_SETTINGS = ("dsn", "host", "service_name")
# Every setting that chooses or reaches the database (secrets included).
CONNECTION_SETTINGS = (
    "user",
    "password",
    "dsn",
    "host",
    "port",
    "service_name",
    "config_dir",
    "wallet_location",
    "wallet_password",
    "sqlalchemy_url",
    "database_path",
)


def connection_default(name: str) -> t.Any:
    """The target schema's default of a connection setting (port, database_path).

    Imported when used: the schema needs singer_sdk, which the ops commands never load otherwise.
    """
    from target_oracle_staging.settings import default

    return default(name)


def oracle_connect_params(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Keyword arguments for python-oracledb thin mode (oracledb.connect)."""
    params: dict[str, t.Any] = {}
    if config.get("user"):
        params["user"] = config["user"]
    if config.get("password"):
        params["password"] = config["password"]
    if config.get("dsn"):
        params["dsn"] = config["dsn"]  # easy connect string or a TNS alias from config_dir
    elif config.get("host"):
        port = int(config.get("port") or connection_default("port"))
        service = config.get("service_name") or ""
        params["dsn"] = f"{config['host']}:{port}/{service}"
    else:
        msg = "Oracle needs `dsn` (easy connect or TNS alias) or `host` + `service_name`"
        raise ValueError(msg)
    for name in ("config_dir", "wallet_location", "wallet_password"):
        if config.get(name):
            params[name] = config[name]
    return params


def dialect_name_for(config: t.Mapping[str, t.Any]) -> str:
    """Oracle when any Oracle setting is present, else the URL's backend, else DuckDB."""
    if any(config.get(name) for name in ORACLE_SETTINGS):
        return "oracle"
    if config.get("sqlalchemy_url"):
        backend = sa.engine.make_url(config["sqlalchemy_url"]).get_backend_name()
        return "postgresql" if backend in {"postgresql", "postgres"} else backend
    return "duckdb"


def normalized_url(url: str) -> sa.URL:
    """Use psycopg 3 / python-oracledb, the drivers this package installs."""
    parsed = sa.engine.make_url(url)
    driver = parsed.drivername
    if driver in {"postgresql", "postgres", "postgresql+psycopg2"}:
        return parsed.set(drivername="postgresql+psycopg")
    if driver in {"oracle", "oracle+cx_oracle"}:
        return parsed.set(drivername="oracle+oracledb")
    return parsed
