"""ETL_CONTROL / ETL_STREAM_LOG / ETL_REJECTS, written on their own connection.

Ledger rows are committed independently of the data transaction, so a rolled-back load still
leaves its FAILED rows behind.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field

from target_oracle_staging.tables import Column, TableSpec
from target_oracle_staging.types import ColumnType, Kind

ERROR_TEXT_LIMIT = 4000
RECORD_JSON_LIMIT = 1_000_000  # > 4000: CLOB on Oracle, TEXT/VARCHAR elsewhere


def _col(name: str, kind: Kind, length: int | None = None, *, key: bool = False) -> Column:
    return Column(name, ColumnType(kind, length=length), nullable=not key)


def ledger_specs(schema: str | None) -> list[TableSpec]:
    ident = Kind.STRING
    control = [
        _col("RUN_ID", ident, 36, key=True),
        _col("SOURCE_NAME", ident, 128),
        _col("MELTANO_RUN_ID", ident, 64),
        _col("STARTED_AT", Kind.DATETIME),
        _col("ENDED_AT", Kind.DATETIME),
        _col("STATUS", ident, 16),
        _col("RECORDS_RECEIVED", Kind.INTEGER),
        _col("RECORDS_LOADED", Kind.INTEGER),
        _col("RECORDS_REJECTED", Kind.INTEGER),
        _col("ERROR_TEXT", ident, ERROR_TEXT_LIMIT),
    ]
    stream_log = [
        _col("RUN_ID", ident, 36, key=True),
        _col("STREAM_NAME", ident, 256, key=True),
        _col("TABLE_NAME", ident, 128),
        _col("LOAD_METHOD", ident, 16),
        _col("STARTED_AT", Kind.DATETIME),
        _col("ENDED_AT", Kind.DATETIME),
        _col("DURATION_SECONDS", Kind.NUMBER),
        _col("RECORDS_RECEIVED", Kind.INTEGER),
        _col("RECORDS_INSERTED", Kind.INTEGER),
        _col("RECORDS_UPDATED", Kind.INTEGER),
        _col("RECORDS_DELETED", Kind.INTEGER),
        _col("RECORDS_REJECTED", Kind.INTEGER),
        _col("STATUS", ident, 16),
        _col("ERROR_TEXT", ident, ERROR_TEXT_LIMIT),
    ]
    rejects = [
        _col("RUN_ID", ident, 36),
        _col("STREAM_NAME", ident, 256),
        _col("TABLE_NAME", ident, 128),
        _col("RECORD_KEY", ident, 1000),
        _col("ERROR_CODE", ident, 64),
        _col("ERROR_MESSAGE", ident, ERROR_TEXT_LIMIT),
        # Text, not JSON: a rejected record may hold what a JSON column refuses (\u0000).
        _col("RECORD_JSON", ident, RECORD_JSON_LIMIT),
        _col("SOURCE_LOCATION", ident, 1000),
        _col("REJECTED_AT", Kind.DATETIME),
    ]
    return [
        TableSpec("ledger", "ETL_CONTROL", control, ["RUN_ID"], "upsert", schema),
        TableSpec(
            "ledger", "ETL_STREAM_LOG", stream_log, ["RUN_ID", "STREAM_NAME"], "upsert", schema
        ),
        TableSpec("ledger", "ETL_REJECTS", rejects, [], "append-only", schema),
    ]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def clip(text: str | None, limit: int = ERROR_TEXT_LIMIT) -> str | None:
    return None if text is None else text[:limit]


@dataclass
class StreamStats:
    stream: str
    table: str
    load_method: str
    started_at: dt.datetime = field(default_factory=_now)
    received: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: int = 0
    duplicates: int = 0
    status: str = "RUNNING"
    error: str | None = None

    @property
    def loaded(self) -> int:
        return self.received - self.rejected


@dataclass
class Reject:
    stream: str
    table: str
    record_key: str | None
    code: str
    message: str
    record_json: str | None
    source_location: str | None


class Ledger:
    """Writes the run's ledger rows; every write is its own committed transaction."""

    def __init__(self, session: t.Any, connector: t.Any, schema: str | None) -> None:
        self.session = session
        self.connector = connector
        self.specs = {s.name: s for s in ledger_specs(schema)}

    def table(self, name: str) -> str:
        return self.specs[name].qualified()

    def ensure_tables(self) -> None:
        for spec in self.specs.values():
            self.connector.ensure_table(self.session, spec)

    def start_run(self, run_id: str, source: str | None, meltano_run_id: str | None) -> None:
        self.session.execute(
            f"INSERT INTO {self.table('ETL_CONTROL')} (run_id, source_name, meltano_run_id, "
            "started_at, status, records_received, records_loaded, records_rejected) "
            "VALUES (:run_id, :source, :meltano_run_id, :started_at, 'RUNNING', 0, 0, 0)",
            {
                "run_id": run_id,
                "source": source,
                "meltano_run_id": meltano_run_id,
                "started_at": _now(),
            },
        )
        self.session.commit()

    def end_run(
        self, run_id: str, status: str, stats: list[StreamStats], error: str | None
    ) -> None:
        received = sum(s.received for s in stats)
        rejected = sum(s.rejected for s in stats)
        self.session.execute(
            f"UPDATE {self.table('ETL_CONTROL')} SET ended_at = :ended_at, status = :status, "
            "records_received = :received, records_loaded = :loaded, "
            "records_rejected = :rejected, error_text = :error WHERE run_id = :run_id",
            {
                "ended_at": _now(),
                "status": status,
                "received": received,
                "loaded": received - rejected,
                "rejected": rejected,
                "error": clip(error),
                "run_id": run_id,
            },
        )
        self.session.commit()

    def start_stream(self, run_id: str, stats: StreamStats) -> None:
        self.session.execute(
            f"INSERT INTO {self.table('ETL_STREAM_LOG')} (run_id, stream_name, table_name, "
            "load_method, started_at, records_received, records_inserted, records_updated, "
            "records_deleted, records_rejected, status) VALUES (:run_id, :stream, :table_name, "
            ":load_method, :started_at, 0, 0, 0, 0, 0, 'RUNNING')",
            {
                "run_id": run_id,
                "stream": stats.stream,
                "table_name": stats.table,
                "load_method": stats.load_method,
                "started_at": stats.started_at,
            },
        )
        self.session.commit()

    def update_stream(self, run_id: str, stats: StreamStats, *, final: bool = False) -> None:
        ended = _now() if final else None
        duration = (ended - stats.started_at).total_seconds() if ended else None
        self.session.execute(
            f"UPDATE {self.table('ETL_STREAM_LOG')} SET records_received = :received, "
            "records_inserted = :inserted, records_updated = :updated, "
            "records_deleted = :deleted, records_rejected = :rejected, status = :status, "
            "error_text = :error, ended_at = :ended_at, duration_seconds = :duration "
            "WHERE run_id = :run_id AND stream_name = :stream",
            {
                "received": stats.received,
                "inserted": stats.inserted,
                "updated": stats.updated,
                "deleted": stats.deleted,
                "rejected": stats.rejected,
                "status": stats.status,
                "error": clip(stats.error),
                "ended_at": ended,
                "duration": duration,
                "run_id": run_id,
                "stream": stats.stream,
            },
        )
        self.session.commit()

    def write_rejects(self, run_id: str, rejects: list[Reject]) -> None:
        if not rejects:
            return
        now = _now()
        self.session.execute_many(
            f"INSERT INTO {self.table('ETL_REJECTS')} (run_id, stream_name, table_name, "
            "record_key, error_code, error_message, record_json, source_location, rejected_at) "
            "VALUES (:run_id, :stream, :table_name, :record_key, :code, :message, "
            ":record_json, :source_location, :rejected_at)",
            [
                {
                    "run_id": run_id,
                    "stream": r.stream,
                    "table_name": r.table,
                    "record_key": clip(r.record_key, 1000),
                    "code": clip(r.code, 64),
                    "message": clip(r.message),
                    "record_json": r.record_json,
                    "source_location": clip(r.source_location, 1000),
                    "rejected_at": now,
                }
                for r in rejects
            ],
        )
        self.session.commit()
