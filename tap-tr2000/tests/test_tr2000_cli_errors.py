"""A user's common mistakes end with one line that names the setting, its value and the cause."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tap_tr2000.client import Tr2000Error
from tap_tr2000.conform import Tr2000ValueError
from tap_tr2000.tap import one_line_error

TAP = [sys.executable, "-c", "from tap_tr2000.tap import TapTr2000; TapTr2000.cli()"]


def _cli(tmp_path: Path, config: dict, **env: str) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"retry_backoff_seconds": 0.01, "max_retries": 1, **config}))
    return subprocess.run(
        [*TAP, "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        check=False,
    )


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _error_line(tap_runner, config: dict) -> str:
    """What the CLI's last line says for the error an in-process run raises."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is what is checked next
        tap_runner({"max_retries": 1, **config})
    assert isinstance(caught.value, Tr2000Error | Tr2000ValueError | ValueError)
    return one_line_error(caught.value)


def test_unknown_host(tap_runner) -> None:
    line = _error_line(tap_runner, {"base_url": "http://tr2000.invalid"})
    assert "cannot reach the TR2000 API given by base_url (http://tr2000.invalid)" in line
    assert line.endswith("host name not found")


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"kind": "status", "status": 404}, "HTTP 404 Not Found for"),
        ({"kind": "status", "status": 401}, "HTTP 401 for"),
        (
            {
                "kind": "raw",
                "status": 200,
                "payload": b"<html>Welcome</html>",
                "content_type": "text/html",
            },
            "is not valid JSON (text/html",
        ),
    ],
)
def test_base_url_that_is_not_the_api(tap_runner, tr2000_server, fault, said) -> None:
    tr2000_server.add_fault(".*", **fault)
    line = _error_line(tap_runner, {"base_url": tr2000_server.base_url})
    assert said in line
    assert line.endswith(f"is base_url {tr2000_server.base_url} the TR2000 API?)")


def test_credentials_in_base_url_are_sent_as_auth_and_never_printed(
    tmp_path: Path, tr2000_server
) -> None:
    host = tr2000_server.base_url.removeprefix("http://")
    tr2000_server.add_fault(r"^/plants$", "status", status=500)
    result = _cli(tmp_path, {"base_url": f"http://reader:s3cr%40t@{host}"})
    line = _last_line(result)
    assert f"GET http://{host}/plants: HTTP 500" in line
    assert "s3cr" not in result.stderr
    assert "reader" not in result.stderr
    authorization = tr2000_server.requests[0].headers["Authorization"]
    assert authorization.startswith("Basic ")


def test_unknown_time_zone_names_the_setting(tap_runner, tr2000_server) -> None:
    config = {"base_url": tr2000_server.base_url, "source_timezone": "Mars/Olympus"}
    line = _error_line(tap_runner, config)
    assert line == "setting source_timezone='Mars/Olympus' is not a known IANA time zone"


def test_unknown_plant_names_the_setting(tap_runner, tr2000_server) -> None:
    line = _error_line(tap_runner, {"base_url": tr2000_server.base_url, "plant_ids": [9999]})
    assert line.startswith("plant_ids ['9999'] are not in the plant list at http://")


def test_other_errors_keep_their_type_in_the_line() -> None:
    assert one_line_error(KeyError("PlantID")) == "KeyError: 'PlantID'"
    assert one_line_error(RuntimeError("two\n  lines")) == "RuntimeError: two lines"


def test_traceback_at_debug_level(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}"
    result = _cli(tmp_path, {"base_url": base_url}, TAP_TR2000_LOGLEVEL="DEBUG")
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("connection refused")
