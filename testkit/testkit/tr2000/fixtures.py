"""pytest fixtures for the TR2000 fixture API server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from testkit.tr2000.server import Tr2000Server
from testkit.tr2000.world import World, WorldShape, generated_world, sample_world


@pytest.fixture
def tr2000_server() -> Iterator[Tr2000Server]:
    """The sample world (real 8 operators and 130 plants) on 127.0.0.1; stopped after the test."""
    with Tr2000Server(sample_world()) as server:
        yield server


@pytest.fixture
def tr2000_server_factory() -> Iterator[Callable[..., Tr2000Server]]:
    """Start servers over any world: `factory(world)` or `factory(plants=3, shape=WorldShape())`."""
    started: list[Tr2000Server] = []

    def start(
        world: World | None = None, *, plants: int = 3, shape: WorldShape | None = None
    ) -> Tr2000Server:
        server = Tr2000Server(world or generated_world(plants=plants, shape=shape)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
