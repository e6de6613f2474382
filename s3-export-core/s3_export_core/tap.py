"""Base tap for one kind of snapshot export; a concrete tap only names its spec file."""

from __future__ import annotations

import re
import typing as t
from functools import cached_property
from pathlib import Path

from singer_sdk import Tap

from s3_export_core.archive import Archive, member_basename, open_archive
from s3_export_core.csvread import iter_csv
from s3_export_core.errors import ExportError
from s3_export_core.records import check_header
from s3_export_core.selection import KeyPattern, Snapshot, named_snapshot, select_snapshot
from s3_export_core.specs import TableSpec, load_table_specs
from s3_export_core.storage import Storage, make_storage
from s3_export_core.stream import SnapshotStream
from s3_export_core.writer import BufferedMsgSpecWriter


def stream_name_for_member(member: str) -> str:
    """`AspNetUserRoles.csv` -> `asp_net_user_roles`."""
    stem = member_basename(member).rsplit(".", 1)[0]
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", stem)
    return re.sub(r"[^0-9a-zA-Z]+", "_", snake).strip("_").lower()


class SnapshotTap(Tap):
    """Streams = the table specs (+ unlisted CSV members on request)."""

    spec_file: t.ClassVar[Path]
    message_writer_class = BufferedMsgSpecWriter

    @cached_property
    def table_specs(self) -> list[TableSpec]:
        return load_table_specs(self.spec_file)

    @cached_property
    def storage(self) -> Storage:
        return make_storage(dict(self.config))

    @cached_property
    def key_pattern(self) -> KeyPattern:
        return KeyPattern(self.config["key_pattern"], self.config["timestamp_format"])

    @cached_property
    def snapshot(self) -> Snapshot:
        if key := self.config.get("snapshot_key"):
            return named_snapshot(self.storage, key, self.key_pattern)
        return select_snapshot(self.storage, self.config.get("prefix", ""), self.key_pattern)

    @cached_property
    def archive(self) -> Archive:
        wanted = {
            member_basename(stream.member)
            for stream in self.streams.values()
            if isinstance(stream, SnapshotStream) and stream.selected
        }
        return open_archive(self.storage, self.snapshot, wanted)

    def discover_streams(self) -> list[SnapshotStream]:
        streams = [
            SnapshotStream(self, spec, name=spec.stream, member=spec.member)
            for spec in self.table_specs
        ]
        if self.config.get("include_unlisted_members"):
            streams.extend(self._unlisted_streams({s.member for s in streams}))
        return streams

    def _unlisted_streams(self, listed_members: set[str]) -> list[SnapshotStream]:
        listed = {member_basename(member) for member in listed_members}
        names = {spec.stream for spec in self.table_specs}
        archive = open_archive(self.storage, self.snapshot, None)
        streams: list[SnapshotStream] = []
        try:
            for member in archive.member_names():
                if member_basename(member) in listed or not member.lower().endswith(".csv"):
                    continue
                name = stream_name_for_member(member)
                if name in names:
                    msg = f"Unlisted member {member} maps to stream name {name}, already taken"
                    raise ExportError(msg)
                names.add(name)
                binary = archive.open_member(member)
                where = f"{self.snapshot.location} member {member}"
                first = next(iter_csv(binary, where), None) if binary else None
                if binary is not None:
                    binary.close()
                if first is None:
                    self.logger.warning("%s is empty; no stream for it", where)
                    continue
                columns = check_header(first[1], where)
                streams.append(
                    SnapshotStream(self, None, name=name, member=member, columns=columns)
                )
        finally:
            archive.close()
        return streams
