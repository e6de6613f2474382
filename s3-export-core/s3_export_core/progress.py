"""Progress of one run: at most one compact line every `interval` seconds, and a summary.

Bytes come from the counting wrapper around the archive's handle (compressed bytes read of the
archive's size); records from the row loop, which calls `tick` every few thousand rows.
"""

from __future__ import annotations

import logging
import time
from typing import Any, BinaryIO

MIB = 1024 * 1024
TICK_EVERY_ROWS = 4096  # a power of two: the row loop tests `rows & (TICK_EVERY_ROWS - 1)`


class Progress:
    def __init__(self, logger: logging.Logger, interval: float) -> None:
        self._logger = logger
        self._interval = interval
        self._started = time.monotonic()
        self._last = self._started
        self.total_bytes = 0
        self.bytes_read = 0
        self.records_done = 0  # records of finished streams
        self.streams_done = 0

    def tick(self, stream: str, rows: int) -> None:
        if self._interval <= 0:
            return
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        records = self.records_done + rows
        self._logger.info(
            "Progress: stream %s %s records; run %s records (%s/s), %s; %.0f s",
            stream,
            f"{rows:,}",
            f"{records:,}",
            f"{records / max(now - self._started, 1e-9):,.0f}",
            self._bytes_text(),
            now - self._started,
        )

    def stream_done(self, rows: int) -> None:
        self.records_done += rows
        self.streams_done += 1

    def summary(self, tap_name: str, location: str) -> None:
        elapsed = time.monotonic() - self._started
        self._logger.info(
            "%s done: %s records from %d streams in %.1f s (%s records/s); %s of %s",
            tap_name,
            f"{self.records_done:,}",
            self.streams_done,
            elapsed,
            f"{self.records_done / max(elapsed, 1e-9):,.0f}",
            self._bytes_text(),
            location,
        )

    def _bytes_text(self) -> str:
        if not self.total_bytes:
            return f"{self.bytes_read / MIB:,.1f} MiB read"
        share = 100 * self.bytes_read / self.total_bytes
        done, total = self.bytes_read / MIB, self.total_bytes / MIB
        return f"{done:,.1f} of {total:,.1f} MiB read ({share:.0f} %)"


class CountingReader:
    """Delegates to a binary handle and counts the bytes read through it."""

    def __init__(self, handle: BinaryIO, progress: Progress) -> None:
        self._handle = handle
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._progress.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        self._progress.bytes_read += count or 0
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def seekable(self) -> bool:
        return self._handle.seekable()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed
