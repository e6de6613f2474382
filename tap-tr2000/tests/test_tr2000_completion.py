"""Contract C2: only the last STATE of a run that read everything carries `sync_completed`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tap_tr2000.client import Tr2000Error
from testkit.tr2000 import WorldShape, generated_world

SHAPE = WorldShape(issues_per_plant=2, pcs_per_plant=2, revisions_per_pcs=2, vds_count=2)


@pytest.fixture
def server(tr2000_server_factory):
    return tr2000_server_factory(generated_world(plants=2, shape=SHAPE))


def _states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["value"] for m in messages if m["type"] == "STATE"]


def test_complete_run_ends_with_the_marker_in_its_last_state_only(server, tap_runner) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run = tap_runner({"base_url": server.base_url})
    states = _states(run.messages)
    marker = states[-1]["sync_completed"]
    assert marker["tap"] == "tap-tr2000"
    at = dt.datetime.fromisoformat(marker["at"])
    assert at.utcoffset() == dt.timedelta(0)
    assert before <= at <= dt.datetime.now(dt.UTC)
    assert all("sync_completed" not in s for s in states[:-1])
    # Nothing follows it: it is the run's last message.
    assert run.messages[-1]["type"] == "STATE"
    assert run.messages[-1]["value"] == states[-1]


def test_failed_run_never_emits_the_marker(server, tap_runner) -> None:
    server.add_fault(r"^/plants/1001/pcs$", "status", status=500)
    seen: list[dict[str, Any]] = []
    with pytest.raises(Tr2000Error, match=r"/plants/1001/pcs: HTTP 500"):
        tap_runner({"base_url": server.base_url}, on_message=seen.append)
    states = _states(seen)
    assert states, "plant 1000 finished and emitted its progress"
    # Records written after the last STATE still reach stdout (the writer drains on failure).
    last_state = max(i for i, m in enumerate(seen) if m["type"] == "STATE")
    assert any(m["type"] == "RECORD" for m in seen[last_state:])
    assert all("sync_completed" not in s for s in states)


def test_input_marker_is_dropped_and_a_no_change_run_is_complete(server, tap_runner) -> None:
    first = tap_runner({"base_url": server.base_url})
    old = first.final_state
    old["sync_completed"]["at"] = "2000-01-01T00:00:00+00:00"
    second = tap_runner({"base_url": server.base_url}, state=old)
    states = _states(second.messages)
    # The input state is echoed first, without the old marker; bookmarks were kept.
    assert "sync_completed" not in states[0]
    assert states[0]["bookmarks"]["issues"] == old["bookmarks"]["issues"]
    assert second.count("pcs") == 0
    assert states[-1]["sync_completed"]["at"] != "2000-01-01T00:00:00+00:00"


def test_one_schema_per_stream_before_its_records(server, tap_runner) -> None:
    run = tap_runner({"base_url": server.base_url})
    schemas = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert sorted(schemas) == sorted(set(schemas))
    assert set(run.records) <= set(schemas)
    first_record = next(i for i, m in enumerate(run.messages) if m["type"] == "RECORD")
    assert all(m["type"] != "SCHEMA" for m in run.messages[first_record:])
