"""What tap_tr2000.sdk_compat relies on in singer-sdk still exists and behaves so.

Run this first when moving to another singer-sdk release (see the repository README). A tiny tap
(a parent with three records, children synced per parent record) goes through the compat module.
"""

from __future__ import annotations

import inspect
import io
import json
from typing import Any

import pytest
from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.plugin_base import _ConfigInput
from tap_tr2000.sdk_compat import RunningTap, SchemaOnceStream
from testkit.sdk_contract import check_tap_invoke_is_what_running_tap_copies, messages_written_by

SCHEMA = th.PropertiesList(th.Property("id", th.IntegerType)).to_dict()


class Parent(Stream):
    name = "parent"
    schema = SCHEMA
    primary_keys = ("id",)

    def get_records(self, context: Any) -> Any:
        yield from ({"id": i} for i in range(3))

    def get_child_context(self, record: dict, context: Any) -> dict:
        return {"parent_id": record["id"]}


class PlainChild(Stream):
    """What the SDK itself does."""

    name = "plain_child"
    parent_stream_type = Parent
    schema = SCHEMA
    state_partitioning_keys = ()

    def get_records(self, context: Any) -> Any:
        yield {"id": context["parent_id"]}


class OnceChild(SchemaOnceStream, PlainChild):
    name = "once_child"


class TinyTap(RunningTap):
    name = "tap-tiny"
    config_jsonschema = th.PropertiesList(th.Property("greeting", th.StringType)).to_dict()
    runs: list[TinyTap] = []

    def discover_streams(self) -> list[Stream]:
        return [Parent(self), OnceChild(self), PlainChild(self)]

    def run(self) -> None:
        TinyTap.runs.append(self)
        super().run()


def test_the_relied_on_members_exist_with_their_signatures() -> None:
    assert list(inspect.signature(Stream._write_schema_message).parameters) == ["self"]


def test_tap_invoke_still_builds_the_tap_as_running_tap_does() -> None:
    check_tap_invoke_is_what_running_tap_copies()


def test_the_sdk_writes_schema_per_child_context_and_schema_once_stream_writes_it_once() -> None:
    tap = TinyTap(config={})
    messages = messages_written_by(tap.sync_all)
    schemas = [m["stream"] for m in messages if m["type"] == "SCHEMA"]
    assert schemas.count("plain_child") == 3  # why the compat override exists
    assert schemas.count("once_child") == 1
    records = [
        m["record"]["id"] for m in messages if m["type"] == "RECORD" and m["stream"] == "once_child"
    ]
    assert records == [0, 1, 2]


def test_announce_schema_writes_before_any_record_and_only_once() -> None:
    tap = TinyTap(config={})
    child = tap.streams["once_child"]
    assert isinstance(child, SchemaOnceStream)
    messages = messages_written_by(lambda: (child.announce_schema(), tap.sync_all()))
    assert messages[0]["type"] == "SCHEMA"
    assert messages[0]["stream"] == "once_child"
    assert sum(m["type"] == "SCHEMA" and m["stream"] == "once_child" for m in messages) == 1


def test_generate_child_contexts_resumes_after_the_children_of_its_context() -> None:
    """streams.PlantsStream finishes a plant after `yield`: the SDK must sync children first."""
    events: list[str] = []

    class Watching(Parent):
        def generate_child_contexts(self, record: dict, context: Any) -> Any:
            yield self.get_child_context(record, context)
            events.append(f"after {record['id']}")

    class WatchedChild(OnceChild):
        parent_stream_type = Watching

        def get_records(self, context: Any) -> Any:
            events.append(f"child {context['parent_id']}")
            yield from super().get_records(context)

    class WatchingTap(TinyTap):
        def discover_streams(self) -> list[Stream]:
            return [Watching(self), WatchedChild(self)]

    messages_written_by(WatchingTap(config={}).sync_all)
    assert events == ["child 0", "after 0", "child 1", "after 1", "child 2", "after 2"]


def test_running_tap_invoke_builds_the_tap_from_the_options_and_runs_it() -> None:
    TinyTap.runs.clear()
    state = {"bookmarks": {"parent": {"replication_key_value": 7}}}
    messages = messages_written_by(
        lambda: TinyTap.invoke(
            config=_ConfigInput(config={"greeting": "hi"}),
            state=io.StringIO(json.dumps(state)),
        )
    )
    [tap] = TinyTap.runs
    assert tap.config["greeting"] == "hi"
    assert tap.state["bookmarks"]["parent"]["replication_key_value"] == 7
    assert any(m["type"] == "RECORD" for m in messages)


def test_running_tap_invoke_refuses_an_option_it_does_not_know() -> None:
    with pytest.raises(TypeError, match=r"not handled: \['new_option'\]"):
        TinyTap.invoke(new_option=True)
