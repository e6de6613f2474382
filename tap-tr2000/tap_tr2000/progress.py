"""One compact progress line at most every `interval` seconds, and the run's summary line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Counts what the run has done; `tick()` logs when the interval has passed.

    Ticks come from the consumer thread (every record, every finished plant), so a line is never
    more than one record late; `requests` and `retries` are read from the client.
    """

    logger: logging.Logger
    interval: float
    requests: Callable[[], int]
    retries: Callable[[], int]
    clock: Callable[[], float] = time.monotonic
    plants_total: int | None = None
    plants_done: int = 0
    plants_unchanged: int = 0
    records: int = 0
    lines: int = 0
    started: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self._last = self.clock()

    def record(self) -> None:
        self.records += 1
        self.tick()

    def plant_done(self, *, unchanged: bool) -> None:
        self.plants_done += 1
        self.plants_unchanged += unchanged
        self.tick()

    def tick(self) -> None:
        if self.interval <= 0:
            return
        now = self.clock()
        if now - self._last < self.interval:
            return
        self._last = now
        self.lines += 1
        self.logger.info("TR2000 progress: %s", self.status(now))

    def status(self, now: float | None = None) -> str:
        elapsed = max((now if now is not None else self.clock()) - self.started, 1e-9)
        total = "?" if self.plants_total is None else f"{self.plants_total:,}"
        requests = self.requests()
        return (
            f"plants {self.plants_done:,} of {total} ({self.plants_unchanged:,} unchanged), "
            f"{requests:,} requests ({requests / elapsed:,.1f}/s, {self.retries():,} retries), "
            f"{self.records:,} records ({self.records / elapsed:,.0f}/s), {elapsed:,.0f} s"
        )
