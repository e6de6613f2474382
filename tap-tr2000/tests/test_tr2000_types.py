"""Types: revisions stay strings, IDs are integers, dates become ISO, bad values fail loudly."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from tap_tr2000.conform import Tr2000ValueError, conform_value
from testkit.tr2000 import WorldShape, generated_world

STRING = {"type": ["string", "null"]}
INTEGER = {"type": ["integer", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}


@pytest.mark.parametrize(
    ("value", "prop", "expected"),
    [
        ("00", STRING, "00"),
        ("C2", STRING, "C2"),
        ("3.3", STRING, "3.3"),
        (3.3, STRING, "3.3"),
        ("", STRING, None),
        (None, STRING, None),
        ("\r\n", STRING, "\r\n"),
        ("Johan Sverdrup P2 ", STRING, "Johan Sverdrup P2 "),
        (7, INTEGER, 7),
        ("7", INTEGER, 7),
        (7.0, INTEGER, 7),
        ("", INTEGER, None),
        ("13.10.2016", DATE, "2016-10-13"),
        ("13.10.2016 14:54", DATETIME, "2016-10-13T14:54:00+00:00"),
        ("", DATE, None),
    ],
)
def test_conform_value(value, prop, expected) -> None:
    assert conform_value(value, prop) == expected


@pytest.mark.parametrize(
    ("value", "prop"),
    [
        ("abc", INTEGER),
        (True, INTEGER),
        (1.5, INTEGER),
        ("2016-10-13", DATE),
        ("31.02.2020", DATE),
        ("13.10.2016 25:00", DATETIME),
        ({"a": 1}, STRING),
    ],
)
def test_conform_value_rejects(value, prop) -> None:
    with pytest.raises(ValueError, match="expected"):
        conform_value(value, prop)


def test_source_timezone_converts_to_utc() -> None:
    # 14:54 in Oslo in October (CEST, UTC+2) is 12:54 UTC.
    assert conform_value("13.10.2016 14:54", DATETIME, ZoneInfo("Europe/Oslo")) == (
        "2016-10-13T12:54:00+00:00"
    )


def test_real_samples_keep_revisions_and_convert_dates(tr2000_server, tap_runner) -> None:
    run = tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [110]})
    pcs = run.records["pcs"]
    assert len(pcs) == 869  # the real PCS list of plant 110
    first = pcs[0]
    assert first == {
        "PlantID": "110",
        "PCS": "AC111",
        "Revision": "0",
        "Status": "I",
        "RevDate": "2016-10-13",
        "RatingClass": "CL150",
        "TestPressure": None,
        "MaterialGroup": "CSLT",
        "DesignCode": "ASME B31.3",
        "LastUpdate": "2016-10-13T14:54:00+00:00",
        "LastUpdateBy": "EIBB",
        "Approver": "EIBB",
        "Notepad": "\r\n",
        "SpecialReqID": 0,
        "TubePCS": None,
        "NewVDSSection": "Y",
    }
    assert pcs[1]["Revision"] == "00"
    assert {r["OperatorID"] for r in run.records["operators"]} == {1, 4, 6, 7, 8, 9, 10, 13}
    sc = run.records["issue_sc_references"]
    assert {(r["SC"], r["Revision"], r["RevDate"], r["Status"]) for r in sc} == {
        ("SUMMARY", "0", "2014-04-02", "O")
    }


def test_plant_id_as_number_or_string_is_emitted_as_string(
    tr2000_server_factory, tap_runner
) -> None:
    shape = WorldShape(issues_per_plant=1, pcs_per_plant=1, revisions_per_pcs=1)
    as_numbers = generated_world(plants=2, shape=shape)
    as_strings = generated_world(plants=2, shape=shape)
    for plant in as_strings.plants:
        plant["PlantID"] = str(plant["PlantID"])
    runs = [
        tap_runner({"base_url": tr2000_server_factory(world).base_url})
        for world in (as_numbers, as_strings)
    ]
    assert runs[0].records == runs[1].records
    assert [r["PlantID"] for r in runs[0].records["plants"]] == ["1000", "1001"]


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("RevDate", "31.02.2020", "expected a date DD.MM.YYYY, got '31.02.2020'"),
        ("SpecialReqID", "n/a", "expected an integer, got 'n/a'"),
        ("LastUpdate", "yesterday", "expected a date-time"),
    ],
)
def test_unparseable_value_fails_naming_stream_url_and_field(
    tr2000_server_factory, tap_runner, field, bad, message
) -> None:
    world = generated_world(plants=1, shape=WorldShape(1, 2, 1))
    world.plant_worlds[1000].pcs_list[1][field] = bad
    server = tr2000_server_factory(world)
    with pytest.raises(Tr2000ValueError) as caught:
        tap_runner({"base_url": server.base_url})
    text = str(caught.value)
    assert f"stream pcs: field '{field}' at {server.base_url}/plants/1000/pcs" in text
    assert message in text


def test_schemas_type_ids_as_integers_and_revisions_as_strings(tr2000_server, tap_runner) -> None:
    run = tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [34]})
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert schemas["pcs_pipe_elements"]["properties"]["ElementID"]["type"] == ["integer", "null"]
    assert schemas["pcs"]["properties"]["Revision"]["type"] == ["string", "null"]
    assert schemas["issues"]["properties"]["RevDate"]["format"] == "date"
    assert schemas["plants"]["properties"]["PlantID"]["type"] == ["string"]
    for record in run.records["issues"]:
        dt.date.fromisoformat(record["RevDate"])


@pytest.mark.parametrize(
    ("path", "field", "stream"),
    [
        ("plants", "PlantID", "plants"),
        ("issues", "IssueRevision", "issues"),
        ("pcs_list", "Revision", "pcs"),
    ],
)
def test_row_without_a_crawl_key_fails(
    tr2000_server_factory, tap_runner, path, field, stream
) -> None:
    world = generated_world(plants=1, shape=WorldShape(1, 2, 1))
    rows = {
        "plants": world.plants,
        "issues": world.plant_worlds[1000].issues,
        "pcs_list": world.plant_worlds[1000].pcs_list,
    }[path]
    rows[-1][field] = ""
    server = tr2000_server_factory(world)
    with pytest.raises(
        Tr2000ValueError,
        match=rf"stream {stream}: row {len(rows)} at http://\S+ "
        rf"has no \['{field}'\]",
    ):
        tap_runner({"base_url": server.base_url})


def test_fields_outside_the_schema_are_reported(tr2000_server_factory, tap_runner, caplog) -> None:
    world = generated_world(plants=1, shape=WorldShape(1, 1, 1))
    world.operators[0]["OperatorCountry"] = "Norway"
    server = tr2000_server_factory(world)
    tap_runner({"base_url": server.base_url})
    assert "fields ['OperatorCountry'] at " + server.base_url + "/operators" in caplog.text
    assert "not in the schemas, not extracted: {'operators': ['OperatorCountry']}" in caplog.text
