"""tap-stellar-s3: the SDK's standard tap tests and every table of a generated Stellar export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.checks import primary_keys_unique, records_match_schemas
from testkit.marina.generator import load_spec
from testkit.marina.runner import run_tap
from testkit.marina.s3server import serve_export
from testkit.marina.standard import standard_tap_test_class

# The standard tests are built at import time, so their moto server and export are too.
SAMPLE_CONFIG, _EXPORT = serve_export("stellar", datetime(2025, 12, 21, 7, 1), rows=9)

TestTapStellarS3 = standard_tap_test_class(TapStellarS3, SAMPLE_CONFIG)


def test_keys_follow_the_reference_including_composites():
    tap = TapStellarS3(config=SAMPLE_CONFIG)
    spec = load_spec("stellar")
    assert len(spec["tables"]) == 29
    assert tap.streams["holidays"].primary_keys == ["location_id", "holiday_date"]
    assert tap.streams["booking_accessories"].primary_keys == ["booking_id", "accessory_id"]
    assert tap.streams["customers"].primary_keys == ["user_id"]
    assert tap.streams["style_prices"].primary_keys == ["time_id"]
    assert tap.streams["customers"].member == "data/customers.csv"


def test_every_table_loads_with_row_counts_and_unique_keys():
    output = run_tap(TapStellarS3, SAMPLE_CONFIG)
    assert set(output.records) == set(_EXPORT.rows)
    for stream, count in _EXPORT.rows.items():
        records = output.records[stream]
        key = output.schemas[stream]["key_properties"]
        keys = [tuple(str(r[name]) for name in key) for r in records]
        assert len(records) == count, stream
        assert keys == _EXPORT.keys[stream], stream
        assert len(set(keys)) == len(keys), stream
    assert output.records["holidays"][0]["holiday_date"] == "2025-03-05"


def test_snapshot_time_comes_from_the_key():
    record = run_tap(TapStellarS3, SAMPLE_CONFIG).records["locations"][0]
    assert record["_sdc_snapshot_at"] == "2025-12-21T07:01:00+00:00"
    assert record["_sdc_source_key"] == "prod_resilient_2025-12-21_07_01-DATA.sql.gz"


def test_every_stream_has_unique_non_null_keys_and_records_valid_as_a_target_reads_them():
    output = run_tap(TapStellarS3, SAMPLE_CONFIG)
    counts = primary_keys_unique(output)
    assert counts == _EXPORT.rows
    assert records_match_schemas(output) == sum(_EXPORT.rows.values())


def test_schemas_carry_the_spec_limits_contract_c1():
    spec = load_spec("stellar")
    tap = TapStellarS3(config=SAMPLE_CONFIG)
    seen = {"decimal": 0, "integer": 0, "string": 0}
    for table in spec["tables"]:
        properties = tap.streams[table["stream"]].schema["properties"]
        for column in table["columns"]:
            schema = properties[column["name"]]
            if "precision" in column and column["type"] == "number":
                digits, scale = column["precision"] - column["scale"], column["scale"]
                assert schema["multipleOf"] == float(10**-scale)
                assert schema["maximum"] == -schema["minimum"]
                assert round(schema["maximum"] + 10**-scale, scale) == 10**digits
                seen["decimal"] += 1
            elif "precision" in column and column["type"] == "integer":
                assert schema["maximum"] == 10 ** (column["precision"] - column["scale"]) - 1
                seen["integer"] += 1
            elif "max_length" in column:
                assert schema["maxLength"] == column["max_length"]
                seen["string"] += 1
            else:
                assert not {"maxLength", "maximum", "multipleOf"} & set(schema), column
    assert all(seen.values()), seen


def test_last_state_of_a_complete_run_carries_sync_completed_contract_c2():
    output = run_tap(TapStellarS3, SAMPLE_CONFIG)
    states = [m["value"] for m in output.messages if m["type"] == "STATE"]
    assert output.messages[-1]["type"] == "STATE"
    marker = states[-1]["sync_completed"]
    assert marker["tap"] == "tap-stellar-s3"
    assert datetime.fromisoformat(marker["at"]).tzinfo is not None
    assert all("sync_completed" not in state for state in states[:-1])
    # Fed back as input state, the marker is dropped: it is not a bookmark.
    again = run_tap(TapStellarS3, SAMPLE_CONFIG, state=states[-1])
    states_again = [m["value"] for m in again.messages if m["type"] == "STATE"]
    assert all("sync_completed" not in state for state in states_again[:-1])
    assert states_again[-1]["sync_completed"]["at"] >= marker["at"]


def test_the_bundled_sample_export_fits_the_schemas():
    """The demo's samples/stellar/ export: every record valid (C1 bounds included), keys unique."""
    samples = Path(__file__).resolve().parents[2] / "samples" / "stellar"
    output = run_tap(TapStellarS3, {"local_path": str(samples)})
    assert records_match_schemas(output) == sum(primary_keys_unique(output).values()) > 0
