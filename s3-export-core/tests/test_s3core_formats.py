"""Every archive format, opened by content, from moto S3 and from a local folder."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from s3_export_core.archive import TarGzArchive, detect_format
from s3_export_core.errors import ExportError
from s3_export_core.settings import with_defaults
from tap_molo_s3.tap import TapMoloS3
from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.fixtures import upload_export
from testkit.marina.generator import write_gzip_csv, write_sql_dump_gz
from testkit.marina.runner import run_tap


def _s3_config(moto_s3, bucket: str, **extra) -> dict:
    return {"bucket": bucket, "endpoint_url": moto_s3.endpoint_url, **extra}


def _resolved(config: dict) -> dict:
    """As the tap gives it to its storage: with the schema's defaults."""
    return with_defaults(TapMoloS3.config_jsonschema, config)


def _keys(records: list[dict], key: list[str]) -> list[tuple]:
    return [tuple(str(record[name]) for name in key) for record in records]


def test_zip_from_s3_is_read_through_ranged_gets(moto_s3, s3_bucket, marina_export):
    export = marina_export("molo", rows=400, streams={"boats", "piers", "slips"})
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    # A tiny read-ahead forces many ranged GETs: the archive is never fetched whole.
    output = run_tap(TapMoloS3, _s3_config(moto_s3, s3_bucket, read_ahead_bytes=16 * 1024))
    for stream in ("boats", "piers", "slips"):
        assert len(output.records[stream]) == 400
        assert _keys(output.records[stream], ["Id"]) == export.keys[stream]
    assert output.records["boats"][0]["_sdc_source_member"] == "Boats.csv"
    assert output.records["boats"][0]["_sdc_source_lineno"] == 2


def test_ranged_reader_issues_bounded_requests(moto_s3, s3_bucket, marina_export):
    from s3_export_core.storage import S3Storage

    export = marina_export("molo", rows=2000, streams={"invoice_items"})
    upload_export(moto_s3.client(), s3_bucket, "big.zip", export.path)
    storage = S3Storage(_resolved(_s3_config(moto_s3, s3_bucket, read_ahead_bytes=32 * 1024)))
    info = storage.head("big.zip")
    handle = storage.open_seekable(info)
    with zipfile.ZipFile(handle) as archive, archive.open("InvoiceItemSet.csv") as member:
        lines = sum(1 for _ in io.BufferedReader(member))
    raw = handle.raw  # type: ignore[attr-defined]
    assert lines == 2001
    # Several small GETs, and the bytes fetched stay close to the archive size (no refetching).
    assert raw.requests >= 3
    assert raw.fetched_bytes <= info.size * 1.5


def test_stellar_tar_gz_from_s3(moto_s3, s3_bucket, marina_export):
    export = marina_export("stellar", rows=20)
    key = export.path.name
    assert key.endswith("-DATA.sql.gz")
    upload_export(moto_s3.client(), s3_bucket, key, export.path)
    output = run_tap(TapStellarS3, _s3_config(moto_s3, s3_bucket))
    assert set(output.records) == set(export.rows)
    for stream, count in export.rows.items():
        assert len(output.records[stream]) == count, stream
    assert (
        _keys(output.records["holidays"], ["location_id", "holiday_date"])
        == (export.keys["holidays"])
    )
    assert output.records["customers"][0]["_sdc_source_member"] == "data/customers.csv"


def test_tar_members_wanted_out_of_order_are_spooled(tmp_path, marina_export):
    export = marina_export("stellar", rows=3, streams={"customers", "bookings", "styles"})
    archive = TarGzArchive(
        lambda: export.path.open("rb"), str(export.path), {"customers.csv", "styles.csv"}
    )
    try:
        # Tar order is customers, bookings, styles: ask for styles first, then customers.
        styles = archive.open_member("data/styles.csv")
        assert styles is not None
        assert styles.read().startswith(b"id,location_id")
        customers = archive.open_member("data/customers.csv")
        assert customers is not None
        assert customers.read().startswith(b"user_id,")
        assert archive.open_member("data/missing.csv") is None
    finally:
        archive.close()


