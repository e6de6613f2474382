"""tap-stellar-s3: the SDK's standard tap tests and every table of a generated Stellar export."""

from __future__ import annotations

from datetime import datetime

from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.generator import load_spec
from testkit.marina.runner import run_tap
from testkit.marina.s3server import serve_export
from testkit.marina.standard import standard_tap_test_class
from testkit.marina.tap_contracts import (
    check_bundled_sample,
    check_keys_and_records,
    check_spec_limits,
    check_sync_completed,
)

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
    check_keys_and_records(TapStellarS3, SAMPLE_CONFIG, _EXPORT.rows)


def test_schemas_carry_the_spec_limits_contract_c1():
    check_spec_limits(TapStellarS3, "stellar", SAMPLE_CONFIG)


def test_last_state_of_a_complete_run_carries_sync_completed_contract_c2():
    check_sync_completed(TapStellarS3, SAMPLE_CONFIG)


def test_the_bundled_sample_export_fits_the_schemas():
    check_bundled_sample(TapStellarS3, "stellar")
