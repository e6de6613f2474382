"""Base tap for one kind of snapshot export; a concrete tap only names its spec file."""

from __future__ import annotations

import logging
import re
import sys
import typing as t
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from s3_export_core.archive import Archive, member_basename, open_archive
from s3_export_core.csvread import iter_csv
from s3_export_core.errors import ExportError
from s3_export_core.progress import Progress
from s3_export_core.records import check_header
from s3_export_core.sdk_compat import RunningTap
from s3_export_core.selection import KeyPattern, Snapshot, named_snapshot, select_snapshot
from s3_export_core.settings import snapshot_settings, with_defaults
from s3_export_core.specs import TableSpec, load_archive_defaults, load_table_specs
from s3_export_core.storage import Storage, make_storage
from s3_export_core.stream import SnapshotStream
from s3_export_core.writer import BufferedMsgSpecWriter

SYNC_COMPLETED = "sync_completed"


def stream_name_for_member(member: str) -> str:
    """`AspNetUserRoles.csv` -> `asp_net_user_roles`."""
    stem = member_basename(member).rsplit(".", 1)[0]
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", stem)
    return re.sub(r"[^0-9a-zA-Z]+", "_", snake).strip("_").lower()


class SnapshotTap(RunningTap):
    """Streams = the table specs (+ unlisted CSV members on request).

    A concrete tap sets `name` and `spec_file`; its settings take their archive naming defaults
    from the spec file's `archive` section.
    """

    spec_file: t.ClassVar[Path]
    message_writer_class = BufferedMsgSpecWriter

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "spec_file" in cls.__dict__:
            cls.config_jsonschema = snapshot_settings(load_archive_defaults(cls.spec_file))

    @cached_property
    def table_specs(self) -> list[TableSpec]:
        return load_table_specs(self.spec_file)

    @cached_property
    def settings(self) -> dict[str, t.Any]:
        """The config with the schema's defaults filled in: the one place code reads them."""
        return with_defaults(self.config_jsonschema, self.config)

    @cached_property
    def storage(self) -> Storage:
        return make_storage(self.settings)

    @cached_property
    def source_timezone(self) -> tzinfo:
        name = self.settings["source_timezone"]
        if name.upper() == "UTC":
            return UTC
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"source_timezone {name!r} is not a known time zone"
            raise ExportError(msg) from exc

    @cached_property
    def key_pattern(self) -> KeyPattern:
        return KeyPattern(self.settings["key_pattern"], self.settings["timestamp_format"])

    @cached_property
    def snapshot(self) -> Snapshot:
        if key := self.config.get("snapshot_key"):
            return named_snapshot(self.storage, key, self.key_pattern)
        return select_snapshot(self.storage, self.settings["prefix"], self.key_pattern)

    @cached_property
    def archive(self) -> Archive:
        wanted = {
            member_basename(stream.member)
            for stream in self.streams.values()
            if isinstance(stream, SnapshotStream) and stream.selected
        }
        return open_archive(self.storage, self.snapshot, wanted, self.progress)

    @cached_property
    def progress(self) -> Progress:
        return Progress(self.logger, float(self.settings["progress_interval_seconds"]))

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # The SDK's METRIC lines (one JSON line per stream and timer) are off the default output;
        # the progress lines say the same in a readable form. `sdk_metrics` turns them back on.
        metrics = logging.getLogger("singer_sdk.metrics")
        metrics.setLevel(logging.INFO if self.config.get("sdk_metrics") else logging.WARNING)

    # Command line -------------------------------------------------------------------------------

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:
        """The SDK's CLI, with a bad export or setting ending in one line that says where.

        The traceback stays available at debug level (--log-level=debug / LOGLEVEL).
        """
        try:
            super().invoke(**kwargs)
        except ExportError as exc:
            cls.logger.debug("Traceback of the error below", exc_info=True)
            cls.logger.error("%s failed: %s", cls.name, " ".join(str(exc).split("\n")))
            sys.exit(1)

    # Sync ---------------------------------------------------------------------------------------

    def load_state(self, state: dict[str, t.Any]) -> None:
        # C2: the completion marker describes one run's output; it is not a bookmark.
        super().load_state({k: v for k, v in state.items() if k != SYNC_COMPLETED})
        self._run_state.pop(SYNC_COMPLETED, None)

    def run(self) -> None:
        """Sync every stream, then check the whole archive, then activate the snapshots.

        No ACTIVATE_VERSION (and so no delete or swap in the target) leaves before every
        selected member was read to its end and the archive passed its end checks.
        """
        self._run_state.pop(SYNC_COMPLETED, None)
        try:
            self._sync_and_activate()
        finally:
            if "archive" in self.__dict__:  # the export's handle, also when the run failed
                self.archive.close()

    def _sync_and_activate(self) -> None:
        self.sync_all()
        selected = [s for s in self._snapshot_streams() if s.selected]
        read = [s for s in selected if s.read_to_the_end]
        if "archive" in self.__dict__:  # opened: some stream needed the snapshot's content
            self.archive.finish()
            missing = [s for s in selected if s.skip_reason == "member missing"]
            if missing and len(missing) == len(selected):
                raise ExportError(self._nothing_found_message(missing))
        for stream in read:
            stream.activate()
        if "archive" in self.__dict__:
            self.progress.summary(self.name, self.snapshot.location)
        self._run_state[SYNC_COMPLETED] = {
            "tap": self.name,
            "at": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
        }
        self.state_writer.write_state(self.state)

    @property
    def _run_state(self) -> dict[str, t.Any]:
        """The tap's state, with contract C2's top-level key the SDK's TapState type lacks."""
        return t.cast("dict[str, t.Any]", self.state)

    def _snapshot_streams(self) -> list[SnapshotStream]:
        return [s for s in self.streams.values() if isinstance(s, SnapshotStream)]

    def _nothing_found_message(self, missing: list[SnapshotStream]) -> str:
        names = self.archive.member_names()
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        expected = ", ".join(s.member for s in missing[:5])
        return (
            f"{self.snapshot.location} ({self.archive.kind}) holds none of the members of the "
            f"{len(missing)} selected streams (expected e.g. {expected}); it holds "
            f"{shown or 'no members at all'}. Nothing was loaded and no table was changed"
        )

    def discover_streams(self) -> list[SnapshotStream]:
        specs = self.table_specs
        # Columns only the export knows (e.g. the 26 unnamed styles columns) come from the
        # newest snapshot's header, so the catalog lists them.
        peek = [spec.member for spec in specs if spec.unlisted_column_count]
        headers: dict[str, list[str]] = {}
        unlisted: list[str] = []
        if self.config.get("include_unlisted_members"):
            headers, unlisted = self._read_headers(peek, list_unlisted=True)
        elif peek and (self.config.get("local_path") or self.config.get("bucket")):
            try:
                headers, _ = self._read_headers(peek, list_unlisted=False)
            except Exception as exc:
                self.logger.warning(
                    "Could not read the headers of %s from the newest snapshot (%s); their "
                    "columns beyond the spec are added when the stream syncs",
                    peek,
                    exc,
                )
        streams = [
            SnapshotStream(
                self,
                spec,
                name=spec.stream,
                member=spec.member,
                columns=headers.get(member_basename(spec.member)),
            )
            for spec in specs
        ]
        names = {spec.stream for spec in specs}
        for member in unlisted:
            name = stream_name_for_member(member)
            if name in names:
                msg = f"Unlisted member {member} maps to stream name {name}, already taken"
                raise ExportError(msg)
            names.add(name)
            columns = headers.get(member_basename(member))
            if columns is None:
                self.logger.warning("Member %s is empty; no stream for it", member)
                continue
            streams.append(SnapshotStream(self, None, name=name, member=member, columns=columns))
        return streams

    def _read_headers(
        self, members: list[str], *, list_unlisted: bool
    ) -> tuple[dict[str, list[str]], list[str]]:
        """Header of each wanted member (by file name), plus the CSV members without a spec."""
        listed = {member_basename(spec.member) for spec in self.table_specs}
        wanted = {member_basename(member) for member in members}
        archive = open_archive(self.storage, self.snapshot, None if list_unlisted else wanted)
        unlisted: list[str] = []
        headers: dict[str, list[str]] = {}
        try:
            if list_unlisted:
                unlisted = [
                    name
                    for name in archive.member_names()
                    if name.lower().endswith(".csv") and member_basename(name) not in listed
                ]
            for member in [*members, *unlisted]:
                binary = archive.open_member(member)
                if binary is None:
                    continue
                where = f"{self.snapshot.location} member {member}"
                first = next(iter_csv(binary, where), None)
                binary.close()
                if first is not None:
                    headers[member_basename(member)] = check_header(first[1], where)
        finally:
            archive.close()
        return headers, unlisted