def test_gzip_single_csv(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    # Named like a Stellar export, but it holds only one CSV: the gzip header names it.
    path = folder / "prod_resilient_2025-12-21_07_01-DATA.sql.gz"
    export = write_gzip_csv(path, "stellar", "customers", rows=12)
    output = run_tap(TapStellarS3, {"local_path": str(folder)})
    assert len(output.records["customers"]) == 12
    assert _keys(output.records["customers"], ["user_id"]) == export.keys["customers"]
    assert "bookings" not in output.records


def test_gzip_sql_dump_gets_a_clear_error(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_sql_dump_gz(folder / "prod_resilient_2025-12-21_07_01-DATA.sql.gz")
    with pytest.raises(ExportError, match="gzip-compressed SQL dump, not CSV data"):
        run_tap(TapStellarS3, {"local_path": str(folder)})


def test_unknown_content_is_refused():
    with pytest.raises(ExportError, match="neither a ZIP nor a gzip"):
        detect_format(b"id,name\n1,a\n", "s3://b/k.zip")


def test_local_folder_with_prefix(tmp_path, marina_export):
    export = marina_export("molo", rows=4, streams={"piers"}, when=datetime(2025, 12, 21, 5))
    output = run_tap(TapMoloS3, {"local_path": str(export.path.parent), "prefix": "2025"})
    assert len(output.records["piers"]) == 4
    assert output.records["piers"][0]["_sdc_snapshot_at"] == "2025-12-21T05:00:00+00:00"


def test_include_unlisted_members_exposes_all_string_streams(tmp_path, marina_export):
    export = marina_export("molo", rows=2, streams={"piers"})
    config = {"local_path": str(export.path.parent)}
    without = TapMoloS3(config=config)
    assert "asp_net_users" not in without.streams
    output = run_tap(TapMoloS3, {**config, "include_unlisted_members": True})
    users = output.records["asp_net_users"]
    assert len(users) == 3
    assert users[0]["PasswordHash"] == "PasswordHash-0"
    schema = output.schemas["asp_net_users"]["schema"]["properties"]
    assert schema["Id"] == {"type": ["string", "null"]}
    assert output.schemas["asp_net_users"]["key_properties"] == []


def test_missing_member_is_not_activated(tmp_path, marina_export, caplog):
    export = marina_export("molo", rows=2, streams={"piers"})
    output = run_tap(TapMoloS3, {"local_path": str(export.path.parent)})
    assert "piers" in output.activated
    # No member, no ACTIVATE_VERSION: a target must not delete the rows it already has.
    assert "boats" not in output.activated
    assert "boats" not in output.records
    assert "has no member Boats.csv" in caplog.text


def test_snapshot_replaced_while_reading_is_an_error(moto_s3, s3_bucket):
    from s3_export_core.storage import S3Storage

    client = moto_s3.client()
    client.put_object(Bucket=s3_bucket, Key="20251221050003.zip", Body=b"first version")
    storage = S3Storage(_resolved(_s3_config(moto_s3, s3_bucket)))
    info = storage.head("20251221050003.zip")
    assert storage.read_range(info, 0, 5) == b"first"
    client.put_object(Bucket=s3_bucket, Key="20251221050003.zip", Body=b"second version")
    with pytest.raises(ExportError, match="changed while it was being read"):
        storage.read_range(info, 0, 5)


def test_unlisted_members_of_a_tar_in_s3(moto_s3, s3_bucket, marina_export):
    export = marina_export("stellar", rows=3, streams={"customers", "styles"})
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    config = _s3_config(moto_s3, s3_bucket, include_unlisted_members=True)
    output = run_tap(TapStellarS3, config)
    # The tar order is customers, styles, users, password_resets: every one is read once.
    assert len(output.records["customers"]) == 3
    assert len(output.records["styles"]) == 3
    assert [r["email"] for r in output.records["users"]] == ["email-0", "email-1", "email-2"]
    assert len(output.records["password_resets"]) == 3
    assert output.records["users"][0]["_sdc_source_member"] == "data/users.csv"
