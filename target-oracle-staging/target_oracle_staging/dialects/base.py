"""What every database shares; each subclass owns what differs (one class per database).

SQL is generated as text from validated identifiers (never from data); values always travel
as bind parameters or through the driver's bulk interface.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import sqlalchemy as sa

from target_oracle_staging.oracle_model import OracleModel
from target_oracle_staging.tables import LOAD_SEQ, Column, TableSpec
from target_oracle_staging.types import UNBOUNDED_LENGTH, ColumnType, Kind


@dataclass(frozen=True)
class RowError:
    """A row the database refused during a bulk load."""

    index: int  # position in the rows passed to bulk_load
    code: str
    message: str


@dataclass(frozen=True)
class ReflectedColumn:
    """An existing column: the logical type it can hold (None: unknown) and nullability."""

    type: ColumnType | None
    nullable: bool
    sql: str  # the type as the database reports it, for messages


def constant_param(column: str) -> str:
    return f"k_{column.lower()}"


class Dialect:
    """SQL text shared by all databases; subclasses override what differs."""

    name = "ansi"
    identifier_limit = 128  # the database's own limit (bytes)
    raw_records = False  # True: the bulk path takes encoded records, not converted rows
    isolates_by_bisection = True  # a refused row fails the whole statement: split the batch
    creates_schemas = True
    transactional_ddl = True
    load_table_clears_on_commit = False  # True: a global temporary table (ON COMMIT DELETE ROWS)
    changes_keys_in_place = True  # ALTER TABLE … DROP CONSTRAINT / ADD CONSTRAINT
    loads_in_background = True  # a batch loads on a worker thread while the next is read

    def __init__(self, model: OracleModel, *, parity: bool = True) -> None:
        self.model = model
        self.parity = parity

    # -- names ----------------------------------------------------------------------------
    @property
    def identifier_max_bytes(self) -> int:
        """One rule for every database with parity on, so dev, ci and prod share names."""
        if self.parity:
            return min(self.model.portable_identifier_max_bytes(), self.identifier_limit)
        return self.identifier_limit

    def ident(self, name: str) -> str:
        """An unquoted identifier as this database is given it (folded case)."""
        return name.lower()

    def table_ref(self, spec: TableSpec, table: str | None = None) -> str:
        name = self.ident(table or spec.name)
        return f"{self.ident(spec.schema)}.{name}" if spec.schema else name

    def load_table_ref(self, spec: TableSpec) -> str:
        return self.ident(spec.load_table)

    # -- types ----------------------------------------------------------------------------
    def column_sql(self, column_type: ColumnType) -> str:
        raise NotImplementedError

    def storage_type(self, reflected: t.Any) -> ColumnType | None:
        """The logical type an existing column holds, from its reflected SQLAlchemy type."""
        return storage_type_from_sqlalchemy(reflected)

    def column_types(
        self, connection: sa.Connection, inspector: t.Any, table: str, schema: str | None
    ) -> list[tuple[str, t.Any, bool]]:
        """(name, SQLAlchemy type, nullable) of each column of an existing table."""
        return [
            (c["name"], c["type"], bool(c.get("nullable", True)))
            for c in inspector.get_columns(table.lower(), schema=schema)
        ]

    def primary_key_columns(
        self, connection: sa.Connection, inspector: t.Any, table: str, schema: str | None
    ) -> list[str]:
        pk = inspector.get_pk_constraint(table.lower(), schema=schema)
        return list(pk.get("constrained_columns") or [])

    # -- DDL ------------------------------------------------------------------------------
    def _column_defs(self, columns: t.Sequence[Column], *, nullability: bool = True) -> list[str]:
        defs = []
        for c in columns:
            not_null = " NOT NULL" if nullability and not c.nullable else ""
            defs.append(f"{self.ident(c.name)} {self.column_sql(c.type)}{not_null}")
        return defs

    def key_constraint_sql(self, spec: TableSpec) -> str:
        keys = ", ".join(self.ident(k) for k in spec.keys)
        kind = "PRIMARY KEY" if spec.key_is_primary else "UNIQUE"
        return f"CONSTRAINT {self.ident(spec.constraint_name)} {kind} ({keys})"

    def create_table_sql(self, spec: TableSpec) -> str:
        items = self._column_defs(spec.columns)
        if spec.has_key_constraint:
            items.append(self.key_constraint_sql(spec))
        body = ",\n\t".join(items)
        return f"CREATE TABLE {self.table_ref(spec)} (\n\t{body}\n)"

    def load_columns(self, spec: TableSpec) -> list[Column]:
        """Columns of the load/swap table in bind order: the bulk columns plus arrival order."""
        seq = Column(LOAD_SEQ, ColumnType(Kind.INTEGER), nullable=False)
        return [*(Column(c.name, c.type, c.source) for c in spec.bulk_columns), seq]

    def _load_table_body(self, spec: TableSpec) -> str:
        return ",\n\t".join(self._column_defs(self.load_columns(spec)))

    def create_load_table_sql(self, spec: TableSpec) -> str:
        body = self._load_table_body(spec)
        return f"CREATE TEMPORARY TABLE {self.load_table_ref(spec)} (\n\t{body}\n)"

    def create_swap_table_sql(self, spec: TableSpec) -> str:
        ref = self.table_ref(spec, spec.swap_table)
        return f"CREATE TABLE {ref} (\n\t{self._load_table_body(spec)}\n)"

    def drop_table_sql(self, ref: str) -> str:
        return f"DROP TABLE IF EXISTS {ref}"

    def create_schema_sql(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.ident(schema)}"

    def add_column_sql(self, ref: str, column: Column) -> str:
        return f"ALTER TABLE {ref} ADD {self.ident(column.name)} {self.column_sql(column.type)}"

    def alter_column_type_sql(self, ref: str, column: Column) -> str:
        return (
            f"ALTER TABLE {ref} ALTER COLUMN {self.ident(column.name)} "
            f"TYPE {self.column_sql(column.type)}"
        )

    def drop_not_null_sql(self, ref: str, column: str) -> str:
        return f"ALTER TABLE {ref} ALTER COLUMN {self.ident(column)} DROP NOT NULL"

    def drop_constraint_sql(self, ref: str, name: str) -> str:
        return f"ALTER TABLE {ref} DROP CONSTRAINT {self.ident(name)}"

    # -- DML ------------------------------------------------------------------------------
    def select_list(self, spec: TableSpec) -> str:
        """Target columns from a load table; batch constants come from bind parameters."""
        items = []
        for c in spec.columns:
            if c in spec.constant_columns:
                param, sql_type = constant_param(c.name), self.column_sql(c.type)
                items.append(f"CAST(:{param} AS {sql_type}) AS {self.ident(c.name)}")
            else:
                items.append(self.ident(c.name))
        return ", ".join(items)

    def key_equals(self, left: str, right: str, column: Column) -> str:
        """Key equality that treats NULL as equal to NULL, in a form hash joins can use.

        COALESCE with any sentinel plus equal null flags: a real value equal to the sentinel
        still differs from NULL by its flag.
        """
        name = self.ident(column.name)
        if not column.nullable:
            return f"{left}.{name} = {right}.{name}"
        sentinel = self.null_sentinel(column.type)
        flag = "CASE WHEN {}.{} IS NULL THEN 1 ELSE 0 END"
        return (
            f"COALESCE({left}.{name}, {sentinel}) = COALESCE({right}.{name}, {sentinel}) "
            f"AND {flag.format(left, name)} = {flag.format(right, name)}"
        )

    def null_sentinel(self, column_type: ColumnType) -> str:
        kind = column_type.kind
        if kind in (Kind.INTEGER, Kind.NUMBER):
            return "0"
        if kind is Kind.BOOLEAN:
            return "FALSE"
        if kind is Kind.DATE:
            return "DATE '0001-01-01'"
        if kind is Kind.DATETIME:
            return "TIMESTAMP '0001-01-01 00:00:00'"
        return "'~'"

    def key_match(self, spec: TableSpec, left: str, right: str) -> str:
        return " AND ".join(self.key_equals(left, right, c) for c in spec.key_columns)

    def dedup_source_sql(self, spec: TableSpec, source: str) -> str:
        """The rows of `source`, keeping only the last arrival per key (NULLs group together)."""
        cols = self.select_list(spec)
        if not spec.keys:
            return f"SELECT {cols} FROM {source}"
        partition = ", ".join(self.ident(k) for k in spec.keys)
        seq = self.ident(LOAD_SEQ)
        return (
            f"SELECT {cols} FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY {partition} "
            f"ORDER BY l.{seq} DESC) AS ld__rn FROM {source} l) d WHERE d.ld__rn = 1"
        )

    def merge_sql(self, spec: TableSpec, source: str) -> str:
        non_keys = [c for c in spec.columns if c.name not in spec.keys]
        all_cols = [self.ident(c.name) for c in spec.columns]
        sql = (
            f"MERGE INTO {self.table_ref(spec)} t USING ({self.dedup_source_sql(spec, source)}) s "
            f"ON ({self.key_match(spec, 't', 's')})"
        )
        if non_keys:
            sets = ", ".join(f"{self.ident(c.name)} = s.{self.ident(c.name)}" for c in non_keys)
            sql += f" WHEN MATCHED THEN UPDATE SET {sets}"
        values = ", ".join(f"s.{c}" for c in all_cols)
        return f"{sql} WHEN NOT MATCHED THEN INSERT ({', '.join(all_cols)}) VALUES ({values})"

    def upsert_statements(self, spec: TableSpec, source: str) -> list[str]:
        """What applies a load table to its table: one MERGE where the database does it well."""
        return [self.merge_sql(spec, source)]

    def count_matched_sql(self, spec: TableSpec, source: str) -> str:
        return (
            f"SELECT COUNT(*) FROM {self.table_ref(spec)} t "
            f"WHERE EXISTS (SELECT 1 FROM {source} l WHERE {self.key_match(spec, 'l', 't')})"
        )

    def count_missing_keys_sql(self, spec: TableSpec, source: str) -> str:
        """Rows of the table whose key is not in `source` (what an overwrite would remove)."""
        return (
            f"SELECT COUNT(*) FROM {self.table_ref(spec)} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {source} l WHERE {self.key_match(spec, 'l', 't')})"
        )

    def count_distinct_keys_sql(self, spec: TableSpec, source: str) -> str:
        keys = ", ".join(self.ident(k) for k in spec.keys)
        return f"SELECT COUNT(*) FROM (SELECT {keys} FROM {source} GROUP BY {keys}) k"

    def count_rows_sql(self, ref: str, where: str = "") -> str:
        return f"SELECT COUNT(*) FROM {ref}{f' WHERE {where}' if where else ''}"

    def insert_select_sql(self, spec: TableSpec, source: str, *, dedup: bool) -> str:
        cols = ", ".join(self.ident(c.name) for c in spec.columns)
        select = (
            self.dedup_source_sql(spec, source)
            if dedup and spec.keys
            else f"SELECT {self.select_list(spec)} FROM {source}"
        )
        return f"INSERT INTO {self.table_ref(spec)} ({cols}) {select}"

    def delete_all_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {self.table_ref(spec)}"

    def clear_load_table_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {self.load_table_ref(spec)}"

    @staticmethod
    def older_versions_condition() -> str:
        """Rows of an older version; rows loaded before versioning (NULL) count as older."""
        return "(sdc_table_version < :version OR sdc_table_version IS NULL)"

    def hard_delete_versions_sql(self, spec: TableSpec) -> str:
        return f"DELETE FROM {self.table_ref(spec)} WHERE {self.older_versions_condition()}"

    def soft_delete_versions_sql(self, spec: TableSpec) -> str:
        return (
            f"UPDATE {self.table_ref(spec)} SET sdc_deleted_at = :deleted_at "
            f"WHERE {self.older_versions_condition()} AND sdc_deleted_at IS NULL"
        )

    def count_older_versions_sql(self, spec: TableSpec, *, soft: bool) -> str:
        live = " AND sdc_deleted_at IS NULL" if soft else ""
        return self.count_rows_sql(self.table_ref(spec), self.older_versions_condition() + live)

    def count_live_rows_sql(self, spec: TableSpec, *, soft: bool) -> str:
        return self.count_rows_sql(self.table_ref(spec), "sdc_deleted_at IS NULL" if soft else "")

    def procedure_call_sql(self, procedure: str) -> str:
        return f"CALL {procedure}()"

    def check_privileges(self, session: t.Any, schema: str | None) -> None:
        """Fail before loading when the login cannot create, alter and load the tables."""
        return  # DuckDB and PostgreSQL say so on the first statement, in one clear line

    # -- execution ------------------------------------------------------------------------
    def driver_connection(self, connection: sa.Connection) -> t.Any:
        """The DB-API connection under a SQLAlchemy connection (its transaction begun)."""
        if not connection.in_transaction():
            connection.begin()  # so SQLAlchemy's commit()/rollback() reach the driver work
        return connection.connection.driver_connection

    def execute(self, connection: sa.Connection, sql: str, params: dict | None) -> int:
        result = connection.execute(sa.text(sql), params or {})
        return result.rowcount if result.rowcount is not None else -1

    def execute_many(self, connection: sa.Connection, sql: str, params: list[dict]) -> None:
        connection.execute(sa.text(sql), params)

    def execute_verbatim(self, driver_conn: t.Any, sql: str) -> None:
        """Run user SQL exactly as written (no bind parsing of `:name`, no `%` escapes)."""
        cursor = driver_conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[t.Any]
    ) -> list[RowError]:
        raise NotImplementedError

    def new_rows(self) -> t.Any:
        """An empty batch: what the sink appends rows to and bulk_load takes."""
        return []

    def release_rows(self, rows: t.Any) -> None:
        """The batch is loaded (or failed): free what it holds."""

    @staticmethod
    def is_already_exists(exc: BaseException) -> bool:
        """The CREATE lost a race: the object exists (PostgreSQL DuplicateTable or its pg_type
        twin, Oracle ORA-00955, DuckDB's catalog error)."""
        text = str(exc)
        return (
            "already exists" in text or "ORA-00955" in text or "pg_type_typname_nsp_index" in text
        )

    def is_row_error(self, exc: BaseException) -> bool:
        """True for errors caused by the values of a row, not by the database or connection."""
        return False

    def bulk_insert_sql(self, table: str, spec: TableSpec) -> str | None:
        """The statement the bulk path runs, where it is SQL (the dry run records it)."""
        return None


def storage_type_from_sqlalchemy(sql_type: t.Any) -> ColumnType | None:  # noqa: PLR0911, PLR0912
    """The logical type an existing column can hold, judged from its reflected type."""
    name = type(sql_type).__name__.upper()
    if isinstance(sql_type, sa.types.NullType):
        return None
    length = getattr(sql_type, "length", None)
    if "CLOB" in name or "TEXT" in name:
        return ColumnType(Kind.STRING, length=UNBOUNDED_LENGTH)
    if "CHAR" in name or name == "STRING":
        return ColumnType(Kind.STRING, length=length)
    if "JSON" in name:
        return ColumnType(Kind.JSON)
    if "TIMESTAMP" in name or "DATETIME" in name:
        return ColumnType(Kind.DATETIME)
    if name == "DATE":
        return ColumnType(Kind.DATE)
    if name == "TIME":
        return ColumnType(Kind.TIME)
    if "BOOL" in name:
        return ColumnType(Kind.BOOLEAN)
    if "INT" in name:
        return ColumnType(Kind.INTEGER, precision=_INT_DIGITS.get(name))
    if "NUMBER" in name or "NUMERIC" in name or "DECIMAL" in name:
        scale = getattr(sql_type, "scale", None)
        precision = getattr(sql_type, "precision", None)
        if name == "NUMBER" and precision == 1 and not scale:
            return ColumnType(Kind.BOOLEAN)
        if scale == 0 and precision:
            return ColumnType(Kind.INTEGER, precision=precision)
        return ColumnType(Kind.NUMBER, precision=precision, scale=scale)
    if "DOUBLE" in name or "FLOAT" in name or "REAL" in name:
        return ColumnType(Kind.NUMBER)
    return None


_INT_DIGITS = {"SMALLINT": 4, "INTEGER": 9, "BIGINT": 18, "HUGEINT": 38}
