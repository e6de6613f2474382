"""Two runs (e.g. parallel partitions) creating the same new tables at once both succeed."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from target_oracle_staging.testing import record_message, schema_message, to_lines

STREAMS = 25
STARTUP_SECONDS = 4


def _input(offset: int) -> str:
    messages = []
    for n in range(STREAMS):
        stream = f"s{n}"
        messages.append(schema_message(stream, {"id": {"type": "integer"}}, ["id"]))
        messages.append(record_message(stream, {"id": offset}))
    return to_lines(messages)


def test_parallel_runs_create_the_same_tables(tmp_path, pg_url) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"sqlalchemy_url": pg_url.url, "default_target_schema": f"{pg_url.schema}_new"})
    )
    command = [sys.executable, "-m", "target_oracle_staging.target", "--config", str(config)]
    runs = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    time.sleep(STARTUP_SECONDS)  # both started and waiting on stdin: their CREATEs meet
    for offset, run in enumerate(runs):
        assert run.stdin is not None
        run.stdin.write(_input(offset))
        run.stdin.close()
    errors = [run.stderr.read() if run.stderr else "" for run in runs]
    assert [run.wait(timeout=120) for run in runs] == [0, 0], [e[-1500:] for e in errors]
    engine = pg_url.engine()
    import sqlalchemy as sa

    try:
        with engine.connect() as conn:
            for n in range(STREAMS):
                rows = conn.execute(
                    sa.text(f"select id from {pg_url.schema}_new.stg_s{n} order by id")
                ).fetchall()
                assert [r[0] for r in rows] == [0, 1]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop schema if exists {pg_url.schema}_new cascade"))
        engine.dispose()
