"""The ledger tables, reflected: rows as dicts keyed by lower-case column name.

A column the ledger does not have (older target versions) reads as None, so every caller can
ask for the columns of CONTRACTS C4 without checking the version that wrote the ledger.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa

from target_oracle_staging.ops.db import Database

CONTROL = "etl_control"
STREAM_LOG = "etl_stream_log"
REJECTS = "etl_rejects"
ALERTS = "etl_alerts"

CONTROL_COLUMNS = (
    "run_id", "source_name", "meltano_run_id", "state_id", "started_at", "ended_at", "status",
    "source_complete", "records_received", "records_loaded", "records_rejected", "host_name",
    "process_id", "heartbeat_at", "error_text",
)  # fmt: skip
STREAM_COLUMNS = (
    "run_id", "stream_name", "table_name", "load_method", "started_at", "ended_at",
    "duration_seconds", "records_received", "records_inserted", "records_updated",
    "records_deleted", "records_rejected", "status", "error_text",
)  # fmt: skip
REJECT_COLUMNS = (
    "run_id", "stream_name", "table_name", "record_key", "error_code", "error_message",
    "source_location", "rejected_at", "record_json",
)  # fmt: skip

Row = dict[str, t.Any]


def reflect_columns(
    engine: sa.Engine, metadata: sa.MetaData, name: str, schema: str | None
) -> sa.Table | None:
    """A table with its columns only (no constraints: duckdb_engine cannot reflect those)."""
    inspector = sa.inspect(engine)
    if not inspector.has_table(name, schema=schema):
        return None
    columns = [sa.Column(c["name"], c["type"]) for c in inspector.get_columns(name, schema=schema)]
    return sa.Table(name, metadata, *columns, schema=schema)


class LedgerMissingError(RuntimeError):
    """The schema has no ETL_CONTROL: the target never ran against this database."""


class LedgerReader:
    """Reads ETL_CONTROL / ETL_STREAM_LOG / ETL_REJECTS (and ETL_ALERTS) of one schema."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.metadata = sa.MetaData(schema=database.schema)
        self._tables: dict[str, sa.Table | None] = {}

    def table(self, name: str) -> sa.Table | None:
        """The reflected table, or None when it does not exist."""
        if name not in self._tables:
            self._tables[name] = reflect_columns(
                self.database.engine, self.metadata, name, self.database.schema
            )
        return self._tables[name]

    def require(self, name: str) -> sa.Table:
        table = self.table(name)
        if table is None:
            where = (
                f"schema {self.database.schema}" if self.database.schema else "the default schema"
            )
            msg = (
                f"no {name.upper()} table in {where} of {self.database.shown}: has the target "
                "loaded into this database (check default_target_schema)?"
            )
            raise LedgerMissingError(msg)
        return table

    def forget(self, name: str) -> None:
        """Reflect `name` again next time (after it was created)."""
        table = self._tables.pop(name, None)
        if table is not None:
            self.metadata.remove(table)

    @staticmethod
    def _rows(conn: sa.Connection, table: sa.Table, wanted: t.Sequence[str], query) -> list[Row]:
        present = [c for c in wanted if c in table.c]
        result = conn.execute(query.with_only_columns(*[table.c[c] for c in present]))
        return [{c: row._mapping.get(c) for c in wanted} for row in result]

    def runs(self, since: dt.datetime | None = None, run_ids: t.Sequence[str] = ()) -> list[Row]:
        """ETL_CONTROL rows started at or after `since` (or the given runs), oldest first."""
        table = self.require(CONTROL)
        query = sa.select(table)
        if run_ids:
            query = query.where(table.c.run_id.in_(list(run_ids)))
        elif since is not None:
            query = query.where(table.c.started_at >= since)
        query = query.order_by(table.c.started_at, table.c.run_id)
        with self.database.engine.connect() as conn:
            return self._rows(conn, table, CONTROL_COLUMNS, query)

    def streams(self, run_ids: t.Sequence[str] | None = None) -> list[Row]:
        """ETL_STREAM_LOG rows of the given runs (all runs when None)."""
        table = self.table(STREAM_LOG)
        if table is None:
            return []
        query = sa.select(table).order_by(table.c.started_at, table.c.stream_name)
        with self.database.engine.connect() as conn:
            if run_ids is None:
                return self._rows(conn, table, STREAM_COLUMNS, query)
            rows: list[Row] = []
            ids = list(run_ids)
            for start in range(0, len(ids), 500):  # Oracle: at most 1000 items in one IN list
                chunk = query.where(table.c.run_id.in_(ids[start : start + 500]))
                rows.extend(self._rows(conn, table, STREAM_COLUMNS, chunk))
            return rows

    def reject_summary(self, run_ids: t.Sequence[str]) -> list[Row]:
        """Rejects per run, stream and error code, with one example each."""
        table = self.table(REJECTS)
        if table is None or not run_ids:
            return []
        example_cols = [
            c for c in ("record_key", "error_message", "source_location") if c in table.c
        ]
        group = [table.c.run_id, table.c.stream_name, table.c.error_code]
        counts = (
            sa.select(*group, sa.func.count().label("rejects"))
            .where(table.c.run_id.in_(list(run_ids)[-500:]))
            .group_by(*group)
            .order_by(*group)
        )
        out: list[Row] = []
        with self.database.engine.connect() as conn:
            # fetched first: DuckDB drops a pending result when the same connection runs more
            for row in conn.execute(counts).all():
                example = conn.execute(
                    sa.select(*[table.c[c] for c in example_cols])
                    .where(table.c.run_id == row.run_id)
                    .where(table.c.stream_name == row.stream_name)
                    .where(
                        table.c.error_code == row.error_code
                        if row.error_code is not None
                        else table.c.error_code.is_(None)
                    )
                    .limit(1)
                ).first()
                item = dict(row._mapping)
                item.update(dict.fromkeys(("record_key", "error_message", "source_location")))
                if example is not None:
                    item.update(example._mapping)
                out.append(item)
        return out
