"""One target run: run id, sessions, ledger, per-stream stats, overwrite swaps, guards, state."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import re
import sys
import typing as t
import uuid

from target_oracle_staging.connector import StagingConnector
from target_oracle_staging.dialects import constant_param
from target_oracle_staging.ledger import Ledger, RunIdentity, StreamStats
from target_oracle_staging.loader import BatchLoader
from target_oracle_staging.progress import Progress
from target_oracle_staging.settings import default, setting
from target_oracle_staging.tables import TableSpec, default_table_prefix, source_name_from_env

if t.TYPE_CHECKING:
    from target_oracle_staging.sink import StagingSink

logger = logging.getLogger("target_oracle_staging")

SECRET_SETTINGS = ("password", "wallet_password", "sqlalchemy_url")
SYNC_COMPLETED_KEY = "sync_completed"  # contract C2: our taps' last STATE carries it


class TooManyRejectsError(RuntimeError):
    """More rows were rejected than `max_rejects` allows."""


class MassDeleteError(RuntimeError):
    """A run would retire or overwrite away more of a table than `max_delete_share` allows."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def redact_urls(text: str) -> str:
    """URL passwords (`scheme://user:password@host`) replaced by ***."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


class StateKeeper:
    """STATE leaves the target only when every record received before it is committed.

    `buffered()` says whether any record is received but not yet handed to the database,
    `loading()` whether a batch is still on its way in. A STATE that arrives with nothing
    buffered is covered as soon as the batch loading then has committed.
    """

    def __init__(self, buffered: t.Callable[[], bool], loading: t.Callable[[], bool]) -> None:
        self._buffered = buffered
        self._loading = loading
        self.latest: dict | None = None
        self._after_load: dict | None = None  # covered once the batch in flight commits
        self._written: dict | None = None
        self.sync_completed: dict | None = None  # the marker of the latest STATE, if any
        self.blocked = False  # after a failure nothing more is written

    def offer(self, state: dict) -> None:
        self.latest = state
        marker = state.get(SYNC_COMPLETED_KEY) if isinstance(state, dict) else None
        self.sync_completed = marker if isinstance(marker, dict) else None
        if not self._buffered():
            self._after_load = state
        self.flush()

    def flush(self) -> None:
        if self.blocked or self._loading():
            return
        # Everything committed: the latest STATE; else the one that waited for the last batch.
        covered = self.latest if not self._buffered() else self._after_load
        self._after_load = None
        if covered is None or covered == self._written:
            return
        self._written = copy.deepcopy(covered)
        sys.stdout.write(json.dumps(covered) + "\n")
        sys.stdout.flush()


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
        self.identity = RunIdentity.from_environment(self.source_name)
        prefix = config.get("table_prefix")
        self.table_prefix = prefix if prefix is not None else default_table_prefix(self.source_name)
        self.max_rejects = int(config.get("max_rejects") or default("max_rejects"))
        share = setting(config, "max_delete_share")
        self.max_delete_share = float(share)
        if not 0 <= self.max_delete_share <= 1:
            msg = f"max_delete_share must be between 0 and 1, got {share!r}"
            raise ValueError(msg)
        self.streams: dict[str, StreamStats] = {}
        self.sinks: list[StagingSink] = []
        self.overwrites: dict[str, TableSpec] = {}
        self.pending_versions: dict[str, tuple[StagingSink, int]] = {}
        # One batch loads in the background while the next is read (not in a dry run: its
        # ledger shares the load session's transcript).
        self.loader = BatchLoader(
            enabled=connector.dialect.loads_in_background and not connector.dry_run
        )
        self.state = StateKeeper(self.buffered, lambda: self.loader.busy)
        self.progress = Progress(float(setting(config, "progress_interval_seconds")))
        self._started = False
        self._session: t.Any = None
        self._ledger: Ledger | None = None
        self._secrets = [str(config[name]) for name in SECRET_SETTINGS if config.get(name)]
        self._password_secrets = [
            str(config[name]) for name in SECRET_SETTINGS if config.get(name) and "url" not in name
        ]

    # -- secrets -----------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Remove secret setting values (and URL passwords) from text bound for logs/ledger."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_urls(text)

    def redact_passwords(self, text: str) -> str:
        """Passwords only: a URL stays readable with its password replaced (error lines)."""
        for secret in self._password_secrets:
            text = text.replace(secret, "***")
        return redact_urls(text)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    @property
    def dialect(self) -> t.Any:
        return self.connector.dialect

    @property
    def session(self) -> t.Any:
        """The load session; the batch in flight finishes first (it uses the session)."""
        self.loader.collect()
        if self._session is None:
            self._session = self.connector.open_session()
        return self._session

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            ledger_session = self.connector.open_session()
            if self.connector.dry_run:
                ledger_session = self.session  # one transcript for the whole dry run
            self._ledger = Ledger(
                ledger_session, self.connector, self.config.get("default_target_schema")
            )
        return self._ledger

    def ensure_started(self) -> None:
        if self._started:
            return
        self.dialect.check_privileges(self.session, self.config.get("default_target_schema"))
        self.connector.ensure_schema(self.session, self.config.get("default_target_schema"))
        self.ledger.ensure_tables()
        self.ledger.start_run(self.run_id, self.identity)
        stale_minutes = float(self.config.get("stale_run_minutes") or default("stale_run_minutes"))
        ghosts = self.ledger.mark_interrupted(self.run_id, self.identity, stale_minutes)
        for ghost in ghosts:
            logger.warning(
                "Run %s of %s never finished: marked INTERRUPTED", ghost, self.source_name
            )
        self._started = True

    def register_sink(self, sink: StagingSink) -> None:
        self.sinks.append(sink)

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

    def after_batch(self) -> None:
        """A batch committed: a new batch time, a heartbeat, and the STATE it covers."""
        self.batch_time = _utc_now()
        self.ledger.heartbeat(self.run_id)
        self.state.flush()
        self.progress.batch_done(self.streams.values())

    # -- state -------------------------------------------------------------------------------
    @property
    def finalization_pending(self) -> bool:
        """Overwrite swaps or version retirements still to run at the end of the input."""
        return bool(self.overwrites) or bool(self.pending_versions)

    def buffered(self) -> bool:
        """Records received but not yet handed to the database (or finalization to come)."""
        return any(s.current_size for s in self.sinks) or self.finalization_pending

    def finish_loading(self) -> None:
        """Collect the batch in flight: its counts, rejects and STATE (its error, if any)."""
        self.loader.collect()

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

    # -- the mass-delete guard -----------------------------------------------------------------
    def guard_removal(self, spec: TableSpec, *, removing: int, live: int, how: str) -> None:
        """Fail the stream when a run would remove more than max_delete_share of a table."""
        if live <= 0 or removing <= 0:
            return
        share = removing / live
        if share > self.max_delete_share:
            msg = (
                f"stream {spec.stream!r}: this run would {how} {removing} of the {live} rows of "
                f"{self.dialect.table_ref(spec)} ({share:.0%}), more than max_delete_share="
                f"{self.max_delete_share:g} allows; the table keeps its rows. If the source "
                "really dropped them, run again with max_delete_share set higher (1 allows all)"
            )
            raise MassDeleteError(msg)

    # -- overwrite ---------------------------------------------------------------------------
    def prepare_overwrite(self, spec: TableSpec) -> TableSpec:
        """First sink of an overwrite stream: a fresh swap table that collects the whole run."""
        session, dialect = self.session, self.dialect
        if spec.name in self.overwrites:
            self.overwrites[spec.name] = spec  # a schema change: keep the newest spec
            self.connector.ensure_helper_table(
                session, spec, spec.swap_table, dialect.create_swap_table_sql(spec)
            )
            return spec
        effective = self.connector.ensure_table(session, spec)
        existing = session.reflect(effective.swap_table, effective.schema)
        if existing is not None:
            session.execute(
                dialect.drop_table_sql(dialect.table_ref(effective, effective.swap_table))
            )
            if hasattr(session, "drop_table"):
                session.drop_table(effective.schema, effective.swap_table)
        self.connector.ensure_helper_table(
            session, effective, effective.swap_table, dialect.create_swap_table_sql(effective)
        )
        self.overwrites[effective.name] = effective
        return effective

    def finish_versions(self) -> None:
        """Retire rows of older versions for every stream that activated a version."""
        for stream, (sink, version) in list(self.pending_versions.items()):
            sink.retire_old_versions(version)
            del self.pending_versions[stream]

    def finish_overwrites(self) -> None:
        """Replace each overwrite table's rows with the run's rows in one transaction."""
        session, dialect = self.session, self.dialect
        for spec in list(self.overwrites.values()):
            effective = self.connector.ensure_table(session, spec)
            source = dialect.table_ref(effective, effective.swap_table)
            self._guard_overwrite(effective, source)
            try:
                session.execute(dialect.delete_all_sql(effective))
                session.execute(
                    dialect.insert_select_sql(effective, source, dedup=True),
                    self.constants(effective),
                )
                session.commit()
            except Exception:
                session.rollback()
                raise
            session.execute(dialect.drop_table_sql(source))
            session.commit()
            if hasattr(session, "drop_table"):
                session.drop_table(effective.schema, effective.swap_table)
            del self.overwrites[spec.name]

    def _guard_overwrite(self, spec: TableSpec, source: str) -> None:
        session, dialect = self.session, self.dialect
        live = int(session.scalar(dialect.count_rows_sql(dialect.table_ref(spec))) or 0)
        if not live:
            return
        if spec.keys:
            gone = session.scalar(dialect.count_missing_keys_sql(spec, source))
        else:
            gone = live - int(session.scalar(dialect.count_rows_sql(source)) or 0)
        self.guard_removal(spec, removing=int(gone or 0), live=live, how="overwrite away")

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
            if self.session.reflect(spec.swap_table, spec.schema) is not None:
                self.session.execute(
                    self.dialect.drop_table_sql(self.dialect.table_ref(spec, spec.swap_table))
                )
                self.session.commit()
        except Exception:  # the original failure matters more; say what was left behind
            logger.exception("Could not drop swap table %s", spec.swap_table)

    def close(self) -> None:
        """Release the connections (idempotent: called on success and on failure)."""
        self.loader.close()
        sessions = [self._session, self._ledger.session if self._ledger else None]
        for session in {id(s): s for s in sessions if s is not None}.values():
            session.close()
        self._session = None
        self._ledger = None
        self.connector.dispose()
