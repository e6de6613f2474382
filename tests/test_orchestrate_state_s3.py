"""The prod state store on S3 (`MELTANO_STATE_BACKEND_URI=s3://…`), against moto's S3 server: what a
partition's run saves under its state id is in the bucket, and every worker reads it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
STATE_ID = "prod:tap-tr2000-to-target-oracle-staging:plants-a"


def test_state_backend_on_s3(moto_s3, s3_bucket, tmp_path) -> None:
    meltano = str(Path(sys.executable).with_name("meltano"))
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_STATE_BACKEND_URI": f"s3://{s3_bucket}/meltano-state",
        "MELTANO_STATE_BACKEND_S3_ENDPOINT_URL": moto_s3.endpoint_url,
        "MELTANO_STATE_BACKEND_S3_AWS_ACCESS_KEY_ID": "testing",
        "MELTANO_STATE_BACKEND_S3_AWS_SECRET_ACCESS_KEY": "testing",
    }
    state = {
        "singer_state": {"bookmarks": {"issues": {"partitions": [{"context": {"PlantID": "7"}}]}}}
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [meltano, "--environment=prod", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    saved = run("state", "set", "--force", STATE_ID, json.dumps(state))
    assert saved.returncode == 0, saved.stderr[-2000:]
    keys = [
        o["Key"] for o in moto_s3.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])
    ]
    assert any(k.startswith("meltano-state/") and STATE_ID in k for k in keys), keys
    read = run("state", "get", STATE_ID)
    assert read.returncode == 0, read.stderr[-2000:]
    assert json.loads(read.stdout) == state
