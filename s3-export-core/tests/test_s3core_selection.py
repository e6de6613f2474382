"""Snapshot selection against moto's S3 server: pagination, ordering, GLACIER, named keys."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from s3_export_core.errors import ExportError
from s3_export_core.selection import KeyPattern, named_snapshot, select_snapshot
from s3_export_core.settings import with_defaults
from s3_export_core.storage import LocalStorage, S3Storage
from tap_molo_s3.tap import TapMoloS3
from testkit.marina.fixtures import upload_export
from testkit.marina.runner import run_tap

MOLO_PATTERN = KeyPattern(r"^(?P<timestamp>\d{14})\.zip$", "%Y%m%d%H%M%S")


def _storage(moto_s3, bucket: str) -> S3Storage:
    return S3Storage(
        with_defaults(
            TapMoloS3.config_jsonschema, {"bucket": bucket, "endpoint_url": moto_s3.endpoint_url}
        )
    )


def test_selection_reads_every_page_of_a_large_bucket(moto_s3, s3_bucket, caplog):
    client = moto_s3.client()
    keys = [f"2025{month:02d}{day:02d}050003.zip" for month in range(1, 13) for day in range(1, 29)]
    keys += [f"logs/run-{index:04d}.txt" for index in range(1100 - len(keys))]
    # The newest export sorts last by name, so it is only found past the first 1000 keys.
    keys.append("zz/20261231235959.zip")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=s3_bucket, Key=key, Body=b"x"), keys))
    with caplog.at_level(logging.INFO):
        snapshot = select_snapshot(_storage(moto_s3, s3_bucket), "", MOLO_PATTERN)
    assert snapshot.key == "zz/20261231235959.zip"
    assert snapshot.taken_at == datetime.fromisoformat("2026-12-31T23:59:59+00:00")
    assert "runner-up: 20251228050003.zip" in caplog.text
    assert "1101 objects" in caplog.text


def test_key_timestamp_wins_over_last_modified(moto_s3, s3_bucket):
    client = moto_s3.client()
    client.put_object(Bucket=s3_bucket, Key="20251222050003.zip", Body=b"newer export")
    client.put_object(Bucket=s3_bucket, Key="20251221050003.zip", Body=b"uploaded later")
    assert select_snapshot(_storage(moto_s3, s3_bucket), "", MOLO_PATTERN).key == (
        "20251222050003.zip"
    )


def test_equal_timestamps_fall_back_to_last_modified_then_key(tmp_path):
    folder = tmp_path / "exports"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    for name in ("a/20251221050003.zip", "b/20251221050003.zip"):
        (folder / name).write_bytes(b"x")
    import os

    os.utime(folder / "a/20251221050003.zip", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "b/20251221050003.zip", (1_700_000_000, 1_700_000_000))
    assert select_snapshot(LocalStorage(folder), "", MOLO_PATTERN).key == "b/20251221050003.zip"
    os.utime(folder / "a/20251221050003.zip", (1_700_000_500, 1_700_000_500))
    assert select_snapshot(LocalStorage(folder), "", MOLO_PATTERN).key == "a/20251221050003.zip"


def test_equal_last_modified_in_s3_picks_greatest_key(moto_s3, s3_bucket):
    client = moto_s3.client()
    keys = ("exports/b/20251221050003.zip", "exports/a/20251221050003.zip")
    # Same key timestamp and the same LastModified second: only the key can decide. Start the
    # uploads right after a second begins, so both land in it (checked below, never assumed).
    time.sleep(1 - time.time() % 1)
    for key in keys:
        client.put_object(Bucket=s3_bucket, Key=key, Body=b"x")
    listed = {o.key: o.last_modified for o in _storage(moto_s3, s3_bucket).list_objects("")}
    assert len(set(listed.values())) == 1, listed
    snapshot = select_snapshot(_storage(moto_s3, s3_bucket), "exports/", MOLO_PATTERN)
    assert snapshot.key == "exports/b/20251221050003.zip"


def test_glacier_objects_are_skipped_with_a_warning(moto_s3, s3_bucket, caplog):
    client = moto_s3.client()
    client.put_object(Bucket=s3_bucket, Key="20251220050003.zip", Body=b"x")
    client.put_object(Bucket=s3_bucket, Key="20251221050003.zip", Body=b"x", StorageClass="GLACIER")
    client.put_object(
        Bucket=s3_bucket, Key="20251222050003.zip", Body=b"x", StorageClass="DEEP_ARCHIVE"
    )
    with caplog.at_level(logging.WARNING):
        snapshot = select_snapshot(_storage(moto_s3, s3_bucket), "", MOLO_PATTERN)
    assert snapshot.key == "20251220050003.zip"
    assert "20251221050003.zip: storage class GLACIER" in caplog.text
    assert "storage class DEEP_ARCHIVE" in caplog.text


def test_named_snapshot_is_loaded_even_when_not_newest(moto_s3, s3_bucket, marina_export):
    older = marina_export("molo", rows=3, streams={"piers"}, when=datetime(2025, 12, 20, 5))
    newer = marina_export("molo", rows=7, streams={"piers"}, when=datetime(2025, 12, 21, 5))
    client = moto_s3.client()
    upload_export(client, s3_bucket, older.path.name, older.path)
    upload_export(client, s3_bucket, newer.path.name, newer.path)
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}
    latest = run_tap(TapMoloS3, config)
    named = run_tap(TapMoloS3, {**config, "snapshot_key": older.path.name})
    assert len(latest.records["piers"]) == 7
    assert len(named.records["piers"]) == 3
    assert {r["_sdc_source_key"] for r in named.records["piers"]} == {"20251220050000.zip"}


def test_named_snapshot_in_glacier_is_an_error(moto_s3, s3_bucket):
    moto_s3.client().put_object(
        Bucket=s3_bucket, Key="20251221050003.zip", Body=b"x", StorageClass="GLACIER"
    )
    with pytest.raises(ExportError, match="GLACIER; restore it"):
        named_snapshot(_storage(moto_s3, s3_bucket), "20251221050003.zip", MOLO_PATTERN)


def test_no_matching_export_says_what_was_listed(moto_s3, s3_bucket):
    moto_s3.client().put_object(Bucket=s3_bucket, Key="notes.txt", Body=b"x")
    with pytest.raises(ExportError, match=r"No export matching .* \(1 objects listed"):
        select_snapshot(_storage(moto_s3, s3_bucket), "", MOLO_PATTERN)


def test_key_pattern_needs_a_timestamp_group():
    with pytest.raises(ExportError, match="named group"):
        KeyPattern(r"\d+\.zip", "%Y")


def test_role_arn_with_external_id_is_assumed_before_reading(moto_s3, s3_bucket, marina_export):
    export = marina_export("molo", rows=2, streams={"piers"})
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    storage = S3Storage(
        with_defaults(
            TapMoloS3.config_jsonschema,
            {
                "bucket": s3_bucket,
                "endpoint_url": moto_s3.endpoint_url,
                "sts_endpoint_url": moto_s3.endpoint_url,
                "role_arn": "arn:aws:iam::123456789012:role/marina-reader",
                "external_id": "shared-secret",
            },
        )
    )
    credentials = storage._client._request_signer._credentials  # the assumed role's, not ours
    assert credentials.access_key != "testing"
    assert [o.key for o in storage.list_objects("")] == [export.path.name]
