"""Bounded concurrency and rate, deterministic record order, no URL fetched twice."""

from __future__ import annotations

import time

import pytest
from testkit.tr2000 import WorldShape, generated_world

SHAPE = WorldShape(issues_per_plant=2, pcs_per_plant=3, revisions_per_pcs=2, vds_count=2)


@pytest.fixture
def slow_server(tr2000_server_factory):
    server = tr2000_server_factory(generated_world(plants=2, shape=SHAPE))
    server.set_latency(20)
    return server


def test_concurrency_is_bounded_and_order_is_deterministic(slow_server, tap_runner) -> None:
    config = {"base_url": slow_server.base_url}

    started = time.monotonic()
    parallel = tap_runner({**config, "max_concurrency": 4})
    parallel_seconds = time.monotonic() - started
    assert 3 <= slow_server.max_in_flight <= 4
    calls = len(slow_server.requests)
    assert all(n == 1 for n in slow_server.path_counts().values()), "a URL was fetched twice"

    slow_server.reset_log()
    started = time.monotonic()
    sequential = tap_runner({**config, "max_concurrency": 1})
    sequential_seconds = time.monotonic() - started
    assert slow_server.max_in_flight == 1
    assert len(slow_server.requests) == calls

    # Same records in the same order, whatever the concurrency.
    assert parallel.records.keys() == sequential.records.keys()
    for stream, records in sequential.records.items():
        assert parallel.records[stream] == records, stream
    assert calls > 100
    assert sequential_seconds > 2 * parallel_seconds


def test_requests_per_second_is_a_ceiling(tr2000_server_factory, tap_runner) -> None:
    server = tr2000_server_factory(generated_world(plants=1, shape=WorldShape(1, 2, 1)))
    tap_runner({"base_url": server.base_url, "requests_per_second": 40, "max_concurrency": 8})
    starts = sorted(r.started for r in server.requests)
    assert len(starts) > 20
    # n request starts spaced 1/40 s apart take at least (n - 1) / 40 s.
    assert starts[-1] - starts[0] >= (len(starts) - 1) / 40 * 0.9


def test_user_agent_and_accept_headers(tr2000_server, tap_runner) -> None:
    tap_runner({"base_url": tr2000_server.base_url, "plant_ids": [7], "user_agent": "probe/1.0"})
    headers = tr2000_server.requests[0].headers
    assert headers["User-Agent"] == "probe/1.0"
    assert headers["Accept"] == "application/json"
