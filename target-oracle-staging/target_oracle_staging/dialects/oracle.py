"""Oracle (python-oracledb thin mode): array DML into a global temporary table, then MERGE.

Types, limits and value rules come from the Oracle model (`oracle_model`); this class turns
them into SQL text and driver calls.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa

from target_oracle_staging.dialects.base import Column, Dialect, RowError
from target_oracle_staging.tables import TableSpec
from target_oracle_staging.types import ColumnType, Kind

# python-oracledb refuses executemany(batcherrors=True) batches with more errors than this.
BATCH_ERRORS_LIMIT = 65_535
LONG_BIND_BYTES = 4000  # a string bind over this many bytes travels as LONG


class OracleDialect(Dialect):
    name = "oracle"
    isolates_by_bisection = False  # batcherrors name each refused row
    creates_schemas = False  # an Oracle schema is a user: the DBA creates it
    transactional_ddl = False  # DDL commits the open transaction
    load_table_clears_on_commit = True
    # No Oracle server here to measure or prove the overlap against: batches load in line.
    loads_in_background = False

    @property
    def identifier_limit(self) -> int:  # type: ignore[override]
        return self.model.identifier_max_bytes

    def ident(self, name: str) -> str:
        return name.upper()  # as Oracle's dictionary shows unquoted names

    def load_table_ref(self, spec: TableSpec) -> str:
        return self.table_ref(spec, spec.load_table)

    # -- types ----------------------------------------------------------------------------
    def column_sql(self, column_type: ColumnType) -> str:
        return self.model.type_for(column_type).sql

    def storage_type(self, reflected: t.Any) -> ColumnType | None:
        name = type(reflected).__name__.upper()
        if name == "INTEGER":  # NUMBER(*,0)
            return ColumnType(Kind.INTEGER, precision=38)
        if name == "DATE":  # Oracle DATE; SQLAlchemy reflects it as a date-time type
            return ColumnType(Kind.DATE)
        return super().storage_type(reflected)

    # -- DDL ------------------------------------------------------------------------------
    def create_load_table_sql(self, spec: TableSpec) -> str:
        # A global temporary table created once: rows vanish at commit, DDL stays approvable.
        ref = self.load_table_ref(spec)
        return (
            f"CREATE GLOBAL TEMPORARY TABLE {ref} (\n\t{self._load_table_body(spec)}\n) "
            "ON COMMIT DELETE ROWS"
        )

    def drop_table_sql(self, ref: str) -> str:
        return f"DROP TABLE {ref} PURGE"  # callers check that it exists (no IF EXISTS)

    def add_column_sql(self, ref: str, column: Column) -> str:
        return f"ALTER TABLE {ref} ADD ({self.ident(column.name)} {self.column_sql(column.type)})"

    def alter_column_type_sql(self, ref: str, column: Column) -> str:
        name, sql_type = self.ident(column.name), self.column_sql(column.type)
        return f"ALTER TABLE {ref} MODIFY ({name} {sql_type})"

    def drop_not_null_sql(self, ref: str, column: str) -> str:
        return f"ALTER TABLE {ref} MODIFY ({self.ident(column)} NULL)"

    def null_sentinel(self, column_type: ColumnType) -> str:
        if column_type.kind is Kind.BOOLEAN:
            return "0"  # NUMBER(1)
        return super().null_sentinel(column_type)  # '~': '' would be NULL on Oracle

    def procedure_call_sql(self, procedure: str) -> str:
        return f"BEGIN {procedure}; END;"

    # -- start-up checks --------------------------------------------------------------------
    def check_privileges(self, session: t.Any, schema: str | None) -> None:
        """The privileges loading needs, from SESSION_PRIVS (and, on 23ai, the schema
        privileges of SESSION_SCHEMA_PRIVS), checked before any DDL: otherwise the first
        CREATE or INSERT fails with ORA-01031 after the run has started."""
        user = session.scalar("SELECT USER FROM DUAL")
        if not isinstance(user, str):
            return  # a dry run without a database: nothing to ask
        target = (schema or user).upper()
        privileges = {
            str(r[0]).upper() for r in session.rows("SELECT privilege FROM session_privs")
        }
        if target == user.upper():
            needed: list[tuple[str, ...]] = [("CREATE TABLE", "CREATE ANY TABLE")]
        else:
            schema_privileges = self._schema_privileges(session, target)
            privileges |= schema_privileges
            needed = [
                (f"{verb} ANY TABLE",)
                for verb in ("CREATE", "ALTER", "DROP", "SELECT", "INSERT", "UPDATE", "DELETE")
            ]
        missing = [options[-1] for options in needed if not privileges & set(options)]
        if missing:
            msg = (
                f"Oracle user {user} cannot load schema {target}: missing system privilege(s) "
                f"{', '.join(missing)} (ORA-01031 on the first load otherwise); grant them, or "
                "load into the user's own schema"
            )
            raise PermissionError(msg)

    @staticmethod
    def _schema_privileges(session: t.Any, schema: str) -> set[str]:
        """23ai schema privileges (GRANT CREATE ANY TABLE ON SCHEMA x); none before 23ai."""
        try:
            rows = session.rows(
                "SELECT privilege FROM session_schema_privs WHERE schema = :schema",
                {"schema": schema},
            )
        except Exception as exc:  # ORA-00942 before 23ai: the view does not exist
            if "ORA-00942" not in str(exc):
                raise
            return set()
        return {str(r[0]).upper() for r in rows}

    # -- the bind plan ----------------------------------------------------------------------
    def load_columns(self, spec: TableSpec) -> list[Column]:
        """Bind order: short binds, then binds over 4,000 bytes, then LOBs (ORA-24816)."""
        columns = super().load_columns(spec)

        def rank(column: Column) -> int:
            oracle_type = self.model.type_for(column.type)
            if oracle_type.is_lob:
                return 2
            return 1 if self.model.bind_is_long(oracle_type) else 0

        return sorted(columns, key=rank)  # stable: table order within each group

    def input_sizes(self, spec: TableSpec) -> list[t.Any]:
        """setinputsizes() arguments, one per load column in bind order."""
        import oracledb

        sizes: list[t.Any] = []
        for column in self.load_columns(spec):
            oracle_type = self.model.type_for(column.type)
            if oracle_type.name == "TIMESTAMP":
                sizes.append(oracledb.DB_TYPE_TIMESTAMP)
            elif oracle_type.name == "DATE":
                sizes.append(oracledb.DB_TYPE_DATE)
            elif oracle_type.is_lob:
                sizes.append(oracledb.DB_TYPE_LONG)
            elif oracle_type.name == "VARCHAR2":
                sizes.append(oracle_type.length)
            else:
                sizes.append(oracledb.DB_TYPE_NUMBER)
        return sizes

    @staticmethod
    def bind_types(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Typed binds for statement parameters: date-times keep their fractional seconds
        (python-oracledb binds an untyped datetime as DATE), long text binds as LONG."""
        import oracledb

        types: dict[str, t.Any] = {}
        for name, value in params.items():
            if isinstance(value, dt.datetime):
                types[name] = oracledb.DB_TYPE_TIMESTAMP
            elif isinstance(value, str) and len(value.encode("utf-8")) > LONG_BIND_BYTES:
                types[name] = oracledb.DB_TYPE_LONG
        return types

    # -- execution ------------------------------------------------------------------------
    def execute(self, connection: sa.Connection, sql: str, params: dict | None) -> int:
        cursor = self.driver_connection(connection).cursor()
        try:
            params = params or {}
            if types := self.bind_types(params):
                cursor.setinputsizes(**types)
            cursor.execute(sql, params)
            return cursor.rowcount if cursor.rowcount is not None else -1
        finally:
            cursor.close()

    def execute_many(self, connection: sa.Connection, sql: str, params: list[dict]) -> None:
        if not params:
            return
        cursor = self.driver_connection(connection).cursor()
        try:
            types: dict[str, t.Any] = {}
            for row in params:  # the widest type any row needs
                types.update(self.bind_types(row))
            if types:
                cursor.setinputsizes(**types)
            cursor.executemany(sql, params)
        finally:
            cursor.close()

    def bulk_insert_sql(self, table: str, spec: TableSpec) -> str:
        cols = self.load_columns(spec)
        names = ", ".join(self.ident(c.name) for c in cols)
        # Positional binding: with rows given as sequences the names only need to be unique.
        binds = ", ".join(f":v{i}" for i in range(1, len(cols) + 1))
        return f"INSERT INTO {table} ({names}) VALUES ({binds})"

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[t.Any]
    ) -> list[RowError]:
        sql, sizes = self.bulk_insert_sql(table, spec), self.input_sizes(spec)
        errors: list[RowError] = []
        cursor = driver_conn.cursor()
        try:
            # One executemany per batch; batches beyond the batch-error limit are split so a
            # batch of bad rows is still reported row by row.
            for start in range(0, len(rows), BATCH_ERRORS_LIMIT):
                cursor.setinputsizes(*sizes)
                cursor.executemany(sql, rows[start : start + BATCH_ERRORS_LIMIT], batcherrors=True)
                errors.extend(
                    RowError(
                        index=start + int(e.offset),
                        code=f"ORA-{int(e.code):05d}",
                        message=e.message,
                    )
                    for e in cursor.getbatcherrors() or []
                )
        finally:
            cursor.close()
        return sorted(errors, key=lambda e: e.index)  # batch errors come back in any order
