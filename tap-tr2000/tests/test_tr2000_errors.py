"""Failed calls end the run with an error naming the URL; never "0 rows" and success."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tap_tr2000.client import Tr2000Error

TAP = [sys.executable, "-c", "from tap_tr2000.tap import TapTr2000; TapTr2000.cli()"]


def _cli(tmp_path: Path, config: dict) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"retry_backoff_seconds": 0.01, "max_retries": 2, **config}))
    return subprocess.run(
        [*TAP, "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_base_url_exits_nonzero_naming_the_url(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}"
    result = _cli(tmp_path, {"base_url": base_url})
    assert result.returncode != 0
    assert f"{base_url}/operators" in result.stderr
    assert "failed after 3 attempts" in result.stderr
    assert '"type":"RECORD"' not in result.stdout
    # The last line says it all, without a traceback (issue 12).
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert f"cannot reach the TR2000 API given by base_url ({base_url})" in last
    assert last.endswith(f"GET {base_url}/operators: ConnectionError: connection refused")


def test_persistent_500_exits_nonzero_naming_the_url(tmp_path: Path, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/plants$", "status", status=500)
    result = _cli(tmp_path, {"base_url": tr2000_server.base_url})
    assert result.returncode != 0
    assert f"GET {tr2000_server.base_url}/plants: HTTP 500" in result.stderr
    # First try plus two retries, then the run stops.
    assert tr2000_server.count(r"^/plants$") == 3
    records = [json.loads(line) for line in result.stdout.splitlines() if '"RECORD"' in line]
    assert not [r for r in records if r["stream"] == "plants"]


def test_success_false_exits_nonzero_naming_the_url(tmp_path: Path, tr2000_server) -> None:
    # The body still carries its getOperator array: only the success flag can fail the run.
    tr2000_server.add_fault(r"^/operators$", "success_false_with_data")
    result = _cli(tmp_path, {"base_url": tr2000_server.base_url})
    assert result.returncode != 0
    url = f"{tr2000_server.base_url}/operators"
    assert f"stream operators: TR2000 response from {url} has success=False" in result.stderr
    assert '"type":"RECORD"' not in result.stdout


def test_missing_array_is_an_error_not_zero_rows(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/plants$", "missing_array")
    with pytest.raises(Tr2000Error, match=r"/plants lacks the array 'getPlant'"):
        tap_runner({"base_url": tr2000_server.base_url})


def test_invalid_json_is_an_error_naming_the_url(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/operators$", "bad_json")
    with pytest.raises(Tr2000Error, match=r"/operators is not valid JSON"):
        tap_runner({"base_url": tr2000_server.base_url})


def test_404_outside_pcs_details_is_an_error(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/plants/34/issues$", "status", status=404)
    with pytest.raises(Tr2000Error, match=r"HTTP 404 Not Found for http://.*/plants/34/issues"):
        tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [34]})


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("status", {"status": 500}),
        ("status", {"status": 503}),
        ("status", {"status": 429}),
        ("drop", {}),
        ("truncate", {}),
        ("hang", {"hang_seconds": 5}),
    ],
)
def test_transient_failures_are_retried_then_succeed(
    tap_runner, tr2000_server, kind, options
) -> None:
    tr2000_server.add_fault(r"^/plants$", kind, times=2, **options)
    run = tap_runner(
        {"base_url": tr2000_server.base_url, "request_timeout": 0.5, "plant_ids": [34]}
    )
    assert run.count("plants") == 1
    assert tr2000_server.count(r"^/plants$") == 3
    assert run.tap.client.retry_count == 2


def test_retry_after_is_honoured(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/operators$", "status", status=429, times=1, retry_after=1)
    tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [108]})
    first, second = [r for r in tr2000_server.requests if r.path == "/operators"]
    # The configured backoff is 0.01 s; the server asked for 1 s.
    assert second.started - first.started >= 1.0


def test_retries_exhausted_fail_naming_the_url(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/operators$", "status", status=502, times=3)
    with pytest.raises(
        Tr2000Error, match=r"failed after 3 attempts: GET http://.*/operators: HTTP 502"
    ):
        tap_runner({"base_url": tr2000_server.base_url})


def test_client_error_status_is_not_retried(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"^/operators$", "status", status=403)
    with pytest.raises(Tr2000Error, match=r"HTTP 403 for http://.*/operators"):
        tap_runner({"base_url": tr2000_server.base_url})
    assert tr2000_server.count(r"^/operators$") == 1


def test_failure_in_a_concurrent_detail_call_fails_the_run(tap_runner, tr2000_server) -> None:
    tr2000_server.add_fault(r"/pcs/[^/]+/rev/[^/]+/pipe-sizes$", "status", status=500)
    with pytest.raises(Tr2000Error, match=r"/pipe-sizes: HTTP 500"):
        tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [34]})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
