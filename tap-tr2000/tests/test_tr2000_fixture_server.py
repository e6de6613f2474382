"""The TR2000 fixture server itself: CLI, sample world, knobs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from testkit.tr2000 import Tr2000Server, sample_world


def _get(url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_cli_writes_the_url_serves_the_sample_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "testkit.tr2000",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--world",
            "sample",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        base_url = port_file.read_text().strip()
        assert base_url.startswith("http://127.0.0.1:")
        status, operators = _get(base_url + "/operators")
        assert status == 200
        assert len(operators["getOperator"]) == 8
        _, plants = _get(base_url + "/plants")
        assert plants["success"] is True
        assert len(plants["getPlant"]) == 130
        status, _ = _get(base_url + "/plants/34/pcs/AD100/rev/C2/header")
        assert status == 404  # as the real API answers for this path
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_latency_and_fault_knobs() -> None:
    with Tr2000Server(sample_world()) as server:
        server.set_latency(100)
        started = time.monotonic()
        _get(server.base_url + "/operators")
        assert time.monotonic() - started >= 0.1
        server.set_latency(0)

        server.add_fault(r"^/plants$", "status", status=503, times=2)
        assert [_get(server.base_url + "/plants")[0] for _ in range(3)] == [503, 503, 200]

        server.add_fault(r"^/operators$", "success_false", times=1)
        assert _get(server.base_url + "/operators")[1]["success"] is False

        server.add_fault(r"^/plants/34$", "drop", times=1)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _get(server.base_url + "/plants/34")
        assert _get(server.base_url + "/plants/34")[1]["getPlant"][0]["PlantID"] == 34
        assert server.count(r"^/plants$") == 3


def test_world_changes_are_served(tr2000_server) -> None:
    _, before = _get(tr2000_server.base_url + "/plants/34/issues")
    revision = tr2000_server.world.publish_issue(34)
    _, after = _get(tr2000_server.base_url + "/plants/34/issues")
    assert len(after["getIssueList"]) == len(before["getIssueList"]) + 1
    assert after["getIssueList"][-1]["IssueRevision"] == revision
    status, refs = _get(tr2000_server.base_url + f"/plants/34/issues/rev/{revision}/pcs")
    assert status == 200
    assert refs["getIssuePCSList"]
