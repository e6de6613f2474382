"""The testkit's corpus of bad API answers: each one fails naming stream and URL, or recovers.

No bad answer may end as a successful run (it would carry the completion marker, and a target
could then treat missing rows as gone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tap_tr2000.client import Tr2000Error
from tap_tr2000.conform import Tr2000ValueError
from testkit.tr2000 import Tr2000Server, WorldShape, generated_world
from testkit.tr2000.badresponses import BadResponse, bad_response_corpus

WORLD = generated_world(
    plants=1,
    shape=WorldShape(issues_per_plant=1, pcs_per_plant=1, revisions_per_pcs=1, vds_count=1),
)
CORPUS = bad_response_corpus(WORLD)
CONFIG = {"include_vds_details": True, "pcs_revisions": "all", "request_timeout": 2}


@pytest.fixture(scope="module")
def server() -> Iterator[Tr2000Server]:
    with Tr2000Server(WORLD) as server:
        yield server


@pytest.fixture(scope="module")
def clean_runs(server) -> dict[frozenset[str], Any]:
    return {}


def _config(server: Tr2000Server, case: BadResponse) -> dict[str, Any]:
    return {**CONFIG, **case.config, "base_url": server.base_url}


@pytest.fixture(scope="module")
def catalogs() -> dict[tuple[frozenset[str], str], dict[str, Any]]:
    return {}


@pytest.fixture
def run(server, tap_runner, catalog_for, catalogs):
    def start(case: BadResponse, state=None, on_message=None):
        config = _config(server, case)
        key = (frozenset(case.selected), repr(sorted(config.items())))
        if key not in catalogs:  # building one costs a tap and its discovery
            catalogs[key] = catalog_for(config, case.selected)
        catalog = catalogs[key]
        return tap_runner(config, state=state, catalog=catalog, on_message=on_message)

    return start


def test_corpus_is_large_and_covers_every_endpoint() -> None:
    assert len(CORPUS) >= 150
    assert len({c.id for c in CORPUS}) == len(CORPUS)
    assert {c.outcome for c in CORPUS} == {"error", "recovers"}
    assert len({c.stream for c in CORPUS}) == 13


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_bad_response(server, clean_runs, run, case: BadResponse) -> None:
    server.clear_faults()
    state = run(case).final_state if case.after_good_run else None
    server.reset_log()
    server.add_fault(case.pattern, **case.fault)
    messages: list[dict[str, Any]] = []
    try:
        if case.outcome == "recovers":
            key = frozenset(case.selected)
            if key not in clean_runs:
                server.clear_faults()
                clean_runs[key] = run(case)
                server.add_fault(case.pattern, **case.fault)
            result = run(case)
            assert result.records == clean_runs[key].records
            assert result.tap.client.retry_count >= 1
            assert "sync_completed" in result.final_state
            return
        with pytest.raises((Tr2000Error, Tr2000ValueError)) as caught:
            run(case, state=state, on_message=messages.append)
    finally:
        server.clear_faults()
    text = str(caught.value)
    assert f"stream {case.stream}:" in text
    assert f"{server.base_url}{case.endpoint.path}" in text
    assert re.search(case.message, text), text
    assert server.count(case.pattern) >= 1
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert all("sync_completed" not in s for s in states)
