"""State = snapshot identity; a re-run on the same snapshot loads nothing unless forced."""

from __future__ import annotations

import logging
from datetime import datetime

from tap_molo_s3.tap import TapMoloS3
from testkit.marina.fixtures import upload_export
from testkit.marina.runner import run_tap


def test_rerun_on_same_snapshot_emits_no_records(moto_s3, s3_bucket, marina_export, caplog):
    export = marina_export("molo", rows=5, streams={"piers", "slips"})
    client = moto_s3.client()
    upload_export(client, s3_bucket, export.path.name, export.path)
    etag = client.head_object(Bucket=s3_bucket, Key=export.path.name)["ETag"].strip('"')
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}

    first = run_tap(TapMoloS3, config)
    assert len(first.records["piers"]) == 5
    bookmark = first.state["bookmarks"]["piers"]
    assert bookmark["snapshot"] == {"key": export.path.name, "etag": etag}

    with caplog.at_level(logging.INFO, logger="tap-molo-s3"):
        second = run_tap(TapMoloS3, config, state=first.state)
    assert not any(second.records.values())
    # No ACTIVATE_VERSION either: it would make the target delete the loaded rows.
    assert not second.activated
    assert "was already loaded" in caplog.text
    assert second.state["bookmarks"]["piers"]["snapshot"] == bookmark["snapshot"]

    forced = run_tap(TapMoloS3, {**config, "force_reload": True}, state=first.state)
    assert len(forced.records["piers"]) == 5
    assert "piers" in forced.activated


def test_new_snapshot_or_replaced_object_is_loaded(moto_s3, s3_bucket, marina_export):
    client = moto_s3.client()
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}
    first_export = marina_export("molo", rows=5, streams={"piers"}, when=datetime(2025, 12, 20))
    upload_export(client, s3_bucket, first_export.path.name, first_export.path)
    first = run_tap(TapMoloS3, config)

    # The same key uploaded again with other content has another ETag: load it.
    replaced = marina_export("molo", rows=6, streams={"piers"}, when=datetime(2025, 12, 20), seed=9)
    upload_export(client, s3_bucket, first_export.path.name, replaced.path)
    second = run_tap(TapMoloS3, config, state=first.state)
    assert len(second.records["piers"]) == 6

    newer = marina_export("molo", rows=7, streams={"piers"}, when=datetime(2025, 12, 21))
    upload_export(client, s3_bucket, newer.path.name, newer.path)
    third = run_tap(TapMoloS3, config, state=second.state)
    assert len(third.records["piers"]) == 7
    assert third.state["bookmarks"]["piers"]["snapshot"]["key"] == newer.path.name
    versions = third.activated["piers"]
    assert len(versions) == 1
    assert {r["_sdc_source_key"] for r in third.records["piers"]} == {newer.path.name}


def test_version_is_activated_after_the_streams_last_record(moto_s3, s3_bucket, marina_export):
    export = marina_export("molo", rows=5, streams={"piers", "slips"})
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    output = run_tap(TapMoloS3, {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url})

    for stream in ("piers", "slips"):
        kinds = [m["type"] for m in output.messages if m.get("stream") == stream]
        assert kinds.count("ACTIVATE_VERSION") == 1
        # Nothing of the stream follows its activation: the version is complete when announced.
        assert kinds[-1] == "ACTIVATE_VERSION", kinds[-3:]
        records = [m for m in output.messages if m["type"] == "RECORD" and m["stream"] == stream]
        assert {m["version"] for m in records} == set(output.activated[stream])
