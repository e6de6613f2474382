"""The one place s3-export-core relies on singer-sdk internals (written against singer-sdk 0.54).

Everything else in the package uses the SDK's public API; tests/test_sdk_boundary.py checks that,
and tests/test_sdk_compat.py checks that what is relied on here still exists and behaves so.

Relied on, and why:

- `Tap.invoke()`'s way of building the tap from the command line (`_ConfigInput`, `load_json`,
  the constructor's arguments). `Tap.sync_all()` is `@final` and has no hook after the run, so
  `RunningTap.invoke()` builds the tap as `Tap.invoke()` does and calls `run()`: `sync_all()`,
  then the archive's end checks, the ACTIVATE_VERSION messages and the completion marker.
- `Stream._write_schema_message()`: called first thing by the `@final` `Stream.sync()`. The
  member's header must be read before it, because columns beyond the spec extend the schema;
  `SnapshotSdkStream` calls `before_schema_message()` there.
- `Stream._write_activate_version_message()`: the SDK announces a new table version before the
  first record. For snapshots that is unsafe (the target retires the old rows at once), so the
  version is kept and sent by `send_activate_version()` when the tap has read and checked the
  whole archive.
- `Stream._input_schema`, `Stream._stream_maps` and `singer_sdk.helpers._catalog.
  get_selected_schema`: a schema extended after the catalog was applied (`extend_schema`) needs
  its stream maps rebuilt, or the new columns never reach the SCHEMA message.
- `Stream._write_record_message()`, `Stream._stream_version`, `StreamStateManager.is_flushed`:
  the direct record path (`records_direct`) writes a RECORD without building a RecordMessage
  (the same JSON; the SDK's path costs more than reading the CSV) and keeps the SDK's STATE
  bookkeeping as `_write_record_message()` does. A record of a block encoded by the columnar
  path (`ENCODED_RECORD`) passes the SDK's loop like any record (counts, STATE every
  `STATE_MSG_FREQUENCY` records) and its ready RECORD line is written in its place.
"""

from __future__ import annotations

import typing as t

from singer_sdk import Stream, Tap
from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.helpers._util import load_json
from singer_sdk.plugin_base import _ConfigInput

from s3_export_core.blockread import ENCODED_RECORD
from s3_export_core.columnar import EncodedBlock
from s3_export_core.writer import BufferedMsgSpecWriter


class RunningTap(Tap):
    """A tap whose command line calls `run()`: `sync_all()` with what the run does around it."""

    @classmethod
    def invoke(
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
        **unknown: t.Any,
    ) -> None:
        """Build the tap as `Tap.invoke()` does (`--about` prints and exits), then `run()` it."""
        if unknown:  # an option a newer SDK added: it must not be dropped without a word
            msg = f"{cls.name}: command line options not handled: {sorted(unknown)}"
            raise TypeError(msg)
        super(Tap, cls).invoke(about=about, about_format=about_format)
        cls.print_version(print_fn=cls.logger.info)
        config = config or _ConfigInput()
        tap = cls(
            config=config.config,
            state=None if state is None else load_json(state.read()),
            catalog=None if catalog is None else load_json(catalog.read()),
            parse_env_config=config.parse_env,
            validate_config=True,
        )
        tap.run()

    def run(self) -> None:
        """The whole run; a tap extends it around `self.sync_all()`."""
        self.sync_all()


class SnapshotSdkStream(Stream):
    """The SDK stream with the hooks a snapshot member needs (see the module's docstring)."""

    # Set when every record can go out as it is (no stream map changes it).
    records_direct: bool = False
    time_extracted: str = ""
    _version_to_activate: int | None = None

    def before_schema_message(self) -> None:
        """Runs before the stream's SCHEMA message is written."""

    def _write_schema_message(self) -> None:
        self.before_schema_message()
        super()._write_schema_message()

    def _write_activate_version_message(self, full_table_version: int) -> None:
        self._version_to_activate = full_table_version

    def send_activate_version(self) -> None:
        """Send the ACTIVATE_VERSION the SDK asked for during the sync (none: nothing to send)."""
        if self._version_to_activate is not None:
            super()._write_activate_version_message(self._version_to_activate)

    def extend_schema(self, properties: dict[str, dict[str, t.Any]]) -> None:
        """Add properties (kept where present) after the catalog was applied."""
        for name, schema in properties.items():
            self.schema["properties"].setdefault(name, schema)
            if self._input_schema is not None:
                self._input_schema["properties"].setdefault(name, schema)
        # New properties are not in the selection metadata, so they count as selected.
        self._stream_maps = None
        selected_schema = get_selected_schema(self.name, self.schema, self.mask)
        self._tap.mapper.register_raw_stream_schema(self.name, selected_schema, self.primary_keys)

    def encoded_record_frame(self) -> tuple[bytes, bytes] | None:
        """The bytes around a record's JSON in this stream's RECORD lines, when records can be
        written pre-encoded (direct path, buffered writer); else None. Call during the sync:
        the version is the one the SDK chose for it."""
        writer = self._tap.message_writer
        if not (self.records_direct and isinstance(writer, BufferedMsgSpecWriter)):
            return None
        if type(self).post_process is not Stream.post_process:
            return None  # it would be handed the stand-in record instead of the record
        return writer.frame(self.name, self._stream_version, self.time_extracted)

    def start_encoded_block(self, block: EncodedBlock) -> None:
        writer = self._tap.message_writer
        assert isinstance(writer, BufferedMsgSpecWriter)
        writer.start_block(block)

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        writer = self._tap.message_writer
        if record is ENCODED_RECORD:
            # Its RECORD line is ready in the writer's block (only given when the frame is).
            writer.write_encoded()  # type: ignore[attr-defined]
            self.state_manager.is_flushed = False
            return
        if self.records_direct and isinstance(writer, BufferedMsgSpecWriter):
            writer.write_record(self.name, record, self._stream_version, self.time_extracted)
            self.state_manager.is_flushed = False
            return
        super()._write_record_message(record)

    def flush_records(self) -> None:
        """Write out the RECORD lines the buffered writer still holds (records before a bad row)."""
        writer = self._tap.message_writer
        if isinstance(writer, BufferedMsgSpecWriter):
            writer.flush_records()
