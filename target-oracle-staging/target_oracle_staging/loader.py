"""One batch loads in the background while the next one is read.

Reading and converting records is Python; bulk loading, merging and committing is the database
driver, which releases the GIL. With one batch in flight the two overlap (measured: the database
part is a third of a DuckDB run and nearly half of a PostgreSQL one). Only one batch is ever in
flight, so memory stays at two batches and batches commit in arrival order.

The worker thread only runs the batch's database work on the load session. Everything else (the
ledger, counts, rejects, STATE) happens on the main thread when the batch is collected: before
the next batch is handed over, before anything else uses the load session, and at the end.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

logger = logging.getLogger("target_oracle_staging")

T = t.TypeVar("T")
_Pending = tuple[Future, t.Callable[[t.Any], None], t.Callable[[BaseException], None]]


class BatchLoader:
    """At most one job in flight on a single worker thread; `enabled=False` runs jobs inline."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._executor: ThreadPoolExecutor | None = None
        self._worker_ident: int | None = None
        self._pending: _Pending | None = None

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def submit(
        self,
        job: t.Callable[[], T],
        finish: t.Callable[[T], None],
        fail: t.Callable[[BaseException], None],
    ) -> None:
        """Run `job` (in the background when enabled); `finish(result)` or `fail(error)` run
        on the calling thread when the job is collected (`fail` then the error is raised)."""
        self.collect()
        if not self.enabled:
            try:
                result = job()
            except BaseException as exc:
                fail(exc)
                raise
            finish(result)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, "target-loader", self._remember_worker)
        self._pending = (self._executor.submit(job), finish, fail)

    def _remember_worker(self) -> None:
        self._worker_ident = threading.get_ident()

    def collect(self) -> None:
        """Wait for the batch in flight and finish it here (a failed batch raises its error).

        Called from the worker itself (the job uses the load session) it does nothing.
        """
        if self._pending is None or threading.get_ident() == self._worker_ident:
            return
        future, finish, fail = self._pending
        try:
            result = future.result()  # a signal may interrupt this: the job stays pending
        except BaseException as exc:
            if not future.done():
                raise
            self._pending = None
            fail(exc)
            raise
        self._pending = None
        finish(result)

    def settle(self) -> None:
        """After a failure: let the batch in flight end (commit or fail) before the session
        closes; its error, if any, is logged, the run's failure is what gets reported."""
        try:
            self.collect()
        except BaseException:  # the original failure is already being handled
            logger.debug("The batch in flight failed too", exc_info=True)

    def close(self) -> None:
        self.settle()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
