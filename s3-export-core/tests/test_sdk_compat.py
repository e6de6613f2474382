"""What s3_export_core.sdk_compat relies on in singer-sdk still exists and behaves so.

Run this first when moving to another singer-sdk release (see the repository README). A tiny
full-table stream (three records, no archive) goes through the compat module's hooks.
"""

from __future__ import annotations

import inspect
import io
import json
from typing import Any

import pytest
from s3_export_core.sdk_compat import RunningTap, SnapshotSdkStream
from s3_export_core.writer import BufferedMsgSpecWriter
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.plugin_base import _ConfigInput
from testkit.sdk_contract import check_tap_invoke_is_what_running_tap_copies, messages_written_by


class TinyStream(SnapshotSdkStream):
    name = "tiny"
    schema = th.PropertiesList(th.Property("id", th.IntegerType)).to_dict()
    primary_keys = ("id",)
    added_before_schema: dict[str, dict[str, Any]] = {}

    @property
    def emit_activate_version_messages(self) -> bool:
        return True

    def before_schema_message(self) -> None:
        self.extend_schema(self.added_before_schema)

    def get_records(self, context: Any) -> Any:
        for i in range(3):
            yield {"id": i, **dict.fromkeys(self.added_before_schema, f"x{i}")}


class TinyIncremental(SnapshotSdkStream):
    """A STATE after every record, each with a new bookmark (so none is a repeat)."""

    name = "tiny_incremental"
    schema = TinyStream.schema
    primary_keys = ("id",)
    replication_key = "id"
    is_sorted = True
    STATE_MSG_FREQUENCY = 1

    def get_records(self, context: Any) -> Any:
        yield from ({"id": i} for i in range(3))


class TinyTap(RunningTap):
    name = "tap-tiny"
    config_jsonschema = th.PropertiesList(th.Property("greeting", th.StringType)).to_dict()
    message_writer_class = BufferedMsgSpecWriter
    runs: list[TinyTap] = []

    def discover_streams(self) -> list[Stream]:
        return [TinyStream(self), TinyIncremental(self)]

    def run(self) -> None:
        TinyTap.runs.append(self)
        super().run()


def _stream(tap: Tap, name: str = "tiny") -> SnapshotSdkStream:
    stream = tap.streams[name]
    assert isinstance(stream, SnapshotSdkStream)
    return stream


def test_the_relied_on_members_exist_with_their_signatures() -> None:
    def params(function: Any) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert params(Stream._write_schema_message) == ["self"]
    assert params(Stream._write_activate_version_message) == ["self", "full_table_version"]
    assert params(Stream._write_record_message) == ["self", "record"]
    assert params(get_selected_schema) == ["stream_name", "schema", "mask"]
    tap = TinyTap(config={})
    stream = _stream(tap)
    for attribute in ("_input_schema", "_stream_maps", "_stream_version", "_tap"):
        assert hasattr(stream, attribute), attribute
    assert stream._tap is tap
    assert hasattr(stream.state_manager, "is_flushed")


def test_tap_invoke_still_builds_the_tap_as_running_tap_does() -> None:
    check_tap_invoke_is_what_running_tap_copies()


def test_activate_version_waits_for_send_activate_version() -> None:
    tap = TinyTap(config={})
    during = messages_written_by(tap.sync_all)
    assert "ACTIVATE_VERSION" not in [m["type"] for m in during]
    versions = {m["version"] for m in during if m["type"] == "RECORD" and m["stream"] == "tiny"}
    after = messages_written_by(_stream(tap).send_activate_version)
    assert [(m["type"], m["stream"], m["version"]) for m in after] == [
        ("ACTIVATE_VERSION", "tiny", versions.pop())
    ]
    assert not versions


def test_a_schema_extended_before_the_schema_message_reaches_schema_and_records() -> None:
    TinyStream.added_before_schema = {"extra": {"type": ["string", "null"]}}
    try:
        tap = TinyTap(config={})
        assert "extra" not in _stream(tap).stream_maps[0].transformed_schema["properties"]
        messages = messages_written_by(tap.sync_all)
    finally:
        TinyStream.added_before_schema = {}
    [schema] = [m for m in messages if m["type"] == "SCHEMA" and m["stream"] == "tiny"]
    assert schema["schema"]["properties"]["extra"] == {"type": ["string", "null"]}
    records = [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "tiny"]
    assert records == [{"id": i, "extra": f"x{i}"} for i in range(3)]


@pytest.mark.parametrize("direct", [False, True])
def test_direct_records_are_the_sdks_records_and_keep_the_state_bookkeeping(direct) -> None:
    tap = TinyTap(config={})
    stream = _stream(tap, "tiny_incremental")
    stream.records_direct = direct
    stream.time_extracted = "2025-12-21T05:00:03Z"
    messages = [m for m in messages_written_by(tap.sync_all) if m.get("stream") != "tiny"]
    records = [m for m in messages if m["type"] == "RECORD"]
    assert [m["record"] for m in records] == [{"id": 0}, {"id": 1}, {"id": 2}]
    assert (records[0]["time_extracted"] == "2025-12-21T05:00:03Z") is direct
    # Each record marks the state unflushed, so the SDK's STATE follows each one.
    kinds = [m["type"] for m in messages if m["type"] in {"RECORD", "STATE"}]
    assert kinds[kinds.index("RECORD") :][:6] == ["RECORD", "STATE"] * 3


def test_running_tap_invoke_builds_the_tap_from_the_options_and_runs_it() -> None:
    TinyTap.runs.clear()
    state = {"bookmarks": {"tiny": {"snapshot": "s1"}}}
    messages = messages_written_by(
        lambda: TinyTap.invoke(
            config=_ConfigInput(config={"greeting": "hi"}),
            state=io.StringIO(json.dumps(state)),
        )
    )
    [tap] = TinyTap.runs
    assert tap.config["greeting"] == "hi"
    assert tap.state["bookmarks"]["tiny"]["snapshot"] == "s1"
    assert [m["type"] for m in messages].count("RECORD") == 6


def test_running_tap_invoke_refuses_an_option_it_does_not_know() -> None:
    with pytest.raises(TypeError, match=r"not handled: \['new_option'\]"):
        TinyTap.invoke(new_option=True)
