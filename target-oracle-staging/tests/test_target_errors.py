"""A user's common mistakes end in one line naming the setting and the cause, no secret, no
traceback (that is at debug level)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INPUT = (
    '{"type":"SCHEMA","stream":"s","schema":{"properties":{"id":{"type":"integer"}}},'
    '"key_properties":["id"]}\n{"type":"RECORD","stream":"s","record":{"id":1}}\n'
)
CASES = [
    (
        {"sqlalchemy_url": "postgresql+psycopg://nobody:s3cr3t-pw@127.0.0.1:1/x"},
        "cannot connect to the database given by sqlalchemy_url "
        "(postgresql+psycopg://nobody:***@127.0.0.1:1/x): connection failed",
    ),
    (
        {"dsn": "127.0.0.1:1/nosuch", "user": "etl", "password": "s3cr3t-pw"},
        "cannot connect to Oracle given by dsn (127.0.0.1:1/nosuch) as user 'etl': DPY-6005",
    ),
    (
        {"host": "127.0.0.1", "port": 1, "service_name": "orclpdb", "user": "etl"},
        "cannot connect to Oracle given by dsn (127.0.0.1:1/orclpdb) as user 'etl'",
    ),
    (
        {"database_path": "/proc/no-such-dir/warehouse.duckdb"},
        "cannot open the DuckDB file given by database_path (/proc/no-such-dir/warehouse.duckdb)",
    ),
]


@pytest.mark.parametrize(("config", "expected"), CASES)
def test_the_last_line_names_the_setting_and_holds_no_secret(
    tmp_path: Path, config: dict, expected: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "target_oracle_staging.target", "--config", str(path)],
        input=INPUT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert expected in last, result.stderr[-2000:]
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
