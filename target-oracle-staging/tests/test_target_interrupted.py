"""After a crash the ledger tells the truth: a new run marks older RUNNING runs of its source
that no live process owns as INTERRUPTED, and leaves live ones alone."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys

import sqlalchemy as sa
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

MESSAGES = [
    schema_message("s", {"id": {"type": "integer"}}, ["id"]),
    record_message("s", {"id": 1}),
]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_ghost_runs_are_marked_interrupted(database: Database) -> None:
    config = {**database.config, "source_name": "GHOSTS", "stale_run_minutes": 30}
    run_target(config, MESSAGES)  # creates the ledger
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    here = socket.gethostname()
    ghosts = {
        "same-host-dead": (here, _dead_pid(), now),
        "same-host-alive": (here, alive.pid, now - dt.timedelta(hours=5)),
        "other-host-stale": ("elsewhere", 1, now - dt.timedelta(minutes=31)),
        "other-host-fresh": ("elsewhere", 1, now - dt.timedelta(minutes=5)),
    }
    control = database.table("ETL_CONTROL")
    try:
        with database.engine.begin() as conn:
            for run_id, (host, pid, heartbeat) in ghosts.items():
                conn.execute(
                    sa.text(
                        f"insert into {control} (run_id, source_name, started_at, status, "
                        "host_name, process_id, heartbeat_at) values "
                        "(:r, 'GHOSTS', :h, 'RUNNING', :host, :pid, :h)"
                    ),
                    {"r": run_id, "host": host, "pid": pid, "h": heartbeat},
                )
            conn.execute(
                sa.text(
                    f"insert into {control} (run_id, source_name, started_at, status, host_name, "
                    "process_id, heartbeat_at) values ('other-source', 'OTHER', :h, 'RUNNING', "
                    "'elsewhere', 1, :h)"
                ),
                {"h": now - dt.timedelta(days=2)},
            )
        database.dispose()

        noticing = run_target(config, MESSAGES)

        rows = dict(
            database.rows(
                f"select run_id, status from {control} where run_id <> :r", r=noticing.run_id
            )
        )
        assert rows["same-host-dead"] == "INTERRUPTED"
        assert rows["other-host-stale"] == "INTERRUPTED"
        assert rows["same-host-alive"] == "RUNNING"  # its process still runs
        assert rows["other-host-fresh"] == "RUNNING"  # its heartbeat is recent
        assert rows["other-source"] == "RUNNING"  # not this source's run
        text = database.scalar(f"select error_text from {control} where run_id = 'same-host-dead'")
        assert "noticed at" in text
        assert noticing.run_id in text
    finally:
        alive.kill()
        alive.wait()
