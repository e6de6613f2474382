"""The sink loads batches: bulk into a load table, then one MERGE / INSERT per batch."""

from __future__ import annotations

import datetime as dt
import decimal
import time
import typing as t

import msgspec
from singer_sdk.exceptions import MissingKeyPropertiesError
from singer_sdk.sql import SQLSink

from target_oracle_staging.connector import StagingConnector
from target_oracle_staging.dialects import NDJSON_ENCODER, RECORD_SEQ_KEY, RowError
from target_oracle_staging.ledger import Reject, StreamStats
from target_oracle_staging.rows import RowCompiler, ValueViolation, find_conversion_error
from target_oracle_staging.settings import (
    BATCH_ROWS_BACKGROUND,
    BATCH_ROWS_ENCODED,
    BATCH_ROWS_FOREGROUND,
)
from target_oracle_staging.tables import (
    LOAD_SEQ,
    SDC_DELETED_AT,
    SDC_TABLE_VERSION,
    TableSpec,
    build_table_spec,
)
from target_oracle_staging.types import ConversionError

if t.TYPE_CHECKING:
    from target_oracle_staging.target import TargetOracleStaging


def _json_default(value: t.Any) -> t.Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


_reject_encoder = msgspec.json.Encoder(enc_hook=_json_default, decimal_format="number")


def _encode_record(record: dict) -> str:
    return _reject_encoder.encode(record).decode("utf-8")


