"""Helpers for tap-tr2000 tests: run the tap in-process against the fixture server."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
from tap_tr2000.tap import TapTr2000

# Fast retries so fault tests take milliseconds, and no rate ceiling on loopback.
FAST = {"retry_backoff_seconds": 0.01, "max_retries": 2, "requests_per_second": 0}


@dataclass
class TapRun:
    tap: TapTr2000
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def final_state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return copy.deepcopy(states[-1]) if states else {}

    def count(self, stream: str) -> int:
        return len(self.records.get(stream, []))


def catalog_selecting(config: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    """The discovered catalog with only `streams` selected."""
    catalog = TapTr2000(config={**FAST, **config}).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    on_message: Callable[[dict[str, Any]], Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> TapRun:
    """Sync every stream in-process; the tap's stdout is parsed into messages.

    `on_message` sees every message, also when the sync raises (then nothing is returned).
    """
    tap = TapTr2000(config={**FAST, **config}, state=copy.deepcopy(state or {}), catalog=catalog)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with redirect_stdout(buffer):
            tap.run()
    finally:
        buffer.seek(0)
        messages = [json.loads(line) for line in buffer.read().splitlines() if line.strip()]
        for message in messages if on_message else []:
            on_message(message)
    run = TapRun(tap=tap, messages=messages)
    for message in messages:
        if message["type"] == "RECORD":
            run.records[message["stream"]].append(message["record"])
    return run


@pytest.fixture(autouse=True)
def _quiet_sdk_metrics():
    """Two metric log lines per child context make log capture the slowest part of a run."""
    logger = logging.getLogger("singer_sdk.metrics")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture
def catalog_for() -> Callable[..., dict[str, Any]]:
    return catalog_selecting


@pytest.fixture
def tap_runner() -> Callable[..., TapRun]:
    return run_tap
