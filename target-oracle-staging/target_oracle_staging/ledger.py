"""ETL_CONTROL / ETL_STREAM_LOG / ETL_REJECTS, written on their own connection.

Ledger rows are committed independently of the data transaction, so a rolled-back load still
leaves its FAILED rows behind. A process that dies leaves RUNNING rows; the next run of the
same source marks those that no live process owns as INTERRUPTED.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from target_oracle_staging.tables import Column, TableSpec
from target_oracle_staging.types import ColumnType, Kind

ERROR_TEXT_BYTES = 4000  # VARCHAR2(4000 CHAR) still holds at most 4,000 bytes (STANDARD)
RECORD_JSON_LIMIT = 1_000_000  # > 4000: CLOB on Oracle, TEXT/VARCHAR elsewhere
# A RUNNING row of another host whose heartbeat is older than this is taken as interrupted.
DEFAULT_STALE_MINUTES = 60

RUNNING, SUCCESS, FAILED = "RUNNING", "SUCCESS", "FAILED"
INCOMPLETE, INTERRUPTED = "INCOMPLETE", "INTERRUPTED"


def _col(name: str, kind: Kind, length: int | None = None, *, key: bool = False) -> Column:
    return Column(name, ColumnType(kind, length=length), nullable=not key)


def ledger_specs(schema: str | None) -> list[TableSpec]:
    ident = Kind.STRING
    control = [
        _col("RUN_ID", ident, 36, key=True),
        _col("SOURCE_NAME", ident, 128),
        _col("MELTANO_RUN_ID", ident, 64),
        _col("STATE_ID", ident, 512),
        _col("STARTED_AT", Kind.DATETIME),
        _col("ENDED_AT", Kind.DATETIME),
        _col("STATUS", ident, 16),
        _col("SOURCE_COMPLETE", ident, 1),
        _col("RECORDS_RECEIVED", Kind.INTEGER),
        _col("RECORDS_LOADED", Kind.INTEGER),
        _col("RECORDS_REJECTED", Kind.INTEGER),
        _col("HOST_NAME", ident, 255),
        _col("PROCESS_ID", Kind.INTEGER),
        _col("HEARTBEAT_AT", Kind.DATETIME),
        _col("ERROR_TEXT", ident, ERROR_TEXT_BYTES),
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
        _col("ERROR_TEXT", ident, ERROR_TEXT_BYTES),
    ]
    rejects = [
        _col("RUN_ID", ident, 36),
        _col("STREAM_NAME", ident, 256),
        _col("TABLE_NAME", ident, 128),
        _col("RECORD_KEY", ident, 1000),
        _col("ERROR_CODE", ident, 64),
        _col("ERROR_MESSAGE", ident, ERROR_TEXT_BYTES),
        _col("SOURCE_LOCATION", ident, 1000),
        _col("REJECTED_AT", Kind.DATETIME),
        # Text, not JSON: a rejected record may hold what a JSON column refuses (\u0000).
        # Last: a LOB bind must follow every other bind (ORA-24816).
        _col("RECORD_JSON", ident, RECORD_JSON_LIMIT),
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


def clip(text: str | None, limit: int = ERROR_TEXT_BYTES) -> str | None:
    """Cut text to `limit` bytes of UTF-8 on a character boundary (the column's byte limit)."""
    if text is None:
        return None
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    for back in range(4):  # a UTF-8 character is at most 4 bytes: step back to its start
        try:
            return data[: limit - back].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return data[: limit - 4].decode("utf-8", errors="replace")  # unreachable for UTF-8


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
    status: str = RUNNING
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


@dataclass(frozen=True)
class RunIdentity:
    """Who runs: ids that join the ledger to Meltano / the orchestrator, and the process."""

    source: str | None
    meltano_run_id: str | None
    state_id: str | None
    host: str
    pid: int

    @classmethod
    def from_environment(cls, source: str | None) -> RunIdentity:
        return cls(
            source=source,
            meltano_run_id=os.environ.get("MELTANO_RUN_ID") or None,
            state_id=os.environ.get("MELTANO_STATE_ID") or meltano_state_id(os.environ),
            host=socket.gethostname(),
            pid=os.getpid(),
        )


def meltano_state_id(env: t.Mapping[str, str]) -> str | None:
    """The state id `meltano run` uses, `<environment>:<extractor>-to-<loader>[:<suffix>]`:
    Meltano 4.4 does not pass it to plugins, but it passes its parts."""
    environment = env.get("MELTANO_ENVIRONMENT")
    extractor, loader = env.get("MELTANO_EXTRACTOR_NAME"), env.get("MELTANO_LOADER_NAME")
    if not (environment and extractor and loader):
        return None
    suffix = env.get("MELTANO_RUN_STATE_ID_SUFFIX")
    return f"{environment}:{extractor}-to-{loader}" + (f":{suffix}" if suffix else "")


def process_alive(pid: int) -> bool:
    """A process with this id runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    return True


class Ledger:
    """Writes the run's ledger rows; every write is its own committed transaction."""

    def __init__(self, session: t.Any, connector: t.Any, schema: str | None) -> None:
        self.session = session
        self.connector = connector
        self.dialect = connector.dialect
        self.specs = {s.name: s for s in ledger_specs(schema)}

    def table(self, name: str) -> str:
        return self.dialect.table_ref(self.specs[name])

    def ensure_tables(self) -> None:
        for spec in self.specs.values():
            self.connector.ensure_table(self.session, spec)

    def start_run(self, run_id: str, identity: RunIdentity) -> None:
        now = _now()
        self.session.execute(
            f"INSERT INTO {self.table('ETL_CONTROL')} (run_id, source_name, meltano_run_id, "
            "state_id, started_at, status, records_received, records_loaded, records_rejected, "
            "host_name, process_id, heartbeat_at) VALUES (:run_id, :source, :meltano_run_id, "
            ":state_id, :started_at, 'RUNNING', 0, 0, 0, :host, :pid, :heartbeat)",
            {
                "run_id": run_id,
                "source": identity.source,
                "meltano_run_id": identity.meltano_run_id,
                "state_id": identity.state_id,
                "started_at": now,
                "host": identity.host,
                "pid": identity.pid,
                "heartbeat": now,
            },
        )
        self.session.commit()

    def mark_interrupted(
        self, run_id: str, identity: RunIdentity, stale_minutes: float = DEFAULT_STALE_MINUTES
    ) -> list[str]:
        """Older RUNNING runs of the same source that no live process owns -> INTERRUPTED."""
        control = self.table("ETL_CONTROL")
        source_match = "source_name = :source" if identity.source else "source_name IS NULL"
        rows = self.session.rows(
            f"SELECT run_id, host_name, process_id, heartbeat_at, started_at FROM {control} "
            f"WHERE status = 'RUNNING' AND run_id <> :run_id AND {source_match}",
            {"run_id": run_id, "source": identity.source},
        )
        now = _now()
        stale_before = now - dt.timedelta(minutes=stale_minutes)
        ghosts = []
        for other, host, pid, heartbeat, started in rows:
            if host == identity.host and pid is not None:
                dead = not process_alive(int(pid))
            else:  # another machine: only a heartbeat that stopped long ago tells
                dead = (heartbeat or started) is not None and (heartbeat or started) < stale_before
            if dead:
                ghosts.append(other)
        for ghost in ghosts:
            error = (
                f"INTERRUPTED: its process ended without finishing; noticed at "
                f"{now.isoformat(timespec='seconds')}Z by run {run_id}"
            )
            for table in ("ETL_CONTROL", "ETL_STREAM_LOG"):
                self.session.execute(
                    f"UPDATE {self.table(table)} SET status = 'INTERRUPTED', ended_at = :now, "
                    "error_text = :error WHERE run_id = :run_id AND status = 'RUNNING'",
                    {"now": now, "error": clip(error), "run_id": ghost},
                )
        if ghosts:
            self.session.commit()
        return ghosts

    def heartbeat(self, run_id: str) -> None:
        self.session.execute(
            f"UPDATE {self.table('ETL_CONTROL')} SET heartbeat_at = :now WHERE run_id = :run_id",
            {"now": _now(), "run_id": run_id},
        )
        self.session.commit()

    def end_run(
        self,
        run_id: str,
        status: str,
        stats: list[StreamStats],
        error: str | None,
        *,
        source_complete: bool | None = None,
    ) -> None:
        received = sum(s.received for s in stats)
        rejected = sum(s.rejected for s in stats)
        now = _now()
        self.session.execute(
            f"UPDATE {self.table('ETL_CONTROL')} SET ended_at = :ended_at, status = :status, "
            "records_received = :received, records_loaded = :loaded, "
            "records_rejected = :rejected, source_complete = :complete, "
            "heartbeat_at = :ended_at, error_text = :error WHERE run_id = :run_id",
            {
                "ended_at": now,
                "status": status,
                "received": received,
                "loaded": received - rejected,
                "rejected": rejected,
                "complete": None if source_complete is None else "Y" if source_complete else "N",
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
            "record_key, error_code, error_message, source_location, rejected_at, record_json) "
            "VALUES (:run_id, :stream, :table_name, :record_key, :code, :message, "
            ":source_location, :rejected_at, :record_json)",
            [
                {
                    "run_id": run_id,
                    "stream": r.stream,
                    "table_name": r.table,
                    "record_key": clip(r.record_key, 1000),
                    "code": clip(r.code, 64),
                    "message": clip(r.message),
                    "source_location": clip(r.source_location, 1000),
                    "rejected_at": now,
                    "record_json": r.record_json,
                }
                for r in rejects
            ],
        )
        self.session.commit()
