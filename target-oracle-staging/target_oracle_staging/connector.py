"""Connections, sessions, reflection and DDL. The connector owns names, types and dialects."""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from singer_sdk.sql import SQLConnector

from target_oracle_staging.connection import (
    dialect_name_for,
    normalized_url,
    oracle_connect_params,
)
from target_oracle_staging.dialects import Dialect, ReflectedColumn, RowError, dialect_for
from target_oracle_staging.evolution import Action, SchemaEvolutionError, decide
from target_oracle_staging.names import derived_name
from target_oracle_staging.oracle_model import OracleModel, OracleSettings
from target_oracle_staging.settings import default, setting
from target_oracle_staging.tables import Column, TableSpec

__all__ = ["StagingConnector", "oracle_connect_params"]  # the latter: the connection module's

logger = logging.getLogger("target_oracle_staging")


@dataclass
class TableInfo:
    """An existing table as reflected: its columns (upper-case names) and primary key."""

    columns: dict[str, ReflectedColumn]
    primary_key: list[str] = field(default_factory=list)


class Session:
    """One database connection: statements, transactions, reflection and the bulk path."""

    def __init__(self, connection: sa.Connection, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect

    def execute(self, sql: str, params: dict | None = None) -> int:
        return self.dialect.execute(self.connection, sql, params)

    def execute_many(self, sql: str, params: list[dict]) -> None:
        self.dialect.execute_many(self.connection, sql, params)

    def execute_verbatim(self, sql: str) -> None:
        self.dialect.execute_verbatim(self.dialect.driver_connection(self.connection), sql)

    def scalar(self, sql: str, params: dict | None = None) -> t.Any:
        return self.connection.execute(sa.text(sql), params or {}).scalar()

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        return [tuple(r) for r in self.connection.execute(sa.text(sql), params or {})]

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def bulk_load(self, table: str, spec: TableSpec, rows: list[t.Any]) -> list[RowError]:
        driver_conn = self.dialect.driver_connection(self.connection)
        return self.dialect.bulk_load(driver_conn, table, spec, rows)

    def reflect(self, table: str, schema: str | None) -> TableInfo | None:
        """An existing table's columns, or None when it does not exist."""
        inspector = sa.inspect(self.connection)
        schema_name = schema.lower() if schema else None
        if not inspector.has_table(table.lower(), schema=schema_name):
            return None
        dialect = self.dialect
        columns = {
            name.upper(): ReflectedColumn(dialect.storage_type(sql_type), nullable, str(sql_type))
            for name, sql_type, nullable in dialect.column_types(
                self.connection, inspector, table, schema_name
            )
        }
        keys = self.dialect.primary_key_columns(self.connection, inspector, table, schema_name)
        return TableInfo(columns, [n.upper() for n in keys])

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class Statement:
    sql: str
    params: t.Any = None
    bind_types: t.Any = None  # what the dialect binds: {name: type} or [size per column]


@dataclass(frozen=True)
class Commit:
    pass


@dataclass(frozen=True)
class Rollback:
    pass


@dataclass
class DryRunSession:
    """Records every statement and transaction boundary instead of sending them.

    The transcript (statements, commits, rollbacks) is what the DDL review prints and what the
    offline Oracle gate checks.
    """

    dialect: Dialect
    transcript: list[Statement | Commit | Rollback] = field(default_factory=list)
    tables: dict[str, TableInfo] = field(default_factory=dict)
    # A driver connection (e.g. create_autospec(oracledb.Connection)) to run the dialect's
    # bulk path against instead of only recording its INSERT statement.
    driver_connection: t.Any = None
    # Rows for queries whose text contains a key (what a database would answer), else none.
    answers: dict[str, list[tuple]] = field(default_factory=dict)

    def _answer(self, sql: str) -> list[tuple] | None:
        return next((rows for key, rows in self.answers.items() if key in sql), None)

    def _record(self, sql: str, params: t.Any) -> None:
        bind_types = getattr(self.dialect, "bind_types", None)
        types = None
        if bind_types is not None and isinstance(params, dict):
            types = bind_types(params)
        elif bind_types is not None and isinstance(params, list):
            types = {}
            for row in params:
                types.update(bind_types(row))
        self.transcript.append(Statement(sql, params, types))

    def execute(self, sql: str, params: dict | None = None) -> int:
        self._record(sql, params)
        return 0

    def execute_many(self, sql: str, params: list[dict]) -> None:
        self._record(sql, params)

    def scalar(self, sql: str, params: dict | None = None) -> t.Any:
        self._record(sql, params)
        rows = self._answer(sql)
        return rows[0][0] if rows else 0

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        self._record(sql, params)
        return list(self._answer(sql) or [])

    def execute_verbatim(self, sql: str) -> None:
        self.transcript.append(Statement(sql))

    def commit(self) -> None:
        self.transcript.append(Commit())

    def rollback(self) -> None:
        self.transcript.append(Rollback())

    def bulk_load(self, table: str, spec: TableSpec, rows: list[t.Any]) -> list[RowError]:
        insert = self.dialect.bulk_insert_sql(table, spec)
        if insert is not None:
            sizes = getattr(self.dialect, "input_sizes", None)
            self.transcript.append(Statement(insert, None, sizes(spec) if sizes else None))
        if self.driver_connection is not None:
            return self.dialect.bulk_load(self.driver_connection, table, spec, rows)
        return []

    def reflect(self, table: str, schema: str | None) -> TableInfo | None:
        return self.tables.get(_key(schema, table))

    def register_table(
        self, schema: str | None, table: str, columns: list[Column], primary_key: list[str]
    ) -> None:
        self.tables[_key(schema, table)] = TableInfo(
            {
                c.name: ReflectedColumn(c.type, c.nullable, self.dialect.column_sql(c.type))
                for c in columns
            },
            list(primary_key),
        )

    def drop_table(self, schema: str | None, table: str) -> None:
        self.tables.pop(_key(schema, table), None)

    def close(self) -> None:
        return None


def _key(schema: str | None, table: str) -> str:
    return f"{schema}.{table}".lower() if schema else table.lower()


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
        self.model = OracleModel(OracleSettings.from_config(self.config))
        self.dialect: Dialect = dialect_for(
            self.dialect_name, self.model, parity=bool(setting(self.config, "oracle_parity"))
        )
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
        path = Path(config.get("database_path") or default("database_path")).expanduser()
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
            from target_oracle_staging.dialects.duckdb import DuckDBDialect

            path = self.database_path(self.config)
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                f"duckdb:///{path}", connect_args={"config": DuckDBDialect.engine_config()}
            )
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
        if not schema or not self.dialect.creates_schemas:
            return  # an Oracle schema is a user: the DBA creates it
        try:
            session.execute(self.dialect.create_schema_sql(schema))
            session.commit()
        except Exception as exc:  # IF NOT EXISTS still races on PostgreSQL's catalog
            session.rollback()
            if not self.dialect.is_already_exists(exc) and "pg_namespace" not in str(exc):
                raise

    def rehearse_on_oracle(self, spec: TableSpec) -> None:
        """With Oracle parity on DuckDB/PostgreSQL: the table's Oracle DDL must pass the Oracle
        gate, so a table prod would refuse fails in dev and ci too, with Oracle's code."""
        if self.dialect.name == "oracle" or not self.dialect.parity:
            return
        from target_oracle_staging.dialects.oracle import OracleDialect
        from target_oracle_staging.oracle_gate import OracleGate, OracleGateError

        oracle = OracleDialect(self.model, parity=True)
        violations = OracleGate(self.model).check_statement(oracle.create_table_sql(spec))
        if violations:
            raise OracleGateError(violations)

    def ensure_table(self, session: Session | DryRunSession, spec: TableSpec) -> TableSpec:
        """Create the table, or evolve it (one reflection): add missing columns, widen, relax
        NOT NULL. Returns the spec with each column as the database now holds it."""
        self.rehearse_on_oracle(spec)
        existing = session.reflect(spec.name, spec.schema)
        if existing is None:
            try:
                session.execute(self.dialect.create_table_sql(spec))
                session.commit()
            except Exception as exc:
                # Another run (a parallel partition) created it between our look and our CREATE.
                session.rollback()
                existing = session.reflect(spec.name, spec.schema)
                if existing is None or not self.dialect.is_already_exists(exc):
                    raise
                logger.info("%s was created by a concurrent run: using it", spec.name)
            else:
                if isinstance(session, DryRunSession):
                    session.register_table(spec.schema, spec.name, spec.columns, spec.keys)
                return spec
        key_changed = set(existing.primary_key) != set(spec.keys)
        if existing.primary_key and spec.has_key_constraint and key_changed:
            self._change_key(session, spec, existing)
        effective = self._evolve(session, spec, spec.name, existing, spec.columns)
        return spec.with_columns(effective)

    def _change_key(
        self, session: Session | DryRunSession, spec: TableSpec, existing: TableInfo
    ) -> None:
        """The stream's key changed: the old primary key goes, columns that left it may be
        null again, and the new key constraint is added (one commit; DDL commits anyway)."""
        ref = self.dialect.table_ref(spec)
        old, new = ", ".join(existing.primary_key), ", ".join(spec.keys) or "none"
        if not self.dialect.changes_keys_in_place:
            msg = (
                f"stream {spec.stream!r}: table {ref} has the primary key ({old}) but the stream's "
                f"key is now ({new}); {self.dialect.name} cannot change a primary key in place: "
                "recreate the table or load into a new table_prefix"
            )
            raise SchemaEvolutionError(msg)
        logger.info("Key of %s changes from (%s) to (%s)", ref, old, new)
        old_name = derived_name(spec.name, "PK", spec.identifier_max_bytes)
        session.execute(self.dialect.drop_constraint_sql(ref, old_name))
        nullable = {c.name for c in spec.columns if c.nullable}
        for column in existing.primary_key:
            current = existing.columns.get(column)
            if column in nullable and current is not None and not current.nullable:
                session.execute(self.dialect.drop_not_null_sql(ref, column))
                existing.columns[column] = replace(current, nullable=True)
        if spec.has_key_constraint:
            session.execute(f"ALTER TABLE {ref} ADD {self.dialect.key_constraint_sql(spec)}")
        session.commit()
        existing.primary_key = list(spec.keys) if spec.key_is_primary else []

    def ensure_helper_table(
        self, session: Session | DryRunSession, spec: TableSpec, table: str, create_sql: str
    ) -> None:
        """A load or swap table with exactly the spec's load columns (recreated if it differs)."""
        columns = self.dialect.load_columns(spec)
        existing = session.reflect(table, spec.schema)
        ref = self.dialect.table_ref(spec, table)
        if existing is not None:
            wanted = {c.name: c.type for c in columns}
            current = {name: col.type for name, col in existing.columns.items()}
            if wanted == current:
                return
            session.execute(self.dialect.drop_table_sql(ref))
        session.execute(create_sql)
        session.commit()
        if isinstance(session, DryRunSession):
            session.register_table(spec.schema, table, columns, [])

    def prepare_load_table(self, session: Session | DryRunSession, spec: TableSpec) -> None:
        """The load table of an upsert/append-only stream, empty and shaped like `spec`."""
        create = self.dialect.create_load_table_sql(spec)
        if self.dialect.load_table_clears_on_commit:  # a global temporary table, kept
            self.ensure_helper_table(session, spec, spec.load_table, create)
            return
        session.execute(self.dialect.drop_table_sql(self.dialect.load_table_ref(spec)))
        session.execute(create)
        session.commit()

    def _evolve(
        self,
        session: Session | DryRunSession,
        spec: TableSpec,
        table: str,
        existing: TableInfo,
        columns: list[Column],
    ) -> list[Column]:
        ref = self.dialect.table_ref(spec, table)
        where = f"stream {spec.stream!r}, table {ref}"
        effective: list[Column] = []
        changed = False
        for column in columns:
            current = existing.columns.get(column.name)
            if current is None:
                logger.info("Adding column %s to %s", column.name, ref)
                session.execute(self.dialect.add_column_sql(ref, replace(column, nullable=True)))
                effective.append(replace(column, nullable=True))
                changed = True
                continue
            decision = decide(self.dialect, current, column, where=where)
            if decision.action is Action.ALTER:
                logger.info("Widening %s.%s to %s", ref, column.name, decision.type)
                session.execute(
                    self.dialect.alter_column_type_sql(ref, replace(column, type=decision.type))
                )
                changed = True
            nullable = current.nullable
            if column.nullable and not current.nullable and column.name not in existing.primary_key:
                # No longer a key part (or a key part that may now be empty): relax NOT NULL,
                # or every row without a value would fail (ORA-01400).
                session.execute(self.dialect.drop_not_null_sql(ref, column.name))
                nullable, changed = True, True
            effective.append(replace(column, type=decision.type, nullable=nullable))
        if changed:
            session.commit()
        if isinstance(session, DryRunSession):
            session.register_table(spec.schema, table, effective, existing.primary_key)
        return effective
