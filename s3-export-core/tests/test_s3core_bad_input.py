"""The bad-input corpus (testkit.marina.corpus): every bad member or archive fails, says where,
and activates nothing; rows quarantined by on_bad_row are counted; the last good load stands."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import zipfile

import pytest
from s3_export_core.errors import ExportError
from s3_export_core.tap import SYNC_COMPLETED
from tap_molo_s3.tap import TapMoloS3
from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.corpus import (
    ARCHIVE_CASES,
    COMPANION,
    DAMAGED,
    ROWS,
    BadExport,
    good_export,
    member_cases,
    quarantine_cases,
)
from testkit.marina.runner import run_tap, run_tap_failing

TAPS = {"molo": TapMoloS3, "stellar": TapStellarS3}
ERROR_CASES = [*member_cases(), *ARCHIVE_CASES]


def _assert_failed_safely(
    case: BadExport, error: Exception, output, location: str, state_in: dict | None = None
) -> None:
    assert isinstance(error, ExportError), f"{type(error).__name__}: {error}"
    message = str(error)
    for fragment in case.expected(location):
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # Nothing is retired: no stream of the run is activated, not even the good companion.
    assert not output.activated, output.activated
    assert SYNC_COMPLETED not in output.state

    # No bookmark moves to the bad snapshot.
    def bookmarks(state: dict | None) -> dict:
        return {k: v for k, v in (state or {}).get("bookmarks", {}).items() if v}

    assert bookmarks(output.state) == bookmarks(state_in)


def test_the_corpus_is_large_and_its_ids_unique():
    ids = [case.id for case in [*ERROR_CASES, *quarantine_cases()]]
    assert len(ids) == len(set(ids))
    assert len(ERROR_CASES) >= 80


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda case: case.id)
def test_bad_export_fails_naming_where_and_activates_nothing(tmp_path, case):
    path = case.write(tmp_path / "exports")
    error, output = run_tap_failing(TAPS[case.kind], {"local_path": str(path.parent)})
    _assert_failed_safely(case, error, output, str(path))


@pytest.mark.parametrize(
    "case_id",
    [
        "molo_member_nul_only",
        "molo_member_header_without_key",
        "stellar_member_nul_only",
        "stellar_member_header_without_key",
        "zip_empty",
        "gzip_trailer_cut_large",
        "tar_cut_between_members",
    ],
)
def test_bad_export_in_s3_names_bucket_and_key(moto_s3, s3_bucket, case_id):
    case = next(case for case in ERROR_CASES if case.id == case_id)
    moto_s3.client().put_object(Bucket=s3_bucket, Key=case.key, Body=case.build())
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}
    error, output = run_tap_failing(TAPS[case.kind], config)
    _assert_failed_safely(case, error, output, f"s3://{s3_bucket}/{case.key}")


@pytest.mark.parametrize("case_id", ["molo_member_nul_only", "stellar_member_header_without_key"])
def test_bad_export_after_a_good_one_leaves_the_good_load_standing(tmp_path, case_id):
    """The tap's half of 'earlier rows keep SDC_DELETED_AT null': the good run activated its
    version and recorded its snapshot; the bad run activates nothing and moves no bookmark."""
    case = next(case for case in ERROR_CASES if case.id == case_id)
    folder = tmp_path / "exports"
    folder.mkdir()
    older = folder / case.key.replace("2025", "2024", 1)
    older.write_bytes(good_export(case.kind))
    good = run_tap(TAPS[case.kind], {"local_path": str(folder)})
    assert set(good.activated) == {DAMAGED[case.kind], COMPANION[case.kind]}
    assert len(good.records[DAMAGED[case.kind]]) == ROWS
    assert good.state[SYNC_COMPLETED]["tap"] == TAPS[case.kind].name

    case.write(folder)  # newer: chosen next
    error, output = run_tap_failing(TAPS[case.kind], {"local_path": str(folder)}, state=good.state)
    _assert_failed_safely(case, error, output, str(folder / case.key), good.state)


@pytest.mark.parametrize("case", quarantine_cases(), ids=lambda case: case.id)
def test_bad_rows_quarantined_by_policy_are_counted(tmp_path, case, caplog):
    path = case.write(tmp_path / "exports")
    with caplog.at_level(logging.INFO):
        output = run_tap(TAPS[case.kind], {"local_path": str(path.parent), **case.config})
    damaged = DAMAGED[case.kind]
    records = output.records[damaged]
    assert len(records) == case.loaded
    assert set(output.activated) == {damaged, COMPANION[case.kind]}
    kept = [r for r in records if r.get("_sdc_extra")]
    end_line = f"Stream {damaged}: {case.loaded} records from {path}"
    assert end_line in caplog.text
    if case.config["on_bad_row"] == "skip":
        assert f"({case.skipped} skipped, 0 kept with problems" in caplog.text
        assert not kept
    else:
        assert "(0 skipped, 1 kept with problems" in caplog.text
        assert len(kept) == 1
        assert kept[0]["_sdc_extra"]  # the problem and the raw text travel with the row


def test_null_spellings_are_null_in_typed_columns_and_text_in_string_columns(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "20251221050003.zip", "w") as archive:
        # Reservations lists no null tokens of its own for Rate; NULL still means null there.
        archive.writestr(
            "Reservations.csv", "Id,Rate,Name\n1,NULL,NULL\n2,null,x\n3,N/A,y\n4,7,z\n"
        )
    with zipfile.ZipFile(folder / "20251221050003.zip", "a") as archive:
        archive.writestr("AccountStatus.csv", "Id,Name\n1,NONE\n")
    output = run_tap(TapMoloS3, {"local_path": str(folder)})
    reservations = output.records["reservations"]
    assert [r["Rate"] for r in reservations] == [None, None, None, 7]
    status = output.records["account_status"]
    spec_nulls = next(
        t
        for t in json.loads(TapMoloS3.spec_file.read_text())["tables"]
        if t["stream"] == "account_status"
    ).get("null_tokens", [""])
    # String columns follow their table's spec: MOLO's tables list NONE as null.
    assert status[0]["Name"] == (None if "NONE" in spec_nulls else "NONE")


def test_stellar_string_columns_keep_null_spellings_as_text(tmp_path):
    from testkit.marina.corpus import tar_gz_bytes

    folder = tmp_path / "exports"
    folder.mkdir()
    member = (
        "id,accessory_id,value,use_striped_background,created_at,updated_at\n"
        "1,NULL,NULL,N/A,NULL,2025-01-02 03:04:05\n"
    )
    data = tar_gz_bytes([("data/accessory_options.csv", member.encode())])
    (folder / "prod_resilient_2025-12-21_07_01-DATA.sql.gz").write_bytes(data)
    record = run_tap(TapStellarS3, {"local_path": str(folder)}).records["accessory_options"][0]
    assert record["accessory_id"] is None
    assert record["created_at"] is None
    assert record["value"] == "NULL"  # Stellar's spec has no null tokens beyond ''
    assert record["use_striped_background"] == "N/A"


@pytest.mark.parametrize("case_id", ["molo_member_nul_only", "gzip_trailer_cut_large"])
def test_cli_exits_non_zero_with_the_location_on_its_last_line(tmp_path, case_id):
    case = next(case for case in ERROR_CASES if case.id == case_id)
    path = case.write(tmp_path / "exports")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"local_path": str(path.parent)}))
    module = TAPS[case.kind].__module__
    result = subprocess.run(
        [sys.executable, "-m", module, "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert str(path) in last
    assert "Traceback" not in result.stderr
    assert '"type":"ACTIVATE_VERSION"' not in result.stdout.replace(" ", "")


def test_tables_under_another_folder_load_and_say_from_where(tmp_path, caplog):
    from testkit.marina.corpus import good_member, tar_gz_bytes

    folder = tmp_path / "exports"
    folder.mkdir()
    data = tar_gz_bytes([("export/tables/holidays.csv", good_member("stellar", "holidays"))])
    (folder / "prod_resilient_2025-12-21_07_01-DATA.sql.gz").write_bytes(data)
    with caplog.at_level(logging.INFO):
        output = run_tap(TapStellarS3, {"local_path": str(folder)})
    records = output.records["holidays"]
    assert len(records) == ROWS
    assert {r["_sdc_source_member"] for r in records} == {"export/tables/holidays.csv"}
    assert "data/holidays.csv is read from export/tables/holidays.csv" in caplog.text
