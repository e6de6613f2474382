"""One target run: run id, sessions, ledger, per-stream stats, overwrite swaps, rejects."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import typing as t
import uuid

from target_oracle_staging.connector import StagingConnector
from target_oracle_staging.dialects import constant_param
from target_oracle_staging.ledger import Ledger, StreamStats
from target_oracle_staging.tables import TableSpec, default_table_prefix, source_name_from_env

logger = logging.getLogger("target_oracle_staging")

SECRET_SETTINGS = ("password", "wallet_password", "sqlalchemy_url")


class TooManyRejectsError(RuntimeError):
    """More rows were rejected than `max_rejects` allows."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class RunContext:
    """State shared by every sink of one target process."""

    def __init__(self, config: t.Mapping[str, t.Any], connector: StagingConnector) -> None:
        self.config = config
        self.connector = connector
        self.run_id = str(uuid.uuid4())
        self.started_at = _utc_now()
        self.extraction_date = self.started_at
        self.batch_time = self.started_at
        self.sync_started_at: int | None = None
        self.line_source: t.Callable[[], int] | None = None
        self.source_name = config.get("source_name") or source_name_from_env(
            os.environ.get("MELTANO_EXTRACTOR_NAME")
        )
        prefix = config.get("table_prefix")
        self.table_prefix = prefix if prefix is not None else default_table_prefix(self.source_name)
        self.max_rejects = int(config.get("max_rejects") or 0)
        self.streams: dict[str, StreamStats] = {}
        self.overwrites: dict[str, TableSpec] = {}
        self.pending_versions: dict[str, tuple[t.Any, int]] = {}
        self._started = False
        self._session: t.Any = None
        self._ledger: Ledger | None = None
        self._secrets = [str(config[name]) for name in SECRET_SETTINGS if config.get(name)]

    # -- secrets -----------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Remove secret setting values (and URL passwords) from text bound for logs/ledger."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    @property
    def session(self) -> t.Any:
        if self._session is None:
            self._session = self.connector.open_session()
        return self._session

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            ledger_session = self.connector.open_session()
            if self.connector.dry_run:
                ledger_session = self.session  # one statement log for the whole dry run
            self._ledger = Ledger(
                ledger_session, self.connector, self.config.get("default_target_schema")
            )
        return self._ledger

    def ensure_started(self) -> None:
        if self._started:
            return
        self.connector.ensure_schema(self.session, self.config.get("default_target_schema"))
        self.ledger.ensure_tables()
        self.ledger.start_run(self.run_id, self.source_name, os.environ.get("MELTANO_RUN_ID"))
        self._started = True

    def stream_stats(self, spec: TableSpec) -> StreamStats:
        stats = self.streams.get(spec.stream)
        if stats is None:
            stats = StreamStats(stream=spec.stream, table=spec.name, load_method=spec.load_method)
            self.streams[spec.stream] = stats
            self.ledger.start_stream(self.run_id, stats)
        return stats

    def constants(self, spec: TableSpec) -> dict[str, t.Any]:
        """Bind values for the batch-constant columns of `spec`."""
        values = {
            "ETL_RUN_ID": self.run_id,
            "EXTRACTION_DATE": self.extraction_date,
            "SDC_RECEIVED_AT": self.batch_time,
            "SDC_BATCHED_AT": self.batch_time,
            "SDC_SYNC_STARTED_AT": self.sync_started_at,
        }
        return {constant_param(c.name): values[c.name] for c in spec.constant_columns}

    def current_line(self) -> int:
        """The input line being processed (set by the target's reader)."""
        return self.line_source() if self.line_source else 0

    def batch_time_value(self) -> dt.datetime:
        return _utc_now()

    # -- rejects -----------------------------------------------------------------------------
    def total_rejects(self) -> int:
        return sum(s.rejected for s in self.streams.values())

    def check_rejects(self) -> None:
        total = self.total_rejects()
        if total > self.max_rejects:
            msg = (
                f"{total} rows rejected, more than max_rejects={self.max_rejects}; see "
                f"ETL_REJECTS where RUN_ID = '{self.run_id}'"
            )
            raise TooManyRejectsError(msg)

    def is_row_error(self, exc: BaseException) -> bool:
        """True for errors caused by the values of a row, not by the database or connection."""
        name = self.connector.dialect_name
        if name == "postgresql":
            import psycopg

            return isinstance(exc, psycopg.errors.DataError | psycopg.errors.IntegrityError)
        if name == "duckdb":
            import duckdb

            return isinstance(
                exc,
                duckdb.ConversionException
                | duckdb.ConstraintException
                | duckdb.InvalidInputException
                | duckdb.OutOfRangeException,
            )
        return False

    # -- overwrite ---------------------------------------------------------------------------
    def prepare_overwrite(self, spec: TableSpec) -> None:
        """First sink of an overwrite stream: a fresh swap table that collects the whole run."""
        if spec.name in self.overwrites:
            self.overwrites[spec.name] = spec  # a schema change: keep the newest spec
            self.connector.ensure_table(
                self.session,
                spec,
                table=spec.swap_table,
                create_sql=self.connector.dialect.create_swap_table_sql(spec),
                columns=self.connector.dialect.load_columns(spec),
            )
            return
        session, dialect = self.session, self.connector.dialect
        if session.reflect(spec.swap_table, spec.schema) is not None:
            session.execute(dialect.drop_table_sql(spec.qualified(spec.swap_table)))
        session.execute(dialect.create_swap_table_sql(spec))
        session.commit()
        if hasattr(session, "register_table"):
            session.register_table(spec, spec.swap_table, dialect.load_columns(spec))
        self.connector.ensure_table(session, spec)
        self.overwrites[spec.name] = spec

    @property
    def finalization_pending(self) -> bool:
        """Overwrite swaps or version retirements still to run at the end of the input."""
        return bool(self.overwrites) or bool(self.pending_versions)

    def finish_versions(self) -> None:
        """Retire rows of older versions for every stream that activated a version."""
        for stream, (sink, version) in list(self.pending_versions.items()):
            sink.retire_old_versions(version)
            del self.pending_versions[stream]

    def finish_overwrites(self) -> None:
        """Replace each overwrite table's rows with the run's rows in one transaction."""
        session, dialect = self.session, self.connector.dialect
        for spec in list(self.overwrites.values()):
            self.connector.ensure_table(session, spec)
            source = spec.qualified(spec.swap_table)
            try:
                session.execute(dialect.delete_all_sql(spec))
                session.execute(
                    dialect.insert_select_sql(spec, source, dedup=True), self.constants(spec)
                )
                session.commit()
            except Exception:
                session.rollback()
                raise
            session.execute(dialect.drop_table_sql(source))
            session.commit()
            del self.overwrites[spec.name]

    def discard_overwrites(self) -> None:
        """After a failure: the previous tables stay as they were; drop the swap tables."""
        for spec in list(self.overwrites.values()):
            self._drop_swap_table(spec)
        self.overwrites.clear()

    def discard_overwrite(self, stream: str) -> None:
        """One stream's input was cut off: keep its previous table, drop its swap table."""
        for name, spec in list(self.overwrites.items()):
            if spec.stream == stream:
                self._drop_swap_table(spec)
                del self.overwrites[name]

    def _drop_swap_table(self, spec: TableSpec) -> None:
        try:
            self.session.rollback()
            self.session.execute(
                self.connector.dialect.drop_table_sql(spec.qualified(spec.swap_table))
            )
            self.session.commit()
        except Exception:  # the original failure matters more; say what was left behind
            logger.exception("Could not drop swap table %s", spec.swap_table)

    def close(self) -> None:
        """Release the connections (idempotent: called on success and on failure)."""
        sessions = [self._session, self._ledger.session if self._ledger else None]
        for session in {id(s): s for s in sessions if s is not None}.values():
            session.close()
        self._session = None
        self._ledger = None
        self.connector.dispose()
