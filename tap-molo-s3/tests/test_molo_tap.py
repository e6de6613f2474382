"""tap-molo-s3: the SDK's standard tap tests and every table of a generated MOLO export."""

from __future__ import annotations

from datetime import datetime

from tap_molo_s3.tap import TapMoloS3
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
SAMPLE_CONFIG, _EXPORT = serve_export("molo", datetime(2025, 12, 21, 5, 0, 3), rows=6)

TestTapMoloS3 = standard_tap_test_class(TapMoloS3, SAMPLE_CONFIG)


def test_every_spec_table_is_a_stream_with_its_key():
    spec = load_spec("molo")
    tap = TapMoloS3(config=SAMPLE_CONFIG)
    assert len(spec["tables"]) == 50
    assert sorted(tap.streams) == sorted(table["stream"] for table in spec["tables"])
    for table in spec["tables"]:
        stream = tap.streams[table["stream"]]
        assert stream.primary_keys == table["key"]
        assert stream.member == table["member"]


def test_every_table_loads_with_row_counts_and_keys():
    output = run_tap(TapMoloS3, SAMPLE_CONFIG)
    assert set(output.records) == set(_EXPORT.rows)
    for stream, count in _EXPORT.rows.items():
        records = output.records[stream]
        assert len(records) == count, stream
        keys = [
            tuple(str(r[name]) for name in output.schemas[stream]["key_properties"])
            for r in records
        ]
        assert keys == _EXPORT.keys[stream], stream
    # The user, credential, token and card members are not streams unless asked for.
    assert "asp_net_users" not in output.records
    assert "contact_auth_credential" not in output.records


def test_molo_values_are_typed_from_the_spec():
    record = run_tap(TapMoloS3, SAMPLE_CONFIG).records["invoices"][0]
    schema = TapMoloS3(config=SAMPLE_CONFIG).streams["invoices"].schema["properties"]
    for name, value in record.items():
        if value is None or name.startswith("_sdc_"):
            continue
        expected = schema[name]["type"][0]
        python_type = {"integer": int, "number": float, "boolean": bool, "string": str}[expected]
        assert isinstance(value, python_type), (name, value)
        if schema[name].get("format") == "date-time":
            assert datetime.fromisoformat(value).year == 2025


def test_default_key_pattern_matches_the_real_export_name():
    tap = TapMoloS3(config=SAMPLE_CONFIG)
    assert tap.key_pattern.timestamp("20251221050003.zip") == datetime.fromisoformat(
        "2025-12-21T05:00:03+00:00"
    )
    assert tap.key_pattern.timestamp("backup-20251221.zip") is None


def test_every_stream_has_unique_non_null_keys_and_records_valid_as_a_target_reads_them():
    check_keys_and_records(TapMoloS3, SAMPLE_CONFIG, _EXPORT.rows)


def test_schemas_carry_the_spec_limits_contract_c1():
    check_spec_limits(TapMoloS3, "molo", SAMPLE_CONFIG)


def test_last_state_of_a_complete_run_carries_sync_completed_contract_c2():
    check_sync_completed(TapMoloS3, SAMPLE_CONFIG)


def test_the_bundled_sample_export_fits_the_schemas():
    check_bundled_sample(TapMoloS3, "molo")
