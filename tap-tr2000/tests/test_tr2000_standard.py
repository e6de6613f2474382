"""The SDK's standard tap tests against a small generated world on the fixture server."""

from __future__ import annotations

import atexit

import pytest
from singer_sdk.testing import get_tap_test_class
from tap_tr2000.tap import TapTr2000
from testkit.tr2000 import Tr2000Server, WorldShape, generated_world
from testkit.tr2000.keys import duplicate_keys

# The SDK builds the test class at import time, so the server must be up before it.
_SERVER = Tr2000Server(
    generated_world(
        plants=2,
        shape=WorldShape(issues_per_plant=2, pcs_per_plant=2, revisions_per_pcs=2, vds_count=3),
    )
).start()
atexit.register(_SERVER.stop)

StandardTests = get_tap_test_class(
    TapTr2000,
    config={
        "base_url": _SERVER.base_url,
        "include_vds": True,
        "include_vds_details": True,
        "pcs_revisions": "all",
        "requests_per_second": 0,
    },
)


@pytest.fixture(scope="module", autouse=True)
def _stop_server_after_module():
    yield
    _SERVER.stop()


class TestTapTr2000Standard(StandardTests):
    def test_every_stream_has_records(self, runner) -> None:
        """Beyond the SDK suite: the world feeds every stream, so an empty one is a bug."""
        empty = [name for name in runner.new_tap().streams if not runner.records[name]]
        assert empty == []

    def test_primary_keys_are_unique_in_every_stream(self, runner) -> None:
        """The SDK's own uniqueness check counts generator objects, so it cannot fail."""
        duplicates = {
            name: duplicate_keys(runner.records[name], stream.primary_keys)
            for name, stream in runner.new_tap().streams.items()
        }
        assert {name: found for name, found in duplicates.items() if found} == {}
        assert all(runner.records[name] for name in duplicates)
