"""Per-plant bookmarks: unchanged plants are skipped with their children; no state = reload."""

from __future__ import annotations

import pytest
from tap_tr2000.client import Tr2000Error
from testkit.tr2000 import WorldShape, generated_world

SHAPE = WorldShape(issues_per_plant=2, pcs_per_plant=3, revisions_per_pcs=3, vds_count=2)
PLANTS = 3


@pytest.fixture
def server(tr2000_server_factory):
    return tr2000_server_factory(generated_world(plants=PLANTS, shape=SHAPE))


def _bookmarks(state: dict) -> dict[str, str]:
    partitions = state["bookmarks"]["issues"]["partitions"]
    return {
        p["context"]["PlantID"]: p["latest_issue_revision"]
        for p in partitions
        if "latest_issue_revision" in p
    }


def test_no_change_run_makes_at_most_two_per_plant_plus_one(server, tap_runner) -> None:
    config = {"base_url": server.base_url}
    first = tap_runner(config)
    assert _bookmarks(first.final_state) == {"1000": "2", "1001": "2", "1002": "2"}
    assert first.count("pcs_headers") > 0

    server.reset_log()
    second = tap_runner(config, state=first.final_state)
    requests = server.paths()
    assert len(requests) <= 2 * PLANTS + 1
    assert sorted(requests) == sorted(
        ["/operators", "/plants", *[f"/plants/{pid}/issues" for pid in (1000, 1001, 1002)]]
    )
    for stream in ["issues", "issue_pcs_references", "plant_details", "pcs", "pcs_headers"]:
        assert second.count(stream) == 0, stream
    # Operators and plants are small full-table streams: always re-sent.
    assert second.count("plants") == PLANTS
    assert _bookmarks(second.final_state) == _bookmarks(first.final_state)


def test_no_change_run_still_announces_every_selected_stream(server, tap_runner) -> None:
    """A target on a new database must get every table even when every plant is skipped."""
    config = {"base_url": server.base_url}
    first = tap_runner(config)
    second = tap_runner(config, state=first.final_state)
    announced = {m["stream"] for m in second.messages if m["type"] == "SCHEMA"}
    assert second.count("pcs_headers") == 0
    assert announced == {m["stream"] for m in first.messages if m["type"] == "SCHEMA"}
    assert {"issues", "issue_pcs_references", "pcs", "pcs_headers"} <= announced


def test_a_new_issue_revision_reloads_only_that_plant(server, tap_runner) -> None:
    config = {"base_url": server.base_url}
    first = tap_runner(config)
    new_revision = server.world.publish_issue(1001)

    server.reset_log()
    run = tap_runner(config, state=first.final_state)
    assert {r["PlantID"] for r in run.records["issues"]} == {"1001"}
    assert new_revision in {r["IssueRevision"] for r in run.records["issues"]}
    assert {r["PlantID"] for r in run.records["pcs_headers"]} == {"1001"}
    assert {r["IssueRevision"] for r in run.records["issue_sc_references"]} == {"1", "2", "3"}
    assert not [
        p
        for p in server.paths()
        if p.startswith(("/plants/1000/", "/plants/1002/")) and not p.endswith("/issues")
    ]
    assert _bookmarks(run.final_state) == {"1000": "2", "1001": new_revision, "1002": "2"}


def test_no_state_reloads_everything_like_full_refresh(server, tap_runner) -> None:
    config = {"base_url": server.base_url}
    first = tap_runner(config)
    tap_runner(config, state=first.final_state)  # a no-change run in between
    # `meltano run --full-refresh` passes no state: every plant is extracted again.
    again = tap_runner(config)
    for stream, records in first.records.items():
        assert again.records[stream] == records, stream


def test_failed_plant_keeps_its_old_bookmark_and_finished_plants_keep_theirs(
    server, tap_runner
) -> None:
    config = {"base_url": server.base_url}
    server.add_fault(r"^/plants/1001/pcs$", "status", status=500)
    states: list[dict] = []
    with pytest.raises(Tr2000Error, match=r"/plants/1001/pcs: HTTP 500"):
        tap_runner(config, on_message=lambda m: m["type"] == "STATE" and states.append(m))
    # Plant 1000 finished before the failure and its bookmark was emitted; 1001 had none.
    assert _bookmarks(states[-1]["value"]) == {"1000": "2"}

    server.clear_faults()
    server.reset_log()
    rerun = tap_runner(config, state=states[-1]["value"])
    assert {r["PlantID"] for r in rerun.records["issues"]} == {"1001", "1002"}
    assert _bookmarks(rerun.final_state) == {"1000": "2", "1001": "2", "1002": "2"}


def test_plant_without_issues_is_bookmarked_too(tr2000_server, tap_runner) -> None:
    # Plant 7 has issues in the sample world, plant 108 has none.
    config = {"base_url": tr2000_server.base_url, "plant_ids": [108, 7]}
    first = tap_runner(config)
    assert _bookmarks(first.final_state) == {"108": None, "7": "2"}
    tr2000_server.reset_log()
    tap_runner(config, state=first.final_state)
    assert tr2000_server.count(r"^/plants/\d+/pcs") == 0
    assert tr2000_server.count(r"^/plants/\d+$") == 0
