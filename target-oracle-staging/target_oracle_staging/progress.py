"""Progress in one compact line at most every `progress_interval_seconds`, and a summary."""

from __future__ import annotations

import logging
import time
import typing as t

if t.TYPE_CHECKING:
    from target_oracle_staging.ledger import StreamStats

logger = logging.getLogger("target_oracle_staging")


class Progress:
    """Rows loaded and rejected per stream, with the rate since the run started."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self.started = time.monotonic()
        self._last = self.started

    def _rate(self, rows: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return f"{rows / elapsed:,.0f} rows/s"

    def batch_done(self, streams: t.Iterable[StreamStats]) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        parts = [
            f"{s.stream} {s.loaded:,} loaded"
            + (f" ({s.rejected:,} rejected)" if s.rejected else "")
            for s in streams
        ]
        total = sum(s.loaded for s in streams) if parts else 0
        logger.info("Progress: %s; %s", ", ".join(parts), self._rate(total))

    def summary(self, streams: t.Iterable[StreamStats]) -> None:
        streams = list(streams)
        loaded = sum(s.loaded for s in streams)
        rejected = sum(s.rejected for s in streams)
        elapsed = time.monotonic() - self.started
        logger.info(
            "Summary: %d streams, %s rows loaded (%s inserted, %s updated, %s retired), "
            "%s rejected, in %.1f s (%s)",
            len(streams),
            f"{loaded:,}",
            f"{sum(s.inserted for s in streams):,}",
            f"{sum(s.updated for s in streams):,}",
            f"{sum(s.deleted for s in streams):,}",
            f"{rejected:,}",
            elapsed,
            self._rate(loaded),
        )
