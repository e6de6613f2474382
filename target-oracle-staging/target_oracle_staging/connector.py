"""Connections, sessions, reflection and DDL. The connector owns names, types and dialects."""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from singer_sdk.sql import SQLConnector

from target_oracle_staging.dialects import Dialect, RowError, dialect_for
from target_oracle_staging.tables import Column, TableSpec
from target_oracle_staging.types import ColumnType, Kind, kind_of_reflected

logger = logging.getLogger("target_oracle_staging")

DEFAULT_DATABASE_PATH = "warehouse.duckdb"
DUCKDB_MEMORY_LIMIT = "256MB"
ORACLE_SETTINGS = ("dsn", "host", "service_name")


class SchemaEvolutionError(RuntimeError):
    """An existing column cannot hold the new type without losing data."""


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
        port = int(config.get("port") or 1521)
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


class Session:
    """One database connection: statements, transactions, reflection and the bulk path."""

    def __init__(self, connection: sa.Connection, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect

    def execute(self, sql: str, params: dict | None = None) -> int:
        result = self.connection.execute(sa.text(sql), params or {})
        return result.rowcount if result.rowcount is not None else -1

    def execute_many(self, sql: str, params: list[dict]) -> None:
        self.connection.execute(sa.text(sql), params)

    def execute_verbatim(self, sql: str) -> None:
        """Run user SQL exactly as written (no bind parsing of `:name`, no `%` escapes)."""
        driver_conn = self._driver_connection()
        if self.dialect.name == "duckdb":
            driver_conn.execute(sql)
            return
        cursor = driver_conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def scalar(self, sql: str, params: dict | None = None) -> t.Any:
        return self.connection.execute(sa.text(sql), params or {}).scalar()

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def bulk_load(self, table: str, spec: TableSpec, rows: list[tuple]) -> list[RowError]:
        return self.dialect.bulk_load(self._driver_connection(), table, spec, rows)

    def _driver_connection(self) -> t.Any:
        # Open the SQLAlchemy transaction first, so commit()/rollback() reach the driver
        # work done on it (SQLAlchemy ignores them when it began nothing itself).
        if not self.connection.in_transaction():
            self.connection.begin()
        driver_conn = self.connection.connection.driver_connection
        if self.dialect.name == "duckdb":
            driver_conn = driver_conn._ConnectionWrapper__c  # the raw DuckDB connection
        return driver_conn

    def savepoint(self) -> t.Any:
        return self.connection.begin_nested()

    def reflect(self, table: str, schema: str | None) -> dict[str, sa.types.TypeEngine] | None:
        """Columns of an existing table (upper-case names), or None when it does not exist."""
        inspector = sa.inspect(self.connection)
        schema_name = schema.lower() if schema else None
        if not inspector.has_table(table.lower(), schema=schema_name):
            return None
        columns = inspector.get_columns(table.lower(), schema=schema_name)
        return {c["name"].upper(): c["type"] for c in columns}

    def close(self) -> None:
        self.connection.close()


@dataclass
class DryRunSession:
    """Records every statement instead of sending it (DDL review, offline Oracle checks)."""

    dialect: Dialect
    statements: list[str] = field(default_factory=list)
    parameters: list[t.Any] = field(default_factory=list)
    tables: dict[str, dict[str, ColumnType]] = field(default_factory=dict)
    # A driver connection (e.g. create_autospec(oracledb.Connection)) to run the dialect's
    # bulk path against instead of only recording its INSERT statement.
    driver_connection: t.Any = None

    def execute(self, sql: str, params: dict | None = None) -> int:
        self.statements.append(sql)
        self.parameters.append(params)
        return 0

    def execute_many(self, sql: str, params: list[dict]) -> None:
        self.statements.append(sql)
        self.parameters.append(params)

    def scalar(self, sql: str, params: dict | None = None) -> t.Any:
        self.statements.append(sql)
        self.parameters.append(params)
        return 0

    def execute_verbatim(self, sql: str) -> None:
        self.statements.append(sql)
        self.parameters.append(None)

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None

    def savepoint(self) -> t.Any:
        return _NullSavepoint()

    def bulk_load(self, table: str, spec: TableSpec, rows: list[tuple]) -> list[RowError]:
        insert = getattr(self.dialect, "insert_values_sql", None)
        if insert is not None:
            self.statements.append(insert(table, spec))
            self.parameters.append(None)
        if self.driver_connection is not None:
            return self.dialect.bulk_load(self.driver_connection, table, spec, rows)
        return []

    def reflect(self, table: str, schema: str | None) -> dict[str, t.Any] | None:
        key = f"{schema}.{table}".lower() if schema else table.lower()
        return self.tables.get(key)

    def register_table(self, spec: TableSpec, table: str, columns: list[Column]) -> None:
        self.tables[spec.qualified(table)] = {c.name: c.type for c in columns}

    def close(self) -> None:
        return None


class _NullSavepoint:
    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None


def _duckdb_utc(dbapi_connection: t.Any, _record: t.Any) -> None:
    """Date-times without an offset are UTC, as on the other databases.

    Without the ICU extension (the default wheel, offline) DuckDB already does all time zone
    arithmetic in UTC and refuses to set TimeZone; with ICU loaded we set it to UTC.
    """
    import duckdb

    try:
        dbapi_connection.execute("SET TimeZone = 'UTC'")
    except duckdb.InvalidInputException:
        logger.debug("DuckDB without ICU: time zone arithmetic is UTC already")


class StagingConnector(SQLConnector):
    """Builds the engine for Oracle, a SQLAlchemy URL or the embedded DuckDB file."""

    def __init__(self, config: dict | None = None, sqlalchemy_url: str | None = None) -> None:
        super().__init__(config=config, sqlalchemy_url=sqlalchemy_url)
        self.dialect_name = self.config.get("dry_run_dialect") or dialect_name_for(self.config)
        self.dialect: Dialect = dialect_for(self.dialect_name)
        self._engine_instance: sa.Engine | None = None

    @property
    def dry_run(self) -> bool:
        return bool(self.config.get("dry_run_dialect"))

    def get_sqlalchemy_url(self, config: dict[str, t.Any]) -> str:
        name = dialect_name_for(config)
        if name == "oracle":
            return "oracle+oracledb://"
        if name == "duckdb":
            return f"duckdb:///{self.database_path(config)}"
        return normalized_url(config["sqlalchemy_url"]).render_as_string(hide_password=False)

    @staticmethod
    def database_path(config: t.Mapping[str, t.Any]) -> Path:
        path = Path(config.get("database_path") or DEFAULT_DATABASE_PATH).expanduser()
        return path if path.is_absolute() else Path.cwd() / path

    def create_engine(self) -> sa.Engine:
        if self.dialect_name == "oracle" and not self.config.get("sqlalchemy_url"):
            # Thin mode: no Instant Client. Secrets go to the driver, never into a URL string.
            return sa.create_engine(
                "oracle+oracledb://",
                connect_args=oracle_connect_params(self.config),
                pool_pre_ping=False,
            )
        if self.dialect_name == "duckdb":
            path = self.database_path(self.config)
            path.parent.mkdir(parents=True, exist_ok=True)
            # DuckDB's buffer cache otherwise grows towards 80% of RAM with the table size;
            # a fixed limit keeps the target's memory flat (DuckDB spills to disk beyond it).
            config = {"memory_limit": DUCKDB_MEMORY_LIMIT}
            engine = sa.create_engine(f"duckdb:///{path}", connect_args={"config": config})
            sa.event.listen(engine, "connect", _duckdb_utc)
            return engine
        return sa.create_engine(normalized_url(self.config["sqlalchemy_url"]))

    @property
    def engine(self) -> sa.Engine:
        if self._engine_instance is None:
            self._engine_instance = self.create_engine()
        return self._engine_instance

    def open_session(self) -> Session | DryRunSession:
        if self.dry_run:
            return DryRunSession(self.dialect)
        return Session(self.engine.connect(), self.dialect)

    def dispose(self) -> None:
        if self._engine_instance is not None:
            self._engine_instance.dispose()
            self._engine_instance = None

    # -- DDL ------------------------------------------------------------------------------
    def ensure_schema(self, session: Session | DryRunSession, schema: str | None) -> None:
        if not schema or self.dialect_name == "oracle":
            return  # an Oracle schema is a user: the DBA creates it
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.lower()}")
        session.commit()

    def ensure_table(
        self,
        session: Session | DryRunSession,
        spec: TableSpec,
        *,
        table: str | None = None,
        create_sql: str | None = None,
        columns: list[Column] | None = None,
    ) -> None:
        """Create the table, or add missing columns and widen strings; one reflection."""
        table = table or spec.name
        columns = columns or spec.columns
        existing = session.reflect(table, spec.schema)
        if existing is None:
            session.execute(create_sql or self.dialect.create_table_sql(spec))
            session.commit()
            if isinstance(session, DryRunSession):
                session.register_table(spec, table, columns)
            return
        for column in columns:
            current = existing.get(column.name)
            if current is None:
                logger.info("Adding column %s to %s", column.name, spec.qualified(table))
                session.execute(self.dialect.add_column_sql(spec, column, table))
            else:
                self._evolve_column(session, spec, table, column, current)
        session.commit()
        if isinstance(session, DryRunSession):
            session.register_table(spec, table, columns)

    def _evolve_column(
        self,
        session: Session | DryRunSession,
        spec: TableSpec,
        table: str,
        column: Column,
        current: t.Any,
    ) -> None:
        if isinstance(current, ColumnType):
            current_kind, current_length = current.kind, current.length
        else:
            current_kind = kind_of_reflected(current)
            current_length = getattr(current, "length", None)
        wanted = column.type.kind
        if current_kind is None or current_kind == wanted:
            if (
                wanted is Kind.STRING
                and self.dialect_name == "oracle"
                and current_length is not None
                and (column.type.length or 4000) > current_length
            ):
                if (column.type.length or 4000) > 4000:
                    msg = (
                        f"{spec.qualified(table)}.{column.name}: VARCHAR2({current_length}) "
                        "cannot become CLOB in place; widen it by hand (add, copy, drop, rename)"
                    )
                    raise SchemaEvolutionError(msg)
                session.execute(self.dialect.widen_column_sql(spec, column, table))
            return
        if current_kind is Kind.STRING or current_kind is Kind.JSON:
            return  # text holds any value (converters render it)
        if current_kind is Kind.NUMBER and wanted is Kind.INTEGER:
            return
        if current_kind is Kind.INTEGER and wanted is Kind.NUMBER and self.dialect_name != "oracle":
            session.execute(self.dialect.widen_column_sql(spec, column, table))
            return
        msg = (
            f"{spec.qualified(table)}.{column.name}: existing column holds {current_kind.value}, "
            f"the stream {spec.stream!r} now sends {wanted.value}; change the column by hand "
            "or load into a new table_prefix"
        )
        raise SchemaEvolutionError(msg)
