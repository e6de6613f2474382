"""The three `pcs_revisions` scopes, 404 on a revision's detail, header scalar copying."""

from __future__ import annotations

import datetime as dt

import pytest
from tap_tr2000.client import Tr2000Error
from testkit.tr2000 import WorldShape, generated_world

SHAPE = WorldShape(issues_per_plant=2, pcs_per_plant=4, revisions_per_pcs=3, vds_count=2)
DETAIL_STREAMS = [
    "pcs_headers",
    "pcs_temp_pressures",
    "pcs_pipe_sizes",
    "pcs_pipe_elements",
    "pcs_valve_elements",
    "pcs_embedded_notes",
]


@pytest.fixture
def world():
    return generated_world(plants=1, shape=SHAPE)


def _expected(world, scope: str) -> set[tuple[str, str]]:
    """Computed from the world's data, independently of the tap's code."""
    listed = world.plant_worlds[1000].pcs_list
    if scope == "all":
        return {(p["PCS"], p["Revision"]) for p in listed}
    if scope == "latest":
        newest: dict[str, tuple[dt.date, int, str]] = {}
        for position, p in enumerate(listed):
            rank = (dt.datetime.strptime(p["RevDate"], "%d.%m.%Y").date(), position, p["Revision"])
            newest[p["PCS"]] = max(newest.get(p["PCS"], rank), rank)
        return {(pcs, rank[2]) for pcs, rank in newest.items()}
    refs = world.plant_worlds[1000].references
    return {
        (r["PCS"], r["OfficialRevision"])
        for (_, kind), rows in refs.items()
        if kind == "pcs"
        for r in rows
    }


@pytest.mark.parametrize(("scope", "per_pcs"), [("all", 3), ("latest", 1), ("issue_referenced", 2)])
def test_revision_scope_selects_detail_calls(
    tr2000_server_factory, tap_runner, world, scope, per_pcs
) -> None:
    server = tr2000_server_factory(world)
    run = tap_runner({"base_url": server.base_url, "pcs_revisions": scope})
    expected = _expected(world, scope)
    assert len(expected) == 4 * per_pcs
    for stream in DETAIL_STREAMS:
        got = {(r["PCS"], r["PCSRevision"]) for r in run.records[stream]}
        assert got == expected, stream
    # The PCS list itself always carries every revision.
    assert run.count("pcs") == 12
    assert server.count(r"/pcs/[^/]+/rev/[^/]+$") == len(expected)
    assert server.count(r"/rev/[^/]+/valve-elements$") == len(expected)


def test_referenced_revision_missing_from_the_list_is_counted(
    tr2000_server_factory, tap_runner, world
) -> None:
    refs = world.plant_worlds[1000].references[("2", "pcs")]
    refs.append({**refs[0], "PCS": "ZZ999", "Revision": "B", "OfficialRevision": "B"})
    server = tr2000_server_factory(world)
    run = tap_runner({"base_url": server.base_url})
    assert run.tap.crawler.counters.unlisted_referenced_revisions == 1
    assert "ZZ999" not in {r["PCS"] for r in run.records["pcs_headers"]}
    assert server.count("ZZ999") == 0


def test_404_on_one_revision_detail_is_a_counted_warning(
    tr2000_server_factory, tap_runner, world, caplog
) -> None:
    first = world.plant_worlds[1000].pcs_list[0]
    world.missing_pcs_details.add((1000, first["PCS"], first["Revision"]))
    server = tr2000_server_factory(world)
    run = tap_runner({"base_url": server.base_url, "pcs_revisions": "all"})
    assert run.tap.crawler.counters.missing_pcs_details == 6
    missing = (first["PCS"], first["Revision"])
    for stream in DETAIL_STREAMS:
        got = {(r["PCS"], r["PCSRevision"]) for r in run.records[stream]}
        assert missing not in got
        assert len(got) == 11, stream
    assert "HTTP 404 for http://" in caplog.text
    assert f"/pcs/{first['PCS']}/rev/{first['Revision']}/pipe-sizes" in caplog.text


def test_header_scalars_and_context_are_copied_onto_rows(tr2000_server, tap_runner) -> None:
    run = tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [34]})
    issues = run.records["issues"]
    header = tr2000_server.world.plant_worlds[34].issues_header
    assert issues
    for row in issues:
        assert row["UserName"] == header["UserName"]
        assert (
            row["UserEntryTime"]
            == dt.datetime.strptime(header["UserEntryTime"], "%d.%m.%Y %H:%M")
            .replace(tzinfo=dt.UTC)
            .isoformat()
        )
        assert row["UserProtected"] is None  # "" in the envelope
        assert row["PlantID"] == "34"
    # The real AD100 rev C2 pipe elements: header PCS, Revision, MaterialGroupID on every row.
    ad100 = [r for r in run.records["pcs_pipe_elements"] if r["PCS"] == "AD100"]
    assert len(ad100) == 6
    assert {(r["Revision"], r["PCSRevision"], r["MaterialGroupID"]) for r in ad100} == {
        ("C2", "C2", 7)
    }
    assert ad100[0]["InitialInfo"] == "ASME B36.19/10.524SmlsA790 S31803DP101"
    sizes = run.records["pcs_pipe_sizes"]
    assert sizes
    assert all(r["Revision"] == r["PCSRevision"] for r in sizes)
    refs = run.records["issue_pcs_references"]
    assert {r["IssueRevision"] for r in refs} == {"1", "2"}


def test_embedded_notes_are_found_by_prefix(tr2000_server_factory, tap_runner, world) -> None:
    world.embedded_notes_key = "getEmbeddedNote"
    server = tr2000_server_factory(world)
    run = tap_runner({"base_url": server.base_url})
    notes = run.records["pcs_embedded_notes"]
    assert notes
    # NoteSequence numbers rows within each revision's response.
    firsts = [n for n in notes if n["NoteSequence"] == 1]
    assert len(firsts) == len({(n["PCS"], n["PCSRevision"]) for n in notes})


def test_embedded_notes_without_the_array_fail(tr2000_server_factory, tap_runner, world) -> None:
    world.embedded_notes_key = "getNotes"
    server = tr2000_server_factory(world)
    with pytest.raises(Tr2000Error, match=r"embedded-notes lacks the array 'getEmbeddedNote'"):
        tap_runner({"base_url": server.base_url})


def test_only_a_detail_stream_selected(
    tr2000_server_factory, tap_runner, catalog_for, world
) -> None:
    """Deselected parents still drive their selected children; nothing else is emitted."""
    server = tr2000_server_factory(world)
    config = {"base_url": server.base_url}
    run = tap_runner(config, catalog=catalog_for(config, {"pcs_headers"}))
    assert set(run.records) == {"pcs_headers"}
    assert len(run.records["pcs_headers"]) == len(_expected(world, "issue_referenced"))
    # Issue references were read for the revision scope, other reference types were not.
    assert server.count(r"/issues/rev/[^/]+/pcs$") == 2
    assert server.count(r"/issues/rev/[^/]+/sc$") == 0
    assert server.count(r"/temp-pressures$") == 0
    assert run.final_state["bookmarks"]["issues"]["partitions"][0]["latest_issue_revision"] == "2"
