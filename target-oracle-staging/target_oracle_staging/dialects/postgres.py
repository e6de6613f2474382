"""PostgreSQL: COPY into a temporary load table, MERGE (PostgreSQL 15+)."""

from __future__ import annotations

import typing as t

from target_oracle_staging.dialects.base import Dialect, RowError
from target_oracle_staging.tables import TableSpec
from target_oracle_staging.types import ColumnType, Kind


class PostgresDialect(Dialect):
    name = "postgresql"
    identifier_limit = 63  # NAMEDATALEN - 1

    def column_sql(self, column_type: ColumnType) -> str:
        kind = column_type.kind
        if kind is Kind.STRING:
            if not self.parity:
                return "TEXT"
            oracle = self.model.type_for(column_type)
            return "TEXT" if oracle.is_lob else f"VARCHAR({oracle.length})"
        if kind is Kind.INTEGER:
            # NUMBER(38) holds 38 digits; BIGINT only 18.
            return f"NUMERIC({column_type.precision or 38},0)" if self.parity else "BIGINT"
        if kind is Kind.NUMBER:
            if column_type.scale is not None:
                return f"NUMERIC({column_type.precision or 38},{column_type.scale})"
            return "NUMERIC"
        return {
            Kind.DATETIME: "TIMESTAMP",
            Kind.DATE: "DATE",
            Kind.TIME: "TIME",
            Kind.BOOLEAN: "BOOLEAN",
            Kind.JSON: "JSONB",
        }[kind]

    def key_constraint_sql(self, spec: TableSpec) -> str:
        sql = super().key_constraint_sql(spec)
        if spec.key_is_primary:
            return sql
        # NULL equals NULL in the key, as in the target's null-safe MERGE (PostgreSQL 15+).
        return sql.replace(" UNIQUE (", " UNIQUE NULLS NOT DISTINCT (", 1)

    def bulk_load(
        self, driver_conn: t.Any, table: str, spec: TableSpec, rows: list[t.Any]
    ) -> list[RowError]:
        cols = ", ".join(self.ident(c.name) for c in self.load_columns(spec))
        with (
            driver_conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return []

    def is_row_error(self, exc: BaseException) -> bool:
        import psycopg

        return isinstance(exc, psycopg.errors.DataError | psycopg.errors.IntegrityError)
