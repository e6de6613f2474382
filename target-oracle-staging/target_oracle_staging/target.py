"""target-oracle-staging: Singer target for Oracle staging tables (DuckDB, PostgreSQL too)."""

from __future__ import annotations

import copy
import json
import re
import sys
import typing as t

from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.sql import SQLTarget

from target_oracle_staging.connector import StagingConnector
from target_oracle_staging.run import RunContext
from target_oracle_staging.sink import StagingSink

if t.TYPE_CHECKING:
    from types import FrameType

_PROCEDURE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_$#]*(\.[A-Za-z][A-Za-z0-9_$#]*){0,2}$")
_RECORD_AGE_CHECK_EVERY = 10_000


class LineCountingReader(MsgSpecReader):
    """msgspec reader that knows the current input line and reports failures to the target."""

    def __init__(self) -> None:
        super().__init__()
        self.line_number = 0
        self.on_failure: t.Callable[[BaseException], None] | None = None

    def process_lines(self, file_input: t.Any, callbacks: dict) -> t.Any:
        def numbered(lines: t.Iterable[str]) -> t.Iterator[str]:
            for line in lines:
                self.line_number += 1
                yield line

        try:
            return super().process_lines(numbered(file_input or self.default_input), callbacks)
        except BaseException as exc:
            if self.on_failure is not None:
                self.on_failure(exc)
            raise


