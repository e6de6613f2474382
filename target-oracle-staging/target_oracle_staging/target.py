"""target-oracle-staging: Singer target for Oracle staging tables (DuckDB, PostgreSQL too)."""

from __future__ import annotations

import difflib
import logging
import re
import signal
import sys
import threading
import time
import typing as t

from singer_sdk.sql import SQLTarget

from target_oracle_staging.errors import describe_failure
from target_oracle_staging.hooks import post_load_statements
from target_oracle_staging.ledger import FAILED, INCOMPLETE, SUCCESS
from target_oracle_staging.reader import BeforeSchemaError, InputError, StagingReader, preview
from target_oracle_staging.run import RunContext, redact_urls
from target_oracle_staging.settings import CONFIG_JSONSCHEMA
from target_oracle_staging.sink import StagingSink

if t.TYPE_CHECKING:
    from types import FrameType

    from target_oracle_staging.connector import StagingConnector

_PROCEDURE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_$#]*(\.[A-Za-z][A-Za-z0-9_$#]*){0,2}$")
_RECORD_AGE_CHECK_EVERY = 10_000
_MAX_RECORD_AGE_SECONDS = 300  # a batch waits at most this long for more records
# Settings the target uses internally (the DDL review), not for users.
_INTERNAL_SETTINGS = frozenset({"dry_run_dialect"})

logger = logging.getLogger("target_oracle_staging")


