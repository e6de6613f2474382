"""DuckDB (the embedded default): records as NDJSON read by DuckDB's JSON reader, MERGE."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import typing as t

import msgspec

from target_oracle_staging.dialects.base import Column, Dialect, RowError
from target_oracle_staging.tables import LOAD_SEQ, TableSpec
from target_oracle_staging.types import ColumnType, Kind

RECORD_SEQ_KEY = "__target_oracle_staging_seq"
DUCKDB_MEMORY_LIMIT = "256MB"


class DuckDBDialect(Dialect):
    """DuckDB takes the records as they arrived: NDJSON parsed by DuckDB's JSON reader.

    Measured on 1M records: converting in Python and writing CSV cost more than everything
    DuckDB does; handing DuckDB the decoded records (one msgspec encode per record) and letting
    its reader convert the types is several times faster. Values DuckDB cannot convert fail
    the statement and are isolated like any other refused row.
    """

    name = "duckdb"
    raw_records = True
    changes_keys_in_place = False  # DuckDB 2.0: no ALTER TABLE … DROP CONSTRAINT

    def column_sql(self, column_type: ColumnType) -> str:
        kind = column_type.kind
        if kind is Kind.INTEGER:
            # NUMBER(38) holds 38 digits; BIGINT only 18.
            return f"DECIMAL({column_type.precision or 38},0)" if self.parity else "BIGINT"
        if kind is Kind.NUMBER:
            if column_type.scale is not None:
                return f"DECIMAL({column_type.precision or 38},{column_type.scale})"
            return "DOUBLE"  # DuckDB has no unbounded exact decimal (README: known limits)
        return {
            Kind.STRING: "VARCHAR",  # lengths are checked by the target (DuckDB ignores them)
            Kind.DATETIME: "TIMESTAMP",
            Kind.DATE: "DATE",
            Kind.TIME: "TIME",
            Kind.BOOLEAN: "BOOLEAN",
            Kind.JSON: "JSON",
        }[kind]

    def column_types(
        self, connection: t.Any, inspector: t.Any, table: str, schema: str | None
    ) -> list[tuple[str, t.Any, bool]]:
        """From duckdb_columns(): duckdb_engine's inspector asks its PostgreSQL catalog views
        (~85 ms a table, every table of every run). The types are the ones the inspector
        reports for the same columns; a type outside that list takes the inspector's path."""
        import sqlalchemy as sa

        rows = connection.execute(
            sa.text(
                "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                "WHERE table_name = :t AND schema_name = coalesce(:s, current_schema()) "
                "AND database_name = current_database() ORDER BY column_index"
            ),
            {"t": table.lower(), "s": schema},
        ).all()
        types = [_inspector_type(data_type) for _, data_type, _ in rows]
        if not rows or any(sql_type is None for sql_type in types):
            return super().column_types(connection, inspector, table, schema)
        return [(row[0], sql_type, bool(row[2])) for row, sql_type in zip(rows, types, strict=True)]

    def primary_key_columns(
        self, connection: t.Any, inspector: t.Any, table: str, schema: str | None
    ) -> list[str]:
        # duckdb_engine's inspector runs PostgreSQL catalog queries DuckDB cannot answer.
        import sqlalchemy as sa

        row = connection.execute(
            sa.text(
                "SELECT constraint_column_names FROM duckdb_constraints() "
                "WHERE constraint_type = 'PRIMARY KEY' AND table_name = :t "
                "AND schema_name = coalesce(:s, current_schema())"
            ),
            {"t": table.lower(), "s": schema},
        ).first()
        return list(row[0]) if row else []

    def key_equals(self, left: str, right: str, column: Column) -> str:
        name = self.ident(column.name)
        operator = "IS NOT DISTINCT FROM" if column.nullable else "="
        return f"{left}.{name} {operator} {right}.{name}"  # DuckDB hash-joins on both

    def upsert_statements(self, spec: TableSpec, source: str) -> list[str]:
        """UPDATE … FROM, then INSERT of the keys not yet there: DuckDB's MERGE runs out of
        memory on wide tables (measured: one row of 700+ text columns exceeds 256 MB), these
        two statements load 1,000 columns."""
        table, dedup = self.table_ref(spec), self.dedup_source_sql(spec, source)
        non_keys = [c for c in spec.columns if c.name not in spec.keys]
        names = [self.ident(c.name) for c in spec.columns]
        statements = []
        if non_keys:
            sets = ", ".join(f"{self.ident(c.name)} = s.{self.ident(c.name)}" for c in non_keys)
            statements.append(
                f"UPDATE {table} AS t SET {sets} FROM ({dedup}) s "
                f"WHERE {self.key_match(spec, 't', 's')}"
            )
        statements.append(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM ({dedup}) s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {self.key_match(spec, 't', 's')})"
        )
        return statements

    def execute_verbatim(self, driver_conn: t.Any, sql: str) -> None:
        # duckdb_engine's connection wrapper hands unknown attributes (execute) to DuckDB.
        driver_conn.execute(sql)

    def new_rows(self) -> NdjsonSpool:
        return NdjsonSpool()

    def release_rows(self, rows: t.Any) -> None:
        if isinstance(rows, NdjsonSpool):
            rows.close()

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: t.Sequence[bytes]
    ) -> list[RowError]:
        if isinstance(rows, NdjsonSpool):  # the whole batch: already a file
            driver_conn.execute(self.bulk_insert_sql(table, spec), [rows.path()])
            return []
        fd, path = tempfile.mkstemp(prefix="target_oracle_staging_", suffix=".ndjson")
        try:  # part of a batch (isolating a refused row)
            with os.fdopen(fd, "wb") as handle:
                handle.write(b"\n".join(rows))
            driver_conn.execute(self.bulk_insert_sql(table, spec), [path])
        finally:
            os.unlink(path)
        return []

    def bulk_insert_sql(self, table: str, spec: TableSpec) -> str:
        columns = self.load_columns(spec)
        keys = [_json_key(c) for c in columns]
        types = ", ".join(
            f"{_sql_string(key)}: {_sql_string(self._json_type(c))}"
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
        names = ", ".join(self.ident(c.name) for c in columns)
        return (
            f"INSERT INTO {table} ({names}) SELECT {select} FROM read_json(?, "
            f"format='newline_delimited', records=true, columns={{{types}}})"
        )

    def _json_type(self, column: Column) -> str:
        if column.type.kind is Kind.DATETIME:
            return "TIMESTAMPTZ"
        return self.column_sql(column.type)

    def is_row_error(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(
            exc,
            duckdb.ConversionException
            | duckdb.ConstraintException
            | duckdb.InvalidInputException
            | duckdb.OutOfRangeException,
        )

    @staticmethod
    def engine_config() -> dict[str, t.Any]:
        # DuckDB's buffer cache otherwise grows towards 80% of RAM with the table size; a
        # fixed limit keeps the target's memory flat (DuckDB spills to disk beyond it).
        return {"memory_limit": DUCKDB_MEMORY_LIMIT}


class NdjsonSpool:
    """A batch of encoded records (NDJSON_ENCODER), written to a temporary file as they arrive.

    The batch costs no memory however wide its records; DuckDB reads the file as it is. Reading
    rows back (`spool[i]`, `spool[a:b]`) is for isolating refused rows only.
    """

    def __init__(self) -> None:
        # Deleted when closed (after the load) or when the process ends.
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the batch
            prefix="target_oracle_staging_", suffix=".ndjson"
        )
        self._write = self._file.write
        self._count = 0

    def append(self, encoded: bytes) -> None:
        self._write(encoded + b"\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def path(self) -> str:
        self._file.flush()
        return self._file.name

    @t.overload
    def __getitem__(self, index: int) -> bytes: ...
    @t.overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        with open(self.path(), "rb") as handle:
            lines = handle.read().split(b"\n")[: self._count]
        return lines[index]

    def close(self) -> None:
        self._file.close()


def _json_key(column: Column) -> str:
    return RECORD_SEQ_KEY if column.name == LOAD_SEQ else (column.source or column.name)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _encode_default(value: t.Any) -> t.Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


NDJSON_ENCODER = msgspec.json.Encoder(enc_hook=_encode_default, decimal_format="number")


_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def _inspector_type(data_type: str) -> t.Any:
    """The SQLAlchemy type duckdb_engine's inspector reports for a DuckDB type (None: other)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql as pg  # as duckdb_engine's inspector has them

    if match := _DECIMAL.fullmatch(data_type):
        return sa.NUMERIC(precision=int(match[1]), scale=int(match[2]))
    simple = {
        "VARCHAR": sa.String,
        "JSON": sa.String,
        "DOUBLE": sa.FLOAT,
        "FLOAT": sa.FLOAT,
        "TIMESTAMP": pg.TIMESTAMP,
        "TIMESTAMP WITH TIME ZONE": sa.TIMESTAMP,
        "DATE": sa.DATE,
        "TIME": pg.TIME,
        "BOOLEAN": sa.BOOLEAN,
        "BIGINT": sa.BigInteger,
        "INTEGER": sa.Integer,
        "SMALLINT": sa.SmallInteger,
    }.get(data_type)
    return None if simple is None else simple()
