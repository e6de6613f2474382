"""Progress: one compact line at most every interval, a summary at the end, SDK metrics off."""

from __future__ import annotations

import logging
import re

from tap_tr2000.progress import Progress
from testkit.tr2000 import WorldShape, generated_world

LINE = re.compile(
    # Before the plant list has arrived the total is not known yet ("0 of ?").
    r"TR2000 progress: plants (?:\d+ of 3|0 of \?) \(\d+ unchanged\), "
    r"\d+ requests \([\d.,]+/s, \d+ retries\), [\d,]+ records \([\d,]+/s\), \d+ s"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_at_most_once_per_interval(caplog) -> None:
    clock = FakeClock()
    progress = Progress(
        logging.getLogger("test.progress"), 10, requests=lambda: 50, retries=lambda: 1, clock=clock
    )
    progress.plants_total = 4
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for step in range(100):  # 0.25 s apart: 25 s in all
            clock.now += 0.25
            progress.record()
            if step % 30 == 0:
                progress.plant_done(unchanged=step == 0)
    lines = [r.getMessage() for r in caplog.records if "TR2000 progress" in r.getMessage()]
    assert len(lines) == 2  # at 10 s and 20 s
    assert lines[0] == (
        "TR2000 progress: plants 2 of 4 (1 unchanged), 50 requests (5.0/s, 1 retries), "
        "40 records (4/s), 10 s"
    )


def test_progress_zero_interval_logs_nothing(caplog) -> None:
    clock = FakeClock()
    progress = Progress(logging.getLogger("test.progress"), 0, lambda: 0, lambda: 0, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for _ in range(10):
            clock.now += 100
            progress.record()
    assert not caplog.records


def test_a_slow_run_shows_progress_and_a_summary(tr2000_server_factory, tap_runner, caplog) -> None:
    server = tr2000_server_factory(
        generated_world(plants=3, shape=WorldShape(2, 2, 1, vds_count=1))
    )
    server.set_latency(5)
    with caplog.at_level(logging.INFO):
        run = tap_runner(
            {"base_url": server.base_url, "progress_interval_seconds": 0.05, "max_concurrency": 2}
        )
    messages = [r.getMessage() for r in caplog.records]
    lines = [m for m in messages if m.startswith("TR2000 progress")]
    assert lines
    assert all(LINE.fullmatch(line) for line in lines), lines
    summary = next(m for m in messages if m.startswith("TR2000 run: "))
    total = sum(len(v) for v in run.records.values())
    assert f"plants 3 of 3 (0 unchanged), {run.tap.client.request_count} requests" in summary
    assert f"{total:,} records" in summary
    # The SDK's line per child context is gone; the top-level streams still say they begin.
    assert not [m for m in messages if "with context keys" in m]
    assert "Beginning sync of 'plants' in full_table mode" in messages


def test_sdk_metric_lines_are_off_unless_asked_for(tr2000_server, tap_runner, caplog) -> None:
    config = {"base_url": tr2000_server.base_url, "plant_ids": [34]}
    with caplog.at_level(logging.INFO):
        tap_runner(config)
    assert not [r for r in caplog.records if r.name == "singer_sdk.metrics"]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        tap_runner({**config, "sdk_metrics": True})
    assert [r for r in caplog.records if r.name == "singer_sdk.metrics"]
