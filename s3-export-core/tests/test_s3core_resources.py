"""A run closes the export it read: no `ResourceWarning: unclosed file` (local folder or S3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testkit.marina.fixtures import upload_export

TAP_MODULES = {"molo": "tap_molo_s3.tap", "stellar": "tap_stellar_s3.tap"}


def _run_tap(kind: str, config: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    # An unclosed file is reported when it is collected, as "Exception ignored in: ...", and
    # does not change the exit code: the test reads stderr. (Add -X tracemalloc=10 to see where
    # the file was opened; it makes the run ten times slower.)
    warnings = ["-W", "error::ResourceWarning"]
    return subprocess.run(
        [sys.executable, *warnings, "-m", TAP_MODULES[kind], "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _check_clean_run(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ResourceWarning" not in result.stderr
    assert "Exception ignored" not in result.stderr
    types = {json.loads(line)["type"] for line in result.stdout.splitlines() if line.strip()}
    assert {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"} <= types


@pytest.mark.parametrize("kind", sorted(TAP_MODULES))
def test_a_run_over_a_local_export_leaves_no_file_open(kind, marina_export, tmp_path):
    export = marina_export(kind, rows=20)
    _check_clean_run(_run_tap(kind, {"local_path": str(export.path.parent)}, tmp_path))


@pytest.mark.parametrize("kind", sorted(TAP_MODULES))
def test_a_run_over_an_s3_export_leaves_no_connection_open(
    kind, marina_export, moto_s3, s3_bucket, tmp_path
):
    export = marina_export(kind, rows=20)
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}
    _check_clean_run(_run_tap(kind, config, tmp_path))