class TargetOracleStaging(SQLTarget):
    """Loads Singer streams into STG_* tables and an ETL_* ledger: Oracle, PostgreSQL, DuckDB."""

    name = "target-oracle-staging"
    default_sink_class = StagingSink
    message_reader_class = StagingReader
    config_jsonschema = CONFIG_JSONSCHEMA

    _current: t.ClassVar[TargetOracleStaging | None] = None  # for invoke's one-line error

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:
        """The CLI: a failure ends with one line naming the setting and the cause (no
        secret); the traceback is logged at debug level."""
        try:
            super().invoke(**kwargs)
        except Exception as exc:
            target = cls._current
            config = target.config if target is not None else {}
            redact = target.run.redact_passwords if target is not None else redact_urls
            connected = bool(target is not None and target.run.started)
            cls.logger.debug("Traceback of the failure", exc_info=True)
            cls.logger.error(describe_failure(exc, config, redact, connected=connected))
            sys.exit(1)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        TargetOracleStaging._current = self
        self.max_parallelism = 1  # one database session, batches in arrival order
        self._warn_unknown_settings()
        # default_connector_class is StagingConnector; the SDK's property says SQLConnector.
        self.run = RunContext(self.config, t.cast("StagingConnector", self.target_connector))
        self.run.sync_started_at = self.initialized_at
        self.run.line_source = self._line
        oracle = self.run.dialect.name == "oracle"
        # Parsed now: a script that cannot run fails before any data is loaded.
        self._post_load = post_load_statements(self.config.get("post_load_sql"), oracle=oracle)
        procedure = self.config.get("post_load_procedure")
        if procedure and not _PROCEDURE_NAME.match(procedure):
            msg = f"post_load_procedure {procedure!r} is not a valid procedure name"
            raise ValueError(msg)
        self._failed = False
        self._terminated_by: int | None = None  # the signal, once one asked us to stop
        self._records_since_age_check = 0
        self._last_drain = time.monotonic()
        # Per stream: the version its latest record carried, and the versions activated.
        self._record_versions: dict[str, int] = {}
        self._activated_versions: dict[str, set[int]] = {}
        # The sink of each stream, for the per-record path (a SCHEMA may replace it).
        self._record_sinks: dict[str, StagingSink] = {}
        self._fast_path = not (
            self.config.get("stream_maps") or self.config.get("flattening_enabled")
        )
        reader = self.message_reader
        if isinstance(reader, StagingReader):
            reader.handler = self
            reader.on_failure = self._fail
        if threading.current_thread() is threading.main_thread():
            # Our own handlers: the SDK's would drain mid-batch on a connection in use.
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)

    def _warn_unknown_settings(self) -> None:
        known = set(self.config_jsonschema.get("properties", {})) | _INTERNAL_SETTINGS
        for name in sorted(set(self.config) - known):
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.logger.warning("Unknown setting %r is ignored%s", name, hint)

    def _line(self) -> int:
        return getattr(self.message_reader, "line_number", 0)

    # -- messages (called by StagingReader) ----------------------------------------------------
    handles = frozenset({"RECORD", "STATE", "ACTIVATE_VERSION", "SCHEMA"})

    def handle(self, message: dict, line: int) -> None:
        kind = message["type"]
        if kind == "RECORD":
            self.on_record(message, line)
        elif kind == "STATE":
            if "value" not in message:
                raise InputError(f"input line {line}: STATE message without a value")
            self.run.state.offer(message["value"])
        elif kind == "ACTIVATE_VERSION":
            self._on_activate_version(message, line)
        else:
            self._on_schema(message, line)

    def _require(self, message: dict, line: int, keys: tuple[str, ...]) -> str:
        missing = [k for k in keys if k not in message]
        if missing:
            msg = (
                f"input line {line}: {message.get('type')} message without "
                f"{', '.join(missing)}; the line begins: {preview(str(message))!r}"
            )
            raise InputError(msg)
        return message["stream"]

    def on_record(self, message: dict, line: int) -> None:
        """A RECORD message (the reader's hot loop calls this directly)."""
        stream = message.get("stream")
        record = message.get("record")
        if stream is None or record is None:
            stream = self._require(message, line, ("stream", "record"))
        if not isinstance(record, dict):
            msg = (
                f"input line {line}, stream {stream!r}: the record is a "
                f"{type(record).__name__}, not an object"
            )
            raise InputError(msg)
        if (version := message.get("version")) is not None:
            self._record_versions[stream] = version
        sink = self._record_sinks.get(stream)
        if sink is None:
            if not self._fast_path:
                self._sdk_record(message, line, stream)
                return
            if not self.sink_exists(stream):
                raise BeforeSchemaError("RECORD", stream, line)
            sink = self._record_sinks[stream] = t.cast(StagingSink, self.get_sink(stream))
        if sink.add_record(record, message, line):  # the batch is full
            self.drain_one(sink)
        self._records_since_age_check += 1
        if self._records_since_age_check >= _RECORD_AGE_CHECK_EVERY:
            self._check_record_age()

    def _sdk_record(self, message: dict, line: int, stream: str) -> None:
        """Stream maps and flattening: the SDK's own record path (through its callback)."""
        if stream not in self.mapper.stream_maps:
            raise BeforeSchemaError("RECORD", stream, line)
        self._sdk_callbacks["RECORD"](message)

    def _check_record_age(self) -> None:
        self._records_since_age_check = 0
        if time.monotonic() - self._last_drain > _MAX_RECORD_AGE_SECONDS:
            self.logger.info("Records waited %ds: draining every stream", _MAX_RECORD_AGE_SECONDS)
            self.drain_all()
            self._last_drain = time.monotonic()

    def _on_schema(self, message: dict, line: int) -> None:
        """A changed SCHEMA takes effect only after the records received under the old one are
        loaded with it (and their rows committed)."""
        stream = self._require(message, line, ("stream", "schema"))
        maps = self.mapper.stream_maps.get(stream)
        changed = maps and (
            maps[0].raw_schema != message["schema"]
            or maps[0].raw_key_properties != message.get("key_properties")
        )
        if changed:
            for stream_map in maps or []:
                if self.sink_exists(stream_map.stream_alias):
                    self.drain_one(self.get_sink(stream_map.stream_alias))
        self._record_sinks.clear()
        self._sdk_callbacks["SCHEMA"](message)

    def _on_activate_version(self, message: dict, line: int) -> None:
        stream = self._require(message, line, ("stream", "version"))
        self._activated_versions.setdefault(stream, set()).add(message["version"])
        if stream not in self.mapper.stream_maps:
            raise BeforeSchemaError("ACTIVATE_VERSION", stream, line)
        for stream_map in self.mapper.stream_maps[stream]:
            sink = self.get_sink(stream_map.stream_alias)
            if not sink.process_activate_version_messages:
                self.logger.warning("ACTIVATE_VERSION ignored for %s (disabled)", sink.stream_name)
                continue
            sink.activate_version(message["version"])

    @property
    def _sdk_callbacks(self) -> dict[str, t.Callable[[dict], None]]:
        """The SDK's handlers, as it hands them to the reader (public reader interface)."""
        return self.message_reader.sdk_callbacks  # type: ignore[attr-defined]

    # -- end of run --------------------------------------------------------------------------
    def process_endofpipe(self) -> None:
        run = self.run
        try:
            run.ensure_started()
            self.drain_all(is_endofpipe=True)  # every sink; STATE waits for swaps/retirements
            run.finish_loading()
            incomplete = self._streams_without_activated_version()
            for stream in incomplete:
                run.discard_overwrite(stream)
            marker_missing = bool(self.config.get("require_sync_completed")) and (
                run.state.sync_completed is None
            )
            if marker_missing:
                raise IncompleteSyncError
            self._stop_if_terminated()  # no table is swapped or retired after a SIGTERM
            run.finish_overwrites()
            run.finish_versions()
            run.state.flush()
            for stats in run.streams.values():
                if stats.stream not in incomplete:
                    stats.status = SUCCESS
                    run.ledger.update_stream(run.run_id, stats, final=True)
            if incomplete:
                raise IncompleteInputError(incomplete)
            self._post_load_hook()
            run.progress.summary(run.streams.values())
            self._stop_if_terminated()
            run.ledger.end_run(
                run.run_id,
                SUCCESS,
                list(run.streams.values()),
                None,
                source_complete=run.state.sync_completed is not None,
            )
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            run.close()

    def _streams_without_activated_version(self) -> dict[str, int]:
        """Overwrite streams whose records carry a version that was never activated.

        Singer has no end-of-input marker: Meltano closes our stdin after a failed tap just as
        after a finished one. A tap that activates a version after its last record (ours do)
        tells us the snapshot is complete; without it, swapping would replace the table with
        part of a snapshot. (Upsert streams need no such guard: they never remove rows, and
        versions are only retired once activated.)
        """
        overwrite_streams = {spec.stream for spec in self.run.overwrites.values()}
        return {
            stream: version
            for stream, version in self._record_versions.items()
            if stream in overwrite_streams
            and version not in self._activated_versions.get(stream, ())
        }

    def _post_load_hook(self) -> None:
        statements = list(self._post_load)
        procedure = self.config.get("post_load_procedure")
        if procedure:
            statements.append(self.run.dialect.procedure_call_sql(procedure))
        if not statements:
            return
        session = self.run.session
        for number, statement in enumerate(statements, start=1):
            self.logger.info("Post-load hook statement %d of %d", number, len(statements))
            try:
                session.execute_verbatim(statement)
            except Exception as exc:
                session.rollback()
                msg = f"post-load hook statement {number} failed: {self.run.redact(str(exc))}"
                raise RuntimeError(msg) from exc
        session.commit()

    def _fail(self, exc: BaseException) -> None:
        """Record the failure in the ledger (once); never hide the original error."""
        if self._failed:
            return
        self._failed = True
        run = self.run
        run.loader.settle()  # the batch in flight ends (and may send its STATE) first
        run.state.blocked = True
        if self._post_load or self.config.get("post_load_procedure"):
            self.logger.warning("Post-load hook skipped: the load failed")
        error = run.redact(f"{type(exc).__name__}: {exc}")
        status = INCOMPLETE if isinstance(exc, IncompleteSyncError) else FAILED
        try:
            run.discard_overwrites()
            if not run.started:
                return
            for stats in run.streams.values():
                if stats.status != SUCCESS:
                    stats.status = status
                    stats.error = stats.error or error
                run.ledger.update_stream(run.run_id, stats, final=True)
            run.ledger.end_run(
                run.run_id,
                status,
                list(run.streams.values()),
                error,
                source_complete=run.state.sync_completed is not None,
            )
        except Exception as ledger_error:
            # One line (the original error is what the user must see); details at debug.
            self.logger.warning(
                "Could not record the failure in ETL_CONTROL: %s",
                run.redact(str(ledger_error).splitlines()[0] if str(ledger_error) else ""),
            )
            self.logger.debug("Ledger write failure", exc_info=True)
        finally:
            run.close()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # The signal may arrive in the middle of a batch: unwind. The open batch rolls back,
        # the run is marked FAILED, and STATE already sent covers only commits.
        self._terminated_by = signum
        msg = f"terminated by signal {signum}"
        raise TerminatedError(msg)

    def _stop_if_terminated(self) -> None:
        """Raised again if the signal's error was swallowed where it landed (a library's
        `except Exception`, e.g. logging's handler, caught it): a stopped run never succeeds."""
        if self._terminated_by is not None:
            msg = f"terminated by signal {self._terminated_by}"
            raise TerminatedError(msg)


class IncompleteInputError(RuntimeError):
    """The input ended before some streams activated the version their records carry."""

    def __init__(self, streams: dict[str, int]) -> None:
        names = ", ".join(f"{stream} (version {version})" for stream, version in streams.items())
        super().__init__(
            f"input ended before these overwrite streams activated their version: {names}; "
            "the tap stopped part-way, so their tables were not swapped and keep their "
            "previous rows"
        )


class IncompleteSyncError(RuntimeError):
    """require_sync_completed is on and the tap never said its sync completed."""

    def __init__(self) -> None:
        super().__init__(
            "the tap's last STATE did not report a completed sync (no `sync_completed` marker): "
            "it stopped part-way; rows received were committed, but no table was swapped or "
            "retired and the run is recorded as INCOMPLETE"
        )


class TerminatedError(RuntimeError):
    """SIGTERM/SIGINT: stop now, keep only what was committed."""


if __name__ == "__main__":
    TargetOracleStaging.cli()
