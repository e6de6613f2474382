"""What people look at (issue 12): progress lines and a summary; common mistakes in one line."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from s3_export_core.errors import ExportError
from s3_export_core.s3errors import explain
from tap_molo_s3.tap import TapMoloS3
from testkit.marina.fixtures import upload_export
from testkit.marina.runner import run_tap

SECRET = "wJalrXUtnFEMI-not-a-real-secret-7f3a"


def test_progress_lines_and_the_summary_say_how_far(moto_s3, s3_bucket, marina_export, caplog):
    export = marina_export("molo", rows=9000, streams={"piers"})
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    config = {
        "bucket": s3_bucket,
        "endpoint_url": moto_s3.endpoint_url,
        "progress_interval_seconds": 1e-9,  # every tick (each 4,096 rows) logs
    }
    with caplog.at_level(logging.INFO):
        run_tap(TapMoloS3, config)
    size = export.path.stat().st_size / 1024 / 1024
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress:")]
    assert len(progress) == 2  # at 4,096 and 8,192 rows
    assert progress[0].startswith("Progress: stream piers 4,096 records; run 4,096 records (")
    assert f"of {size:,.1f} MiB read" in progress[0]
    summary = [r.getMessage() for r in caplog.records if " done: " in r.getMessage()]
    assert summary[0].startswith("tap-molo-s3 done: 9,000 records from 1 streams in ")
    # Members no stream wants (the unlisted user tables) are never read: not quite 100 %.
    share = re.search(rf"{size:,.1f} of {size:,.1f} MiB read \((\d+) %\) of s3://", summary[0])
    assert share is not None, summary[0]
    assert 90 <= int(share.group(1)) <= 100
    assert "METRIC" not in caplog.text  # the SDK's JSON lines are off by default


def _cli(tmp_path: Path, config: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "tap_molo_s3.tap", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_unknown_bucket_ends_in_one_line_naming_the_setting(tmp_path, moto_s3):
    result = _cli(
        tmp_path,
        {
            "bucket": "no-such-bucket-here",
            "endpoint_url": moto_s3.endpoint_url,
            "aws_access_key_id": "AKIATESTKEY123",
            "aws_secret_access_key": SECRET,
            "aws_region": "us-east-1",
        },
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "tap-molo-s3 failed: cannot list s3://no-such-bucket-here/" in last
    assert "check bucket='no-such-bucket-here'" in last
    assert "no such bucket (NoSuchBucket)" in last
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr
    assert "AKIATESTKEY123" not in result.stderr


def test_unknown_profile_names_the_profile(tmp_path):
    result = _cli(tmp_path, {"bucket": "b", "aws_profile": "nobody-has-this-profile"})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "check aws_profile='nobody-has-this-profile'): no such AWS profile" in last


@pytest.mark.parametrize(
    ("exc", "config", "expected"),
    [
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:1/b"),
            {"bucket": "b", "endpoint_url": "http://127.0.0.1:1"},
            "cannot list s3://b/ (check endpoint_url='http://127.0.0.1:1'): cannot connect",
        ),
        (
            NoCredentialsError(),
            {"bucket": "b"},
            "(check the default AWS credential chain (no aws_access_key_id, aws_profile or "
            "role_arn set)): no usable AWS credentials were found",
        ),
    ],
)
def test_connection_and_credential_failures_name_the_setting(exc, config, expected):
    error = explain(exc, config, "list s3://b/")
    assert isinstance(error, ExportError)
    assert expected in str(error)


def test_bad_credentials_are_redacted():
    from botocore.exceptions import ClientError

    exc = ClientError(
        {"Error": {"Code": "InvalidAccessKeyId", "Message": "The key does not exist"}},
        "ListObjectsV2",
    )
    config = {"bucket": "b", "aws_access_key_id": "AKIAABCDEFGH", "aws_secret_access_key": SECRET}
    text = str(explain(exc, config, "list s3://b/"))
    assert "check aws_access_key_id=AKIA…" in text
    assert "refused (InvalidAccessKeyId: The key does not exist)" in text
    assert "ABCDEFGH" not in text
    assert SECRET not in text


def test_empty_texts_mean_the_defaults_and_a_zero_read_ahead_is_refused(tmp_path):
    """'' has always meant a setting's default (source_timezone '' is UTC); a read-ahead of 0
    bytes would turn every read into its own GET, so the config says so instead."""
    from singer_sdk.exceptions import ConfigValidationError

    config = {"local_path": str(tmp_path)}
    tap = TapMoloS3(config={**config, "source_timezone": "", "role_session_name": ""})
    assert tap.settings["source_timezone"] == "UTC"
    assert tap.settings["role_session_name"] == "singer-snapshot-tap"
    with pytest.raises(ConfigValidationError) as refused:
        TapMoloS3(config={**config, "read_ahead_bytes": 0}, validate_config=True)
    assert "0 is less than the minimum of 1" in " ".join(refused.value.errors)