class TargetOracleStaging(SQLTarget):
    """Loads Singer streams into STG_* staging tables with an ETL_* ledger."""

    name = "target-oracle-staging"
    default_sink_class = StagingSink
    message_reader_class = LineCountingReader

    config_jsonschema = th.PropertiesList(
        th.Property("user", th.StringType, description="Oracle user name."),
        th.Property("password", th.StringType, secret=True, description="Oracle password."),
        th.Property(
            "dsn",
            th.StringType,
            description="Oracle easy connect string (host:port/service) or a TNS alias "
            "found in `config_dir`/tnsnames.ora.",
        ),
        th.Property("host", th.StringType, description="Oracle host (with `service_name`)."),
        th.Property("port", th.IntegerType, description="Oracle listener port (default 1521)."),
        th.Property("service_name", th.StringType, description="Oracle service name."),
        th.Property(
            "config_dir",
            th.StringType,
            description="Folder with tnsnames.ora (and the wallet's sqlnet.ora).",
        ),
        th.Property(
            "wallet_location",
            th.StringType,
            description="Folder with the Autonomous Database wallet (ewallet.pem) for mTLS.",
        ),
        th.Property("wallet_password", th.StringType, secret=True, description="Wallet password."),
        th.Property(
            "sqlalchemy_url",
            th.StringType,
            secret=True,
            description="SQLAlchemy URL of a non-Oracle database, e.g. "
            "postgresql+psycopg://user@host/db.",
        ),
        th.Property(
            "database_path",
            th.StringType,
            description="Embedded DuckDB file used when neither Oracle settings nor "
            "`sqlalchemy_url` are set (default warehouse.duckdb in the working directory).",
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            description="Schema for staging and ledger tables (default: the connection's).",
        ),
        th.Property(
            "table_prefix",
            th.StringType,
            description="Staging table name prefix (default STG_<SOURCE>_).",
        ),
        th.Property(
            "source_name",
            th.StringType,
            description="Source name for the prefix and the ledger (default from "
            "MELTANO_EXTRACTOR_NAME: tap-tr2000 -> TR2000).",
        ),
        th.Property(
            "load_method",
            th.StringType,
            allowed_values=["upsert", "overwrite", "append-only"],
            description="upsert (default with key properties), overwrite, or append-only "
            "(default without key properties).",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            description="Rows per batch, one bulk load + one MERGE each (default 100000 on "
            "DuckDB, 50000 on Oracle and PostgreSQL).",
        ),
        th.Property(
            "max_rejects",
            th.IntegerType,
            default=0,
            description="Rejected rows tolerated per run before the run fails.",
        ),
        th.Property(
            "post_load_sql",
            th.CustomType({"type": ["string", "array"], "items": {"type": "string"}}),
            description="SQL statements (a list, or text with `;` at line ends) run once after "
            "every stream loaded successfully.",
        ),
        th.Property(
            "post_load_procedure",
            th.StringType,
            description="Stored procedure called once after every stream loaded successfully.",
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            default=False,
            description="On ACTIVATE_VERSION delete rows of older versions (else set "
            "SDC_DELETED_AT).",
        ),
        th.Property(
            "add_record_metadata",
            th.BooleanType,
            default=True,
            description="Add the SDC_* metadata columns (needed for ACTIVATE_VERSION).",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_parallelism = 1  # one database session, batches in arrival order
        self.run = RunContext(self.config, self.target_connector)
        self.run.sync_started_at = self.initialized_at
        self.run.line_source = self._line
        self._last_state_written: dict | None = None
        self._failed = False
        self._records_since_age_check = 0
        # Per stream: the version its latest record carried, and the versions activated.
        self._record_versions: dict[str, int] = {}
        self._activated_versions: dict[str, set[int]] = {}
        self._fast_path = not (
            self.config.get("stream_maps") or self.config.get("flattening_enabled")
        )
        if isinstance(self.message_reader, LineCountingReader):
            self.message_reader.on_failure = self._fail

    @property
    def target_connector(self) -> StagingConnector:
        if self._target_connector is None:
            self._target_connector = StagingConnector(dict(self.config))
        return self._target_connector  # type: ignore[return-value]

    def _line(self) -> int:
        return getattr(self.message_reader, "line_number", 0)

    # -- messages ----------------------------------------------------------------------------
    def _process_record_message(self, message_dict: dict) -> None:
        if (version := message_dict.get("version")) is not None:
            self._record_versions[message_dict["stream"]] = version
        if not self._fast_path:
            super()._process_record_message(message_dict)
            return
        self._assert_line_requires(message_dict, requires={"stream", "record"})
        stream_name = message_dict["stream"]
        self._assert_sink_exists(stream_name)
        sink = self._sinks_active[stream_name]
        sink.add_record(message_dict["record"], message_dict, self._line())  # type: ignore[attr-defined]
        if sink.current_size >= sink.max_size:
            self.drain_one(sink)
        self._records_since_age_check += 1
        if self._records_since_age_check >= _RECORD_AGE_CHECK_EVERY:
            self._records_since_age_check = 0
            self._handle_max_record_age()

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        self._emit_state_if_covered()

    def _process_activate_version_message(self, message_dict: dict) -> None:
        self._assert_line_requires(message_dict, requires={"stream", "version"})
        stream_name = message_dict["stream"]
        self._activated_versions.setdefault(stream_name, set()).add(message_dict["version"])
        if stream_name not in self.mapper.stream_maps:
            self._assert_sink_exists(stream_name)
        for stream_map in self.mapper.stream_maps[stream_name]:
            sink = self.get_sink(stream_map.stream_alias)
            if not sink.process_activate_version_messages:
                self.logger.warning("ACTIVATE_VERSION ignored for %s (disabled)", sink.stream_name)
                continue
            sink.activate_version(message_dict["version"])

    def drain_one(self, sink: t.Any) -> None:  # type: ignore[override]
        super().drain_one(sink)
        self.run.batch_time = self.run.batch_time_value()
        self._emit_state_if_covered()

    # -- state -------------------------------------------------------------------------------
    def _all_committed(self) -> bool:
        sinks = [*self._sinks_active.values(), *self._sinks_to_clear]
        return all(s.current_size == 0 for s in sinks) and not self.run.finalization_pending

    def _emit_state_if_covered(self) -> None:
        """Every record received so far is committed: the latest STATE may leave."""
        if self._latest_state and self._all_committed() and not self._failed:
            self._write_state_message(copy.deepcopy(self._latest_state))

    def _write_state_message(self, state: dict) -> None:
        # Also called by the SDK after draining: an overwrite swap or a version retirement
        # may still be pending, and then the state waits (it stays in _latest_state).
        if self._failed or not self._all_committed() or state == self._last_state_written:
            return
        self._last_state_written = copy.deepcopy(state)
        sys.stdout.write(json.dumps(state) + "\n")
        sys.stdout.flush()

    # -- end of run --------------------------------------------------------------------------
    def process_endofpipe(self) -> None:
        run = self.run
        try:
            run.ensure_started()
            super().process_endofpipe()  # drain every sink; STATE waits for overwrite swaps
            incomplete = self._streams_without_activated_version()
            for stream in incomplete:
                run.discard_overwrite(stream)
            run.finish_overwrites()
            run.finish_versions()
            if self._latest_state:
                self._write_state_message(copy.deepcopy(self._latest_state))
            for stats in run.streams.values():
                if stats.stream not in incomplete:
                    stats.status = "SUCCESS"
                    run.ledger.update_stream(run.run_id, stats, final=True)
            if incomplete:
                raise IncompleteInputError(incomplete)
            self._post_load_hook()
            run.ledger.end_run(run.run_id, "SUCCESS", list(run.streams.values()), None)
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
        statements = _split_statements(self.config.get("post_load_sql") or "")
        procedure = self.config.get("post_load_procedure")
        if not statements and not procedure:
            return
        session = self.run.session
        dialect = self.run.connector.dialect
        if procedure:
            if not _PROCEDURE_NAME.match(procedure):
                msg = f"post_load_procedure {procedure!r} is not a valid procedure name"
                raise ValueError(msg)
            statements.append(dialect.procedure_call_sql(procedure))
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
        if self.config.get("post_load_sql") or self.config.get("post_load_procedure"):
            self.logger.warning("Post-load hook skipped: the load failed")
        error = run.redact(f"{type(exc).__name__}: {exc}")
        try:
            run.discard_overwrites()
            if not run.started:
                return
            for stats in run.streams.values():
                if stats.status != "SUCCESS":
                    stats.status = "FAILED"
                    stats.error = stats.error or error
                run.ledger.update_stream(run.run_id, stats, final=True)
            run.ledger.end_run(run.run_id, "FAILED", list(run.streams.values()), error)
        except Exception:
            self.logger.exception("Could not record the failure in ETL_CONTROL")
        finally:
            run.close()

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The signal may arrive in the middle of a batch: draining from here (the SDK's
        # default) would reuse a connection mid-transaction. Unwind instead: the open batch
        # rolls back, the run is marked FAILED, and STATE already sent covers only commits.
        msg = f"terminated by signal {signum}"
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


class TerminatedError(RuntimeError):
    """SIGTERM/SIGINT: stop now, keep only what was committed."""


def _split_statements(text: str | list) -> list[str]:
    if isinstance(text, list):
        return [s.strip() for s in text if s and s.strip()]
    parts = re.split(r";\s*(?:\n|$)", text)
    return [p.strip() for p in parts if p.strip()]


if __name__ == "__main__":
    TargetOracleStaging.cli()
