"""One archive member as one Singer stream."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.mapper import SameRecordTransform

from s3_export_core.blockread import BlockReader, columnar_converter
from s3_export_core.csvread import LineCounter, buffered, iter_csv
from s3_export_core.errors import ExportError
from s3_export_core.records import EXTRA_PROPERTY, RowCounts, RowPlan
from s3_export_core.sdk_compat import SnapshotSdkStream
from s3_export_core.specs import TableSpec

if t.TYPE_CHECKING:
    from s3_export_core.tap import SnapshotTap

METADATA_SCHEMA: dict[str, dict[str, Any]] = {
    "_sdc_source_key": {"type": ["string", "null"]},
    "_sdc_source_member": {"type": ["string", "null"]},
    "_sdc_source_lineno": {"type": ["integer", "null"]},
    "_sdc_snapshot_at": {"type": ["string", "null"], "format": "date-time"},
}
EXTRA_SCHEMA = {
    "type": ["object", "null"],
    "description": "What was wrong with a row kept by on_bad_row=keep",
}


class SnapshotStream(SnapshotSdkStream):
    """Reads its member from the snapshot the tap chose; coerces values from the table spec."""

    # Values are already JSON-typed by the spec-driven coercion; the SDK pass would redo it.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        tap: SnapshotTap,
        spec: TableSpec | None,
        *,
        name: str,
        member: str,
        columns: list[str] | None = None,
    ) -> None:
        self.spec = spec
        self.member = member
        properties: dict[str, Any] = {}
        if spec is not None:
            for column in spec.columns:
                properties[column.name] = column.json_schema()
        for column_name in columns or []:
            properties.setdefault(column_name, {"type": ["string", "null"]})
        properties.update(METADATA_SCHEMA)
        if tap.settings["on_bad_row"] == "keep":
            properties[EXTRA_PROPERTY] = EXTRA_SCHEMA
        schema = {"type": "object", "properties": properties}
        if spec is not None and spec.description:
            schema["description"] = spec.description
        super().__init__(tap=tap, schema=schema, name=name)
        self.primary_keys = list(spec.key) if spec else []
        self._snapshot_tap = tap
        self._prepared = False
        self._skip_reason: str | None = None
        self._binary: BinaryIO | None = None
        self._member: BinaryIO | None = None
        self._rows: Iterator[tuple[int, list[str]]] | None = None
        self._lines = LineCounter()
        self._record_metadata: dict[str, Any] = {}
        self._plan: RowPlan | None = None
        self.time_extracted = datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")
        self._read_to_the_end = False
        self._member_path = member

    # Sync lifecycle -------------------------------------------------------------------------

    def before_schema_message(self) -> None:
        # The member's header must be read before SCHEMA: columns beyond the spec extend it.
        self._prepare()

    @property
    def emit_activate_version_messages(self) -> bool:
        # A skipped stream must not activate a version: that would delete every loaded row.
        self._prepare()
        if self._skip_reason is not None:
            return False
        return bool(self._snapshot_tap.settings["emit_activate_version_messages"])

    @property
    def skip_reason(self) -> str | None:
        """Why the stream sends no records ('already loaded', 'member missing'), else None."""
        return self._skip_reason

    @property
    def row_counts(self) -> RowCounts | None:
        """Rows read, skipped, kept with problems, and blocks per path (None before reading)."""
        return None if self._plan is None else self._plan.counts

    @property
    def read_to_the_end(self) -> bool:
        return self._read_to_the_end

    def activate(self) -> None:
        """Record the snapshot in state and send ACTIVATE_VERSION (the tap calls this last)."""
        snapshot = self._snapshot_tap.snapshot
        self.stream_state["snapshot"] = snapshot.identity
        self.stream_state["snapshot_at"] = snapshot.taken_at.isoformat()
        # Sent only now, after the whole run read and checked the archive (SnapshotTap.run), so
        # a member or archive that fails never retires rows.
        self.send_activate_version()

    def _prepare(self) -> None:
        if self._prepared:
            return
        self._prepared = True
        tap = self._snapshot_tap
        snapshot = tap.snapshot
        loaded = self.stream_state.get("snapshot")
        if loaded == snapshot.identity and not self.config.get("force_reload"):
            self._skip_reason = "already loaded"
            self.logger.info(
                "Stream %s: snapshot %s (ETag %s) was already loaded; no records "
                "(set force_reload or run with --full-refresh to load it again)",
                self.name,
                snapshot.key,
                snapshot.info.etag,
            )
            return
        binary = tap.archive.open_member(self.member)
        if binary is None:
            self._skip_reason = "member missing"
            self.logger.warning(
                "Stream %s: %s has no member %s; the stream is not loaded and its rows are "
                "left as they are",
                self.name,
                snapshot.location,
                self.member,
            )
            return
        self._binary = binary
        path = self._member_path = tap.archive.member_path(self.member)
        if path != self.member:
            self.logger.info("Stream %s: %s is read from %s", self.name, self.member, path)
        where = f"{snapshot.location} member {path}"
        lines = LineCounter()
        # One buffer for the header (row path) and the rest (block reader or row path).
        member = self._member = buffered(binary)
        rows = iter_csv(member, where, lines)
        first = next(rows, None)
        if first is None:
            msg = f"{where}: the member is empty (not even a header line)"
            raise ExportError(msg)
        self._plan = RowPlan(
            self.spec,
            first[1],
            where,
            strict_schema=bool(self.config.get("strict_schema")),
            on_bad_row=tap.settings["on_bad_row"],
            logger=self.logger,
            zone=tap.source_timezone,
        )
        if self.spec is not None and self._plan.extra_columns:
            self._add_string_columns(self._plan.extra_columns)
        metadata = {
            "_sdc_source_key": snapshot.key,
            "_sdc_source_member": path,
            "_sdc_snapshot_at": snapshot.taken_at.isoformat(),
        }
        self._record_metadata = metadata
        self._rows = rows
        self._lines = lines
        self.records_direct = self._can_write_directly()

    def _add_string_columns(self, names: list[str]) -> None:
        self.extend_schema({name: {"type": ["string", "null"]} for name in names})

    def _can_write_directly(self) -> bool:
        maps = self.stream_maps
        return (
            len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and not self.config.get("flattening_enabled")
            and all(self.mask.values())
        )

    def _member_records(self) -> Iterator[dict[str, Any]]:
        """The block reader when the member's columns allow it and records are written
        directly; otherwise the row path alone."""
        plan, metadata, lines = self._plan, self._record_metadata, self._lines
        assert plan is not None
        assert self._rows is not None
        assert self._member is not None
        progress = self._snapshot_tap.progress
        name = self.name

        def tick(count: int) -> None:
            progress.tick(name, count)

        reader_setting = self._snapshot_tap.settings["csv_reader"]
        frame = self.encoded_record_frame() if reader_setting == "auto" else None
        converter = columnar_converter(plan, metadata, frame, self.logger)
        if converter is None:
            return plan.records(self._rows, metadata, lines, tick=tick)
        reader = BlockReader(
            self._member, plan, converter, metadata, lines, self.start_encoded_block, tick
        )
        return reader.records()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        self._prepare()
        if self._skip_reason is not None or self._plan is None:
            return
        try:
            yield from self._member_records()
        finally:
            if self._binary is not None:
                self._binary.close()
            # On a bad row the records before it still reach the target, as unbuffered ones did.
            self.flush_records()
        self._finish()

    def _finish(self) -> None:
        assert self._plan is not None
        counts = self._plan.counts
        snapshot = self._snapshot_tap.snapshot
        if counts.skipped:
            self.logger.warning(
                "Stream %s: %d rows skipped by on_bad_row=skip (first: %s)",
                self.name,
                counts.skipped,
                counts.problems[:3],
            )
        if counts.kept_with_problems:
            self.logger.warning(
                "Stream %s: %d rows kept with problems noted in %s",
                self.name,
                counts.kept_with_problems,
                EXTRA_PROPERTY,
            )
        self.logger.info(
            "Stream %s: %d records from %s member %s (%d skipped, %d kept with problems, %d "
            "blank lines); read to the end and checked",
            self.name,
            counts.rows,
            snapshot.location,
            self._member_path,
            counts.skipped,
            counts.kept_with_problems,
            counts.blank_lines,
        )
        if counts.columnar_blocks:
            self.logger.info(
                "Stream %s: %d blocks read by the columnar path, %d by the row path",
                self.name,
                counts.columnar_blocks,
                counts.row_blocks,
            )
        self._read_to_the_end = True
        self._snapshot_tap.progress.stream_done(counts.rows)

    # Output ---------------------------------------------------------------------------------

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> t.Iterable[Context | None]:
        # No child streams: skip the SDK's per-record child-context machinery.
        return ()
