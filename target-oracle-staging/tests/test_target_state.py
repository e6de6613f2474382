"""STATE leaves the target only after the rows it covers are committed.

The target runs as its own process; we read its STATE lines while it loads, kill it with
SIGKILL in the middle of the load, and check every STATE it managed to emit against the table.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from target_oracle_staging.target import TargetOracleStaging, TerminatedError
from target_oracle_staging.testing import (
    Database,
    record_message,
    run_target,
    schema_message,
    state_message,
    to_lines,
)

TOTAL = 40_000
BATCH = 2_000


# The feeder holds back the input after this record until the test has sent its signal, so the
# signal always lands mid-load (with a batch half full) however slow or fast the machine is.
HELD_AFTER = 9_250


def _input() -> tuple[str, str]:
    """The input in two parts: up to record HELD_AFTER (with its STATEs), and the rest."""
    head = [
        schema_message("events", {"id": {"type": "integer"}, "body": {"type": "string"}}, ["id"])
    ]
    tail: list[dict] = []
    for n in range(1, TOTAL + 1):
        part = head if n <= HELD_AFTER else tail
        part.append(record_message("events", {"id": n, "body": f"event {n} " + "x" * 40}))
        if n % 500 == 0:
            part.append(state_message({"bookmarks": {"events": n}}))
    return to_lines(head), to_lines(tail)


def _feed(process: subprocess.Popen, parts: tuple[str, str], signalled: threading.Event) -> None:
    try:
        for number, data in enumerate(parts):
            if number:
                signalled.wait(timeout=120)
            for start in range(0, len(data), 64 * 1024):
                process.stdin.write(data[start : start + 64 * 1024])
            process.stdin.flush()
        process.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the target was killed while we were still writing


def _start(
    database: Database, tmp_path: Path
) -> tuple[subprocess.Popen, threading.Thread, threading.Event]:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({**database.config, "batch_size_rows": BATCH}))
    process = subprocess.Popen(
        [sys.executable, "-m", "target_oracle_staging", "--config", str(config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    signalled = threading.Event()
    feeder = threading.Thread(target=_feed, args=(process, _input(), signalled), daemon=True)
    feeder.start()
    return process, feeder, signalled


def _check_committed(database: Database, states: list[int]) -> None:
    table = database.table(f"{database.prefix}EVENTS")
    committed = database.rows(f"select min(id), max(id), count(*) from {table}")[0]
    assert committed[2] < TOTAL, "the signal came after the whole load"
    # every row the last emitted STATE covers is committed (ids 1..state, no gaps)
    assert committed[0] == 1
    assert committed[2] >= states[-1]
    covered = database.scalar(f"select count(*) from {table} where id <= :n", n=states[-1])
    assert covered == states[-1]


def test_state_is_never_ahead_of_committed_rows(database: Database, tmp_path: Path) -> None:
    process, feeder, signalled = _start(database, tmp_path)
    states = []
    for line in process.stdout:
        states.append(json.loads(line)["bookmarks"]["events"])
        if len(states) == 3:
            process.send_signal(signal.SIGKILL)  # no chance to clean up or drain
            signalled.set()
            break
    process.wait(timeout=60)
    feeder.join(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert len(states) == 3, "the target emitted STATE while loading"

    _check_committed(database, states)
    # and the run is still marked RUNNING: nobody could write SUCCESS for it
    status = database.rows(f"select status from {database.table('ETL_CONTROL')}")
    assert status == [("RUNNING",)]


def test_sigterm_stops_with_failed_run_and_committed_state(database: Database, tmp_path) -> None:
    process, feeder, signalled = _start(database, tmp_path)
    states = []
    for line in process.stdout:
        states.append(json.loads(line)["bookmarks"]["events"])
        if len(states) == 2:
            process.send_signal(signal.SIGTERM)
            signalled.set()
            break
    states += [json.loads(line)["bookmarks"]["events"] for line in process.stdout]
    process.wait(timeout=60)
    feeder.join(timeout=10)
    assert process.returncode not in (0, -signal.SIGTERM)  # handled, and reported as failure
    _check_committed(database, states)
    status = database.rows(f"select status, error_text from {database.table('ETL_CONTROL')}")
    assert status[0][0] == "FAILED"
    assert "terminated by signal 15" in status[0][1]


class _StateProbe(io.StringIO):
    """stdout of an in-process run: at each STATE line, how many of its rows are committed."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.seen: list[tuple[int, int]] = []  # (STATE's last id, rows id <= it committed)

    def write(self, text: str) -> int:
        for line in text.splitlines():
            n = json.loads(line)["bookmarks"]["events"]
            table = self.database.table(f"{self.database.prefix}EVENTS")
            committed = self.database.scalar(f"select count(*) from {table} where id <= :n", n=n)
            self.seen.append((n, committed))
        return len(text)


def test_state_waits_for_the_batch_loading_in_the_background(pg_url) -> None:
    """PostgreSQL loads a batch while the next is read: each STATE is written only when every
    row before it is committed (checked from another connection at the moment it is written),
    and none is held back to the end."""
    database = Database(
        "postgresql",
        {"sqlalchemy_url": pg_url.url, "default_target_schema": pg_url.schema},
        pg_url.url,
        prefix="STG_",
    )
    messages = [schema_message("events", {"id": {"type": "integer"}}, ["id"])]
    for n in range(1, 10):
        messages += [
            record_message("events", {"id": n}),
            state_message({"bookmarks": {"events": n}}),
        ]
    probe = _StateProbe(database)
    target = TargetOracleStaging(config={**database.config, "batch_size_rows": 2})
    assert target.run.loader.enabled
    try:
        with contextlib.redirect_stdout(probe):
            target.listen(io.StringIO(to_lines(messages)))
    finally:
        database.dispose()
    assert [committed for _, committed in probe.seen] == [n for n, _ in probe.seen]
    emitted = [n for n, _ in probe.seen]
    assert emitted == sorted(set(emitted))
    assert emitted[-1] == 9
    assert len(emitted) >= 4  # released batch by batch, not only at the end


class _SignalOnFirstWrite(io.StringIO):
    """A log stream that sends SIGTERM to this process while a log line is being written:
    the signal's error is raised inside logging's handler, whose `except Exception` (its
    handleError) swallows it, as any library's broad except might."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = False

    def write(self, text: str) -> int:
        if not self.sent and "Summary" in text:
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes, here
                pass
        return super().write(text)


def test_a_sigterm_swallowed_where_it_landed_still_fails_the_run(
    database: Database, monkeypatch
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)  # handleError stays quiet
    stream = _SignalOnFirstWrite()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("target_oracle_staging")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    previous = signal.getsignal(signal.SIGTERM)
    messages = [
        schema_message("events", {"id": {"type": "integer"}}, ["id"]),
        *[record_message("events", {"id": n}) for n in range(1, 11)],
        state_message({"bookmarks": {"events": 10}}),
    ]
    try:
        run = run_target({**database.config, "batch_size_rows": 5}, messages, expect_error=True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        signal.signal(signal.SIGTERM, previous)
    assert stream.sent, "no Summary line was logged"
    assert isinstance(run.error, TerminatedError)
    status = database.rows(f"select status, error_text from {database.table('ETL_CONTROL')}")
    assert status[0][0] == "FAILED"
    assert "terminated by signal 15" in status[0][1]
