"""Everything that differs between Oracle, PostgreSQL and DuckDB: SQL text and bulk paths.

SQL is generated as text from validated identifiers (never from data); values always travel
as bind parameters or through the driver's bulk interface.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import typing as t
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

from target_oracle_staging.tables import LOAD_SEQ, Column, TableSpec
from target_oracle_staging.types import ColumnType, Kind, RawType


@dataclass(frozen=True)
class RowError:
    """A row the database refused during a bulk load."""

    index: int  # position in the rows passed to bulk_load
    code: str
    message: str


def _ident(name: str) -> str:
    return name.lower()


def constant_param(column: str) -> str:
    return f"k_{column.lower()}"


class Dialect:
    """SQL text shared by all three databases; subclasses override what differs."""

    name = "ansi"
    null: t.Any = None  # how the bulk path wants a missing value
    raw_records = False  # True: the bulk path takes record dicts, not converted rows
    sa_dialect: sa.engine.Dialect

    # -- DDL ------------------------------------------------------------------------------
    def column_sql_type(self, column: Column) -> RawType:
        return RawType(column.type.sql(self.name))

    def _sa_table(
        self, spec: TableSpec, table: str, columns: list[Column], *, primary_key: bool
    ) -> sa.Table:
        sa_columns = [
            sa.Column(
                _ident(c.name),
                self.column_sql_type(c),
                nullable=c.nullable,
                primary_key=primary_key and c.name in spec.keys,
            )
            for c in columns
        ]
        return sa.Table(
            _ident(table),
            sa.MetaData(),
            *sa_columns,
            schema=spec.schema.lower() if spec.schema else None,
        )

    def create_table_sql(self, spec: TableSpec) -> str:
        table = self._sa_table(spec, spec.name, spec.columns, primary_key=spec.has_primary_key)
        return str(CreateTable(table).compile(dialect=self.sa_dialect)).strip()

    def load_columns(self, spec: TableSpec) -> list[Column]:
        """Columns of the load/swap table: the bulk columns plus the arrival order."""
        seq = Column(LOAD_SEQ, ColumnType(Kind.INTEGER), nullable=False)
        keys = set(spec.keys)
        columns = [
            Column(c.name, c.type, c.source, nullable=c.name not in keys) for c in spec.bulk_columns
        ]
        return [*columns, seq]

    def select_list(self, spec: TableSpec, prefix: str = "") -> str:
        """Target columns from a load table; batch constants come from bind parameters."""
        items = []
        for c in spec.columns:
            if c in spec.constant_columns:
                param, sql_type = constant_param(c.name), c.type.sql(self.name)
                items.append(f"CAST(:{param} AS {sql_type}) AS {_ident(c.name)}")
            else:
                items.append(f"{prefix}{_ident(c.name)}")
        return ", ".join(items)

    def load_column_list(self, spec: TableSpec) -> list[str]:
        return [c.name for c in self.load_columns(spec)]

    def _load_table_body(self, spec: TableSpec, table: str) -> str:
        sa_table = self._sa_table(spec, table, self.load_columns(spec), primary_key=False)
        create = str(CreateTable(sa_table).compile(dialect=self.sa_dialect)).strip()
        return create.split("(", 1)[1].rsplit(")", 1)[0].strip()

    def create_load_table_sql(self, spec: TableSpec) -> str:
        body = self._load_table_body(spec, spec.load_table)
        return f"CREATE TEMPORARY TABLE {_ident(spec.load_table)} (\n\t{body}\n)"

    def create_swap_table_sql(self, spec: TableSpec) -> str:
        body = self._load_table_body(spec, spec.swap_table)
        return f"CREATE TABLE {spec.qualified(spec.swap_table)} (\n\t{body}\n)"

    def drop_table_sql(self, qualified: str) -> str:
        return f"DROP TABLE IF EXISTS {qualified}"

    def load_table_ref(self, spec: TableSpec) -> str:
        return _ident(spec.load_table)

    def add_column_sql(self, spec: TableSpec, column: Column, table: str | None = None) -> str:
        sql_type = column.type.sql(self.name)
        return f"ALTER TABLE {spec.qualified(table)} ADD {_ident(column.name)} {sql_type}"

    def widen_column_sql(self, spec: TableSpec, column: Column, table: str | None = None) -> str:
        sql_type = column.type.sql(self.name)
        return (
            f"ALTER TABLE {spec.qualified(table)} ALTER COLUMN {_ident(column.name)} "
            f"TYPE {sql_type}"
        )

    # -- DML ------------------------------------------------------------------------------
    def dedup_source_sql(self, spec: TableSpec, source: str) -> str:
        """The rows of `source`, keeping only the last arrival per key."""
        cols = self.select_list(spec)
        if not spec.keys:
            return f"SELECT {cols} FROM {source}"
        partition = ", ".join(_ident(k) for k in spec.keys)
        return (
            f"SELECT {cols} FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY {partition} "
            f"ORDER BY l.{_ident(LOAD_SEQ)} DESC) AS ld__rn FROM {source} l) d "
            "WHERE d.ld__rn = 1"
        )

    def merge_sql(self, spec: TableSpec, source: str) -> str:
        on = " AND ".join(f"t.{_ident(k)} = s.{_ident(k)}" for k in spec.keys)
        non_keys = [c for c in spec.columns if c.name not in spec.keys]
        all_cols = [_ident(c.name) for c in spec.columns]
        sql = (
            f"MERGE INTO {spec.qualified()} t USING ({self.dedup_source_sql(spec, source)}) s "
            f"ON ({on})"
        )
        if non_keys:
            sets = ", ".join(f"{_ident(c.name)} = s.{_ident(c.name)}" for c in non_keys)
            sql += f" WHEN MATCHED THEN UPDATE SET {sets}"
        values = ", ".join(f"s.{c}" for c in all_cols)
        return f"{sql} WHEN NOT MATCHED THEN INSERT ({', '.join(all_cols)}) VALUES ({values})"

    def count_matched_sql(self, spec: TableSpec, source: str) -> str:
        on = " AND ".join(f"l.{_ident(k)} = t.{_ident(k)}" for k in spec.keys)
        return (
            f"SELECT COUNT(*) FROM {spec.qualified()} t "
            f"WHERE EXISTS (SELECT 1 FROM {source} l WHERE {on})"
        )

    def count_distinct_keys_sql(self, spec: TableSpec, source: str) -> str:
        keys = ", ".join(_ident(k) for k in spec.keys)
        return f"SELECT COUNT(*) FROM (SELECT {keys} FROM {source} GROUP BY {keys}) k"

    def insert_select_sql(self, spec: TableSpec, source: str, *, dedup: bool) -> str:
        cols = ", ".join(_ident(c.name) for c in spec.columns)
        select = (
            self.dedup_source_sql(spec, source)
            if dedup and spec.keys
            else f"SELECT {self.select_list(spec)} FROM {source}"
        )
        return f"INSERT INTO {spec.qualified()} ({cols}) {select}"

    def delete_all_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {spec.qualified()}"

    def clear_load_table_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {self.load_table_ref(spec)}"

    def hard_delete_versions_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {spec.qualified()} WHERE sdc_table_version < :version"

    def soft_delete_versions_sql(self, spec: TableSpec) -> str:
        return (
            f"UPDATE {spec.qualified()} SET sdc_deleted_at = :deleted_at "
            "WHERE sdc_table_version < :version AND sdc_deleted_at IS NULL"
        )

    def procedure_call_sql(self, procedure: str) -> str:
        return f"CALL {procedure}()"

    # -- bulk -----------------------------------------------------------------------------
    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[tuple]
    ) -> list[RowError]:
        raise NotImplementedError

    @property
    def isolates_by_bisection(self) -> bool:
        """True when a refused row fails the whole statement (we then split the batch)."""
        return True


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self) -> None:
        from sqlalchemy.dialects import postgresql

        self.sa_dialect = postgresql.psycopg.dialect()

    def create_load_table_sql(self, spec: TableSpec) -> str:
        body = self._load_table_body(spec, spec.load_table)
        return f"CREATE TEMPORARY TABLE {_ident(spec.load_table)} (\n\t{body}\n)"

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[tuple]
    ) -> list[RowError]:
        cols = ", ".join(_ident(c) for c in self.load_column_list(spec))
        with (
            driver_conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return []


class DuckDBDialect(Dialect):
    """DuckDB takes the records as they arrived: NDJSON parsed by DuckDB's JSON reader.

    Measured on 1M records: converting in Python and writing CSV cost more than everything
    DuckDB does; handing DuckDB the decoded records (one msgspec encode per record) and letting
    its reader convert the types is several times faster. Values DuckDB cannot convert fail
    the statement and are isolated like any other refused row.
    """

    name = "duckdb"
    raw_records = True

    def __init__(self) -> None:
        from duckdb_engine import Dialect as DuckDBSADialect

        self.sa_dialect = DuckDBSADialect()

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[bytes]
    ) -> list[RowError]:
        fd, path = tempfile.mkstemp(prefix="target_oracle_staging_", suffix=".ndjson")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(b"\n".join(rows))  # records encoded on arrival (NDJSON_ENCODER)
            driver_conn.execute(self.read_json_insert_sql(table, spec), [path])
        finally:
            os.unlink(path)
        return []

    def read_json_insert_sql(self, table: str, spec: TableSpec) -> str:
        columns = self.load_columns(spec)
        keys = [_json_key(c) for c in columns]
        types = ", ".join(
            f"{_sql_string(key)}: {_sql_string(_duckdb_json_type(c))}"
            for key, c in zip(keys, columns, strict=True)
        )
        # Date-times arrive as ISO text with offsets: read as TIMESTAMPTZ, store UTC. The
        # explicit timezone() keeps DuckDB from reading them straight into TIMESTAMP (which
        # would drop the offset).
        select = ", ".join(
            f"timezone('UTC', {_sql_identifier(key)})"
            if c.type.kind is Kind.DATETIME
            else _sql_identifier(key)
            for key, c in zip(keys, columns, strict=True)
        )
        names = ", ".join(_ident(c.name) for c in columns)
        return (
            f"INSERT INTO {table} ({names}) SELECT {select} FROM read_json(?, "
            f"format='newline_delimited', records=true, columns={{{types}}})"
        )


RECORD_SEQ_KEY = "__target_oracle_staging_seq"


def _json_key(column: Column) -> str:
    return RECORD_SEQ_KEY if column.name == LOAD_SEQ else (column.source or column.name)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _duckdb_json_type(column: Column) -> str:
    if column.type.kind is Kind.DATETIME:
        return "TIMESTAMPTZ"
    return column.type.sql("duckdb")


def _encode_default(value: t.Any) -> t.Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


NDJSON_ENCODER = msgspec.json.Encoder(enc_hook=_encode_default, decimal_format="number")


class OracleDialect(Dialect):
    name = "oracle"

    def __init__(self) -> None:
        from sqlalchemy.dialects import oracle

        self.sa_dialect = oracle.oracledb.dialect()

    def create_load_table_sql(self, spec: TableSpec) -> str:
        # A global temporary table created once: rows vanish at commit, DDL stays approvable.
        body = self._load_table_body(spec, spec.load_table)
        return (
            f"CREATE GLOBAL TEMPORARY TABLE {spec.qualified(spec.load_table)} (\n\t{body}\n) "
            "ON COMMIT DELETE ROWS"
        )

    def load_table_ref(self, spec: TableSpec) -> str:
        return spec.qualified(spec.load_table)

    def drop_table_sql(self, qualified: str) -> str:
        return f"DROP TABLE {qualified} PURGE"

    def widen_column_sql(self, spec: TableSpec, column: Column, table: str | None = None) -> str:
        sql_type = column.type.sql(self.name)
        return f"ALTER TABLE {spec.qualified(table)} MODIFY ({_ident(column.name)} {sql_type})"

    def hard_delete_versions_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {spec.qualified()} WHERE sdc_table_version < :version"

    def procedure_call_sql(self, procedure: str) -> str:
        return f"BEGIN {procedure}; END;"

    def input_sizes(self, spec: TableSpec) -> list[t.Any]:
        """setinputsizes() arguments: one per load column, in order."""
        import oracledb

        sizes: list[t.Any] = []
        for column in self.load_columns(spec):
            sql_type = column.type.sql(self.name)
            kind = column.type.kind
            if kind is Kind.DATETIME:
                sizes.append(oracledb.DB_TYPE_TIMESTAMP)
            elif kind is Kind.DATE:
                sizes.append(oracledb.DB_TYPE_DATE)
            elif sql_type == "CLOB":
                sizes.append(oracledb.DB_TYPE_LONG)
            elif kind in (Kind.STRING, Kind.TIME):
                sizes.append(column.type.length or 4000)
            else:
                sizes.append(oracledb.DB_TYPE_NUMBER)
        return sizes

    def insert_values_sql(self, table: str, spec: TableSpec) -> str:
        cols = self.load_column_list(spec)
        names = ", ".join(_ident(c) for c in cols)
        # Positional binding: with rows given as sequences the names only need to be unique.
        binds = ", ".join(f":v{i}" for i in range(1, len(cols) + 1))
        return f"INSERT INTO {table} ({names}) VALUES ({binds})"

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[tuple]
    ) -> list[RowError]:
        cursor = driver_conn.cursor()
        try:
            cursor.setinputsizes(*self.input_sizes(spec))
            cursor.executemany(self.insert_values_sql(table, spec), rows, batcherrors=True)
            errors = cursor.getbatcherrors() or []
        finally:
            cursor.close()
        # Batch errors come back in any order; each carries the offset of its row.
        return sorted(
            (
                RowError(index=int(e.offset), code=f"ORA-{int(e.code):05d}", message=e.message)
                for e in errors
            ),
            key=lambda e: e.index,
        )

    @property
    def isolates_by_bisection(self) -> bool:
        return False


def dialect_for(name: str) -> Dialect:
    if name == "oracle":
        return OracleDialect()
    if name == "postgresql":
        return PostgresDialect()
    if name == "duckdb":
        return DuckDBDialect()
    msg = f"unsupported database dialect {name!r} (supported: oracle, postgresql, duckdb)"
    raise ValueError(msg)
