"""The TR2000 fixture API server (owned with tap-tr2000): world of responses, server, CLI."""

from testkit.tr2000.server import Fault, Tr2000Server
from testkit.tr2000.world import World, WorldShape, build_world, generated_world, sample_world

__all__ = [
    "Fault",
    "Tr2000Server",
    "World",
    "WorldShape",
    "build_world",
    "generated_world",
    "sample_world",
]
