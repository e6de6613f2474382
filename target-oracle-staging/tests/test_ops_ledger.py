"""The ops commands read old ledgers (current target) and ledgers with the new C4 columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from target_oracle_staging.ops.db import open_database
from target_oracle_staging.ops.evaluate import Evaluator
from target_oracle_staging.ops.ledger import CONTROL_COLUMNS, LedgerReader
from target_oracle_staging.ops.rules import parse_rules

NOW = dt.datetime(2026, 3, 1, 12, 0, 0)
RULES = parse_rules(
    "rules:\n  - {name: stuck, kind: incomplete_run, stale_minutes: 30}\n", "inline.yml"
)


def _new_style_ledger(path: Path) -> None:
    """ETL_CONTROL with every CONTRACTS C4 column, as the reworked target writes it."""
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.begin() as conn:
        columns = ", ".join(
            f"{c} TIMESTAMP"
            if c.endswith("_at")
            else f"{c} BIGINT"
            if c.startswith("records") or c == "process_id"
            else f"{c} VARCHAR"
            for c in CONTROL_COLUMNS
        )
        conn.execute(sa.text(f"CREATE TABLE etl_control ({columns})"))
        rows = [
            # started long ago, heartbeat a minute ago: alive, no alert
            ("alive", NOW - dt.timedelta(hours=5), NOW - dt.timedelta(minutes=1)),
            # heartbeat an hour ago: its process is gone
            ("silent", NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1)),
        ]
        for run_id, started, beat in rows:
            values = dict.fromkeys(CONTROL_COLUMNS)
            values.update(
                run_id=run_id, source_name="TR2000", status="RUNNING", started_at=started,
                heartbeat_at=beat, host_name="etl-host-1", process_id=4242, source_complete="N",
                state_id="dev:tap-tr2000-to-target-oracle-staging",
            )  # fmt: skip
            names = ", ".join(values)
            binds = ", ".join(f":{k}" for k in values)
            conn.execute(sa.text(f"INSERT INTO etl_control ({names}) VALUES ({binds})"), values)
    engine.dispose()


def test_new_columns_are_read_and_the_heartbeat_decides(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    _new_style_ledger(path)
    db = open_database({"database_path": str(path)})
    try:
        reader = LedgerReader(db)
        runs = {r["run_id"]: r for r in reader.runs()}
        assert runs["silent"]["host_name"] == "etl-host-1"
        assert runs["silent"]["process_id"] == 4242
        assert reader.streams() == []  # no ETL_STREAM_LOG yet: nothing, not an error
        breaches = Evaluator(reader, now=NOW).evaluate(RULES, 24)
    finally:
        db.dispose()
    assert [(b.rule.name, b.run_id, b.value) for b in breaches] == [("stuck", "silent", 60.0)]


def test_old_ledger_without_new_columns_reads_them_as_none(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE etl_control (run_id VARCHAR, source_name VARCHAR, status VARCHAR, "
                "started_at TIMESTAMP, ended_at TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO etl_control VALUES ('r1', 'MOLO', 'RUNNING', :s, NULL)"),
            {"s": NOW - dt.timedelta(hours=3)},
        )
    engine.dispose()
    db = open_database({"database_path": str(path)})
    try:
        reader = LedgerReader(db)
        (run,) = reader.runs()
        assert run["heartbeat_at"] is None
        assert run["records_rejected"] is None
        breaches = Evaluator(reader, now=NOW).evaluate(RULES, 24)
    finally:
        db.dispose()
    # Without a heartbeat column the start time is the last sign of life.
    assert [(b.run_id, b.value) for b in breaches] == [("r1", 180.0)]