class StagingSink(SQLSink[StagingConnector]):
    """One stream's staging table."""

    connector_class = StagingConnector
    MAX_SIZE_DEFAULT = BATCH_ROWS_FOREGROUND  # the SDK's name; max_size below decides

    def __init__(
        self,
        target: TargetOracleStaging,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
        connector: StagingConnector | None = None,
    ) -> None:
        self.run = target.run
        super().__init__(target, stream_name, schema, key_properties, connector)
        self.dialect = self.connector.dialect
        # The table as the stream declares it; `spec` becomes the table as the database holds
        # it once setup() has created or evolved it.
        self.declared: TableSpec = build_table_spec(
            stream_name,
            self.schema,
            list(key_properties or []),
            prefix=self.run.table_prefix,
            schema=self.config.get("default_target_schema"),
            load_method=self.config.get("load_method"),
            model=self.connector.model,
            identifier_max_bytes=self.dialect.identifier_max_bytes,
        )
        self.spec: TableSpec = self.declared
        self._rows: t.Any = self.dialect.new_rows()
        self._rejects: list[Reject] = []
        self._source_keys = list(key_properties or [])
        self._sequence = 0
        self._raw_records = self.dialect.raw_records
        self._encode = NDJSON_ENCODER.encode
        self._metadata = self.include_sdc_metadata_properties
        self._known_properties = set(self.schema.get("properties", {})) | {RECORD_SEQ_KEY}
        self._unknown_warned: set[str] = set()
        self._max_rows = self.max_size  # settings do not change during a run

    # -- names: the SDK asks the sink; the answer is the one name function ---------------
    def conform_name(self, name: str, object_type: str | None = None) -> str:
        from target_oracle_staging.names import to_identifier

        return to_identifier(name, self.dialect.identifier_max_bytes)

    @property
    def table_name(self) -> str:
        return self.spec.name

    def get_validator(self) -> None:
        # Every value is checked against its column type when it is converted (in Python for
        # Oracle and PostgreSQL, by DuckDB's JSON reader for DuckDB) and against Oracle's value
        # rules; what does not fit is rejected with the reason. Per-record JSON Schema
        # validation would repeat that work at several times the cost.
        return None

    @property
    def max_size(self) -> int:
        if self.batch_size_rows is not None:
            return self.batch_size_rows
        # Unset: by how the database loads (batch_size_rows's description says the same).
        if self.dialect.raw_records:
            return BATCH_ROWS_ENCODED  # spooled to disk: no memory per row
        if self.run.loader.enabled:  # two batches of rows in memory: each half as big
            return BATCH_ROWS_BACKGROUND
        return BATCH_ROWS_FOREGROUND

    @property
    def current_size(self) -> int:
        return len(self._rows) + len(self._rejects)

    # -- setup -----------------------------------------------------------------------------
    def setup(self) -> None:
        run = self.run
        run.ensure_started()
        session = run.session
        self.connector.ensure_schema(session, self.declared.schema)
        if self.declared.load_method == "overwrite":
            self.spec = run.prepare_overwrite(self.declared)
        else:
            self.spec = self.connector.ensure_table(session, self.declared)
            self.connector.prepare_load_table(session, self.spec)
        compiler = RowCompiler(self.spec, self.dialect)
        self._compiler = compiler
        self._build = compiler.build_function()
        self._check = compiler.check_function()
        self.stats: StreamStats = run.stream_stats(self.spec)
        run.register_sink(self)

    # -- per record (the hot path) ---------------------------------------------------------
    def add_record(self, record: dict, message: dict, line: int) -> bool:
        """Convert one record into a row; values that do not fit become rejects.

        Returns True when the batch is full.
        """
        for key in self._source_keys:
            if key not in record:
                msg = (
                    f"stream {self.stream_name!r}, input line {line}: record is missing key "
                    f"property {key!r} (key properties {self._source_keys})"
                )
                raise MissingKeyPropertiesError(msg)
        self._sequence += 1
        if not self._rows:  # first record of each batch: say what the schema leaves out
            self._warn_unknown_properties(record)
        if self._raw_records:
            # DuckDB converts the values itself (see DuckDBDialect); add what the message knows.
            if self._check is not None:
                try:
                    self._check(record)
                except ValueViolation as violation:
                    self._reject_violation(record, line, violation)
                    return self._full()
            if self._metadata:
                record["_sdc_extracted_at"] = message.get("time_extracted")
                record["_sdc_sequence"] = self._sequence
                record["_sdc_table_version"] = message.get("version")
            record[RECORD_SEQ_KEY] = line
            # Kept encoded: ~0.6 KB a record instead of ~4 KB of Python objects.
            self._rows.append(self._encode(record))
            return self._full()
        try:
            row = self._build(record, message, self._sequence, line)
        except ValueViolation as violation:
            self._reject_violation(record, line, violation)
            return self._full()
        except ConversionError:
            self._reject_conversion(record, line)
            return self._full()
        self._rows.append(row)
        return self._full()

    def _full(self) -> bool:
        return len(self._rows) + len(self._rejects) >= self._max_rows

    def _warn_unknown_properties(self, record: dict) -> None:
        unknown = set(record) - self._known_properties - self._unknown_warned
        for name in sorted(unknown):
            self.logger.warning(
                "stream %r: property %r is not in the schema and is not loaded",
                self.stream_name,
                name,
            )
        self._unknown_warned |= unknown

    def process_record(self, record: dict, context: dict) -> None:
        """The SDK's record path (used with stream maps or flattening): same conversion.

        The SDK has already put the message's metadata into the record.
        """
        message = {
            "time_extracted": record.get("_sdc_extracted_at"),
            "version": record.get("_sdc_table_version"),
        }
        self.add_record(record, message, self.run.current_line())  # the SDK checks the size

    def _reject_violation(self, record: dict, line: int, violation: ValueViolation) -> None:
        reason = self._compiler.describe(violation)
        self._rejects.append(self._reject(record, line, code=reason.code, message=reason.message))

    def _reject_conversion(self, record: dict, line: int) -> None:
        found = find_conversion_error(self.spec, record)
        message = found[1] if found else "invalid SDC metadata value"
        self._rejects.append(self._reject(record, line, code="INVALID_VALUE", message=message))

    def _reject(self, record: dict, line: int, code: str, message: str) -> Reject:
        key = ", ".join(f"{k}={record.get(k)!r}" for k in self._source_keys) or None
        public = {k: v for k, v in record.items() if not k.startswith("_sdc_")}
        return Reject(
            stream=self.stream_name,
            table=self.spec.name,
            record_key=key,
            code=code,
            message=self.run.redact(message),
            record_json=_encode_record(public),
            source_location=f"stream {self.stream_name}, input line {line}",
        )

    # -- per batch -------------------------------------------------------------------------
    def process_batch(self, context: dict) -> None:
        """Hand the batch to the run's loader (it may load while the next batch is read)."""
        # The batch in flight is collected while this one is still buffered, so the STATE it
        # releases never covers this batch's records.
        self.run.finish_loading()
        rows, self._rows = self._rows, self.dialect.new_rows()
        rejects, self._rejects = self._rejects, []
        received = len(rows) + len(rejects)
        self.tally_record_read(received)
        self.record_counter_metric.increment(received)
        self.stats.received += received
        started = time.perf_counter()

        def load() -> list[Reject]:
            try:
                return self._load(rows) if rows else []
            finally:
                self.dialect.release_rows(rows)

        self.run.loader.submit(
            load,
            lambda refused: self._batch_loaded(rejects + refused, received, started),
            lambda exc: self._batch_failed(rejects, exc),
        )

    def _batch_loaded(self, rejects: list[Reject], received: int, started: float) -> None:
        run, stats = self.run, self.stats
        stats.rejected += len(rejects)
        run.ledger.write_rejects(run.run_id, rejects)
        run.ledger.update_stream(run.run_id, stats)
        self.logger.debug(  # the run's progress line says it every ~10 s
            "Loaded %d rows into %s (%d rejected) in %.2fs",
            received - len(rejects),
            self.dialect.table_ref(self.spec),
            len(rejects),
            time.perf_counter() - started,
        )
        run.check_rejects()
        run.after_batch()

    def _batch_failed(self, rejects: list[Reject], exc: BaseException) -> None:
        run, stats = self.run, self.stats
        stats.status, stats.error = "FAILED", run.redact(str(exc))
        stats.rejected += len(rejects)
        run.ledger.write_rejects(run.run_id, rejects)
        run.ledger.update_stream(run.run_id, stats, final=True)

    def _load(self, rows: list[t.Any]) -> list[Reject]:
        """Bulk-load, apply, commit. Returns the rows the database refused."""
        spec, session, dialect = self.spec, self.run.session, self.dialect
        if spec.load_method == "overwrite":
            target_table = dialect.table_ref(spec, spec.swap_table)
        else:
            target_table = dialect.load_table_ref(spec)
        errors = self._bulk_load_isolating(target_table, rows, 0)
        bad = {e.index for e in errors}
        refused = rows[:] if errors and not isinstance(rows, list) else rows  # read back once
        rejects = [self._db_reject(refused[e.index], e) for e in errors]
        accepted = len(rows) - len(bad)
        clears_load_table = (
            spec.load_method != "overwrite" and not dialect.load_table_clears_on_commit
        )
        try:
            if spec.load_method == "upsert" and accepted:
                source = dialect.load_table_ref(spec)
                matched = session.scalar(dialect.count_matched_sql(spec, source)) or 0
                distinct = session.scalar(dialect.count_distinct_keys_sql(spec, source)) or 0
                for statement in dialect.upsert_statements(spec, source):
                    session.execute(statement, self.run.constants(spec))
                self.stats.updated += matched
                self.stats.inserted += distinct - matched
                self.stats.duplicates += accepted - distinct
                self.tally_duplicate_merged(accepted - distinct)
            elif spec.load_method == "append-only" and accepted:
                session.execute(
                    dialect.insert_select_sql(spec, dialect.load_table_ref(spec), dedup=False),
                    self.run.constants(spec),
                )
                self.stats.inserted += accepted
            elif spec.load_method == "overwrite":
                self.stats.inserted += accepted
            if clears_load_table:
                session.execute(dialect.clear_load_table_sql(spec))
            session.commit()  # Oracle: the global temporary load table empties itself here
        except Exception:
            session.rollback()
            if clears_load_table:
                session.execute(dialect.clear_load_table_sql(spec))
                session.commit()
            raise
        return rejects

    def _bulk_load_isolating(self, table: str, rows: list[t.Any], offset: int) -> list[RowError]:
        """Load rows; when the database refuses the batch, split it to find the bad rows."""
        session, dialect = self.run.session, self.dialect
        if not dialect.isolates_by_bisection:
            return session.bulk_load(table, self.spec, rows)
        try:
            session.bulk_load(table, self.spec, rows)
            session.commit()
        except Exception as exc:
            session.rollback()
            if not dialect.is_row_error(exc):
                raise
            if len(rows) == 1:
                return [RowError(offset, type(exc).__name__, self.run.redact(str(exc)))]
            middle = len(rows) // 2
            return self._bulk_load_isolating(
                table, rows[:middle], offset
            ) + self._bulk_load_isolating(table, rows[middle:], offset + middle)
        return []

    def _db_reject(self, row: t.Any, error: RowError) -> Reject:
        if isinstance(row, bytes):
            decoded = msgspec.json.decode(row)
            record = {k: v for k, v in decoded.items() if k != RECORD_SEQ_KEY}
            message = error.message.strip()
            return self._reject(record, decoded[RECORD_SEQ_KEY], code=error.code, message=message)
        columns = self.dialect.load_columns(self.spec)
        record = {
            (column.source or column.name): value
            for column, value in zip(columns, row, strict=True)
            if column.source is not None
        }
        line = row[[c.name for c in columns].index(LOAD_SEQ)]
        return self._reject(record, line, code=error.code, message=error.message.strip())

    # -- ACTIVATE_VERSION ------------------------------------------------------------------
    def activate_version(self, new_version: int) -> None:
        """Remember the version; older versions are retired when the run has loaded everything.

        SDK taps send ACTIVATE_VERSION before the records of a full-table sync. Retiring old
        rows right away would empty the table for the length of the sync (and leave it
        half-empty if the sync fails), so it happens once, after the last batch committed.
        """
        if self.spec.load_method == "overwrite":
            self.logger.info(
                "ACTIVATE_VERSION on overwrite stream %s: table is replaced", self.spec.stream
            )
            return
        self.run.pending_versions[self.stream_name] = (self, new_version)

    def retire_old_versions(self, version: int) -> None:
        """Rows of older versions (and rows from before versioning) are deleted or marked."""
        run, spec, session, dialect = self.run, self.spec, self.run.session, self.dialect
        hard = bool(self.config.get("hard_delete"))
        # The table as setup() made it (no reflection: ~85 ms a table on DuckDB). Columns an
        # older run added but this one does not write do not count: with add_record_metadata
        # off the new rows carry no version, and retiring by it would retire them too.
        columns = spec.column_by_name
        if SDC_TABLE_VERSION not in columns or (not hard and SDC_DELETED_AT not in columns):
            self.logger.warning(
                "ACTIVATE_VERSION for %s ignored: add_record_metadata is off, so %s has no "
                "SDC_TABLE_VERSION/SDC_DELETED_AT columns",
                spec.stream,
                dialect.table_ref(spec),
            )
            return
        soft = not hard
        params: dict[str, t.Any] = {"version": version}
        retiring = int(
            session.scalar(dialect.count_older_versions_sql(spec, soft=soft), params) or 0
        )
        live = int(session.scalar(dialect.count_live_rows_sql(spec, soft=soft)) or 0)
        run.guard_removal(spec, removing=retiring, live=live, how="retire (delete)")
        if hard:
            sql = dialect.hard_delete_versions_sql(spec)
        else:
            sql = dialect.soft_delete_versions_sql(spec)
            params = {"version": version, "deleted_at": run.batch_time}
        try:
            deleted = session.execute(sql, params)
            session.commit()
        except Exception:
            session.rollback()
            raise
        self.stats.deleted += max(deleted, 0)
        self.logger.info(
            "Version %s of %s active: %d older rows %s",
            version,
            dialect.table_ref(spec),
            deleted,
            "deleted" if hard else "marked SDC_DELETED_AT",
        )
        run.ledger.update_stream(run.run_id, self.stats)

    def clean_up(self) -> None:
        self.record_counter_metric.exit()


__all__ = ["StagingSink"]
