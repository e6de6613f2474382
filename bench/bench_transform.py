"""Benchmark the DW merge (transform/macros/dw_table.sql) on DuckDB against the predecessor's way.

One staging table (MOLO reservations, the spec's columns in their DuckDB types) with N rows; the
model is built with dbt three times: first load, an unchanged re-run, and a run after 1% of rows
changed and 0.5% were deleted. The predecessor's stored procedure MERGEd every staging row into
the warehouse table and set DW_LAST_UPDATED on all of them; the same statement is timed directly
in DuckDB for comparison. Not a test: run by hand, needs `meltano install` (dbt-duckdb utility).

    .venv/bin/python bench/bench_transform.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
TRANSFORM = REPO / "transform"
DBT = REPO / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
STREAM = "reservations"


def _table():
    sys.path.insert(0, str(TRANSFORM / "scripts"))
    import generate_models

    spec = REPO / "tap-molo-s3" / "tap_molo_s3" / "tables.json"
    return next(t for t in generate_models.spec_tables("molo", spec) if t.stream == STREAM)


# A value of each column kind (the target's DuckDB types), varying over 997 values.
VALUES = {
    "integer": "i % 997",
    "number": "cast((i % 997) / 7.0 as double)",
    "boolean": "i % 2 = 0",
    "datetime": "timestamp '2025-01-01 00:00:00' + to_minutes(i % 997)",
    "date": "date '2025-01-01' + cast(i % 997 as integer)",
}


def _text_value(n: int) -> str:
    return f"'v' || (i % 997)::varchar || '{n}'"


def _create_staging(path: Path, rows: int) -> list[str]:
    """The staging table with the spec's columns in the types the target gives them; returns
    the text columns (the ones the bench edits)."""
    table = _table()
    columns = [c for c in table.columns if c.name not in table.key]
    select = ", ".join(
        f"{VALUES.get(c.kind, _text_value(n))} as {c.name}" for n, c in enumerate(columns)
    )
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"create table stg_molo_{STREAM} as select i as id, {select}, "
            "cast(null as timestamp) as sdc_deleted_at, 'run-1' as etl_run_id "
            f"from range(1, {rows} + 1) t(i)"
        )
    return [c.name for c in columns if c.kind == "string"]


def _dbt_build(path: Path, work: Path) -> tuple[float, float]:
    """(wall seconds of the dbt process, seconds dbt spent executing the model)."""
    env = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(path),
        "DBT_PROFILES_DIR": str(TRANSFORM / "profiles" / "duckdb"),
        "DBT_PROJECT_DIR": str(TRANSFORM),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    started = time.perf_counter()
    subprocess.run(
        [str(DBT), "run", "--select", f"dw_molo_{STREAM}", "--quiet"],
        env=env,
        check=True,
        cwd=TRANSFORM,
    )
    wall = time.perf_counter() - started
    results = json.loads((work / "target" / "run_results.json").read_text())
    return wall, results["results"][0]["execution_time"]


def _predecessor_merge(path: Path) -> float:
    """SP_MERGE_MOLO_*: every matched row updated, DW_LAST_UPDATED bumped on all of them."""
    columns = [c.name for c in _table().columns if c.name != "id"]
    sets = ", ".join(f"{c} = src.{c}" for c in columns)
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create table pred_{STREAM} as select * from stg_molo_{STREAM}")
        connection.execute(
            f"alter table pred_{STREAM} add column dw_last_inserted timestamp default now()"
        )
        connection.execute(
            f"alter table pred_{STREAM} add column dw_last_updated timestamp default now()"
        )
        started = time.perf_counter()
        connection.execute(
            f"merge into pred_{STREAM} tgt using stg_molo_{STREAM} src on (tgt.id = src.id) "
            f"when matched then update set {sets}, dw_last_updated = now() "
            f"when not matched then insert ({', '.join(['id', *columns])}) "
            f"values ({', '.join('src.' + c for c in ['id', *columns])})"
        )
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if not DBT.exists():
        print("run `meltano install` first (the dbt-duckdb utility)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-transform-"))
    try:
        path = work / "warehouse.duckdb"
        columns = _create_staging(path, args.rows)
        first = _dbt_build(path, work)
        unchanged = _dbt_build(path, work)
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                f"update stg_molo_{STREAM} set {columns[0]} = {columns[0]} || ' changed', "
                "etl_run_id = 'run-2' where id % 100 = 0"
            )
            connection.execute(f"delete from stg_molo_{STREAM} where id % 200 = 1")
        changed = _dbt_build(path, work)
        with duckdb.connect(str(path)) as connection:
            touched = connection.execute(
                f"select count(*) filter (where dw_last_updated > dw_last_inserted), "
                f"count(*) filter (where dw_is_deleted = 1) from dw_molo_{STREAM}"
            ).fetchone()
        predecessor = _predecessor_merge(path)
        print(
            f"\nDW merge of stg_molo_{STREAM}: {args.rows:,} rows, {len(_table().columns)} columns"
        )
        print("  (model = dbt's execution time of the model; wall = the whole dbt process)")
        for label, (wall, model) in (
            ("dbt first load", first),
            ("dbt re-run, nothing changed", unchanged),
            ("dbt re-run, 1% changed, 0.5% gone", changed),
        ):
            print(f"  {label:<36} model {model:7.2f} s   wall {wall:7.2f} s")
        print(f"    -> {touched[0]:,} rows updated, {touched[1]:,} flagged deleted, rest untouched")
        print(
            f"  {'predecessor MERGE (every row)':<36} model {predecessor:7.2f} s"
            f"   ({args.rows:,} rows rewritten, DW_LAST_UPDATED bumped on all)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
