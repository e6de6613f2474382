"""Benchmark: target-oracle-staging against its peers on the same generated Singer file.

Generates N records (20 mixed columns, key `id`, deterministic), then feeds the file to
  - target-oracle-staging on DuckDB and on PostgreSQL,
  - the limit: each database's own bulk reader (DuckDB `read_csv`, PostgreSQL `COPY`) loading
    the same rows from a CSV file, printed beside our figure with the ratio,
  - meltanolabs-target-postgres (use_copy true) and target-duckdb, each installed by this
    script in its own venv under bench/.venvs/,
and reports rows/s, peak RSS and the rows that actually landed, side by side.

Usage:  .venv/bin/python bench/bench_target.py [--records 1000000] [--big 5000000]
        [--skip-peers] [--only ours|peers]
Not a test: it takes minutes and never runs in CI.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import sqlalchemy as sa
from testkit.uv_finder import find_uv

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
VENVS = ROOT / "bench" / ".venvs"
OUR_EXECUTABLE = ROOT / ".venv" / "bin" / "target-oracle-staging"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STREAM = "bench_rows"
PEERS = {
    "target-postgres": ["meltanolabs-target-postgres==0.8.1"],
    "target-duckdb": ["target-duckdb==0.8.0", "duckdb==2.0.0"],
}

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        **{f"name_{i}": {"type": ["null", "string"]} for i in range(1, 7)},
        **{f"count_{i}": {"type": ["null", "integer"]} for i in range(1, 5)},
        **{f"amount_{i}": {"type": ["null", "number"]} for i in range(1, 5)},
        **{
            f"changed_{i}": {"type": ["null", "string"], "format": "date-time"} for i in range(1, 4)
        },
        **{f"flag_{i}": {"type": ["null", "boolean"]} for i in range(1, 3)},
    },
}
WORDS = [
    "Ålesund",
    "Bergen",
    "Stavanger",
    "Trondheim",
    "Tromsø",
    "Bodø",
    "Oslo",
    "Kristiansund",
    "Hammerfest",
    "Mongstad",
    "Kårstø",
    "Snøhvit",
    "Johan Sverdrup",
    "Troll",
    "Oseberg",
]


def generate(path: Path, records: int, seed: int = 20261123) -> None:
    """Write the Singer file: one SCHEMA, `records` RECORDs, a STATE every 100k."""
    if path.exists() and path.stat().st_size > 0:
        return
    rng = random.Random(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    offsets = [dt.timezone(dt.timedelta(hours=h)) for h in (-5, 0, 1, 2, 9)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["id"]}
            )
            + "\n"
        )
        for n in range(1, records + 1):
            record: dict = {"id": n}
            for i in range(1, 7):
                record[f"name_{i}"] = f"{rng.choice(WORDS)} {rng.randrange(10**6)} ✓{i}"
            for i in range(1, 5):
                record[f"count_{i}"] = rng.randrange(-(10**9), 10**9)
            for i in range(1, 5):
                record[f"amount_{i}"] = round(rng.uniform(-1e6, 1e6), 4)
            for i in range(1, 4):
                moment = base + dt.timedelta(seconds=rng.randrange(10**8))
                record[f"changed_{i}"] = moment.astimezone(rng.choice(offsets)).isoformat()
            for i in range(1, 3):
                record[f"flag_{i}"] = rng.random() < 0.5
            out.write(
                json.dumps(
                    {
                        "type": "RECORD",
                        "stream": STREAM,
                        "record": record,
                        "time_extracted": "2026-11-23T12:00:00+00:00",
                    }
                )
                + "\n"
            )
            if n % 100_000 == 0:
                out.write(json.dumps({"type": "STATE", "value": {"rows": n}}) + "\n")


COLUMNS = list(SCHEMA["properties"])


def _sql_type(prop: dict) -> str:
    """The column type the target creates for a property (parity on), for the limit runs."""
    kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    if prop.get("format") == "date-time":
        return "TIMESTAMPTZ"
    if "integer" in kinds:
        return "NUMERIC(38,0)"
    if "number" in kinds:
        return "DOUBLE PRECISION"
    if "boolean" in kinds:
        return "BOOLEAN"
    return "VARCHAR(4000)"


def write_csv(data: Path) -> Path:
    """The same rows as the Singer file, as CSV (header, empty = NULL) for the bulk readers."""
    path = data.with_suffix(".csv")
    if path.exists() and path.stat().st_size > 0:
        return path
    with data.open("rb") as source, path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for line in source:
            message = json.loads(line)
            if message["type"] == "RECORD":
                record = message["record"]
                writer.writerow(["" if record[c] is None else record[c] for c in COLUMNS])
    return path


def limit_duckdb(csv_path: Path, records: int) -> dict:
    """DuckDB's `read_csv` into a typed table: what DuckDB itself does with these rows.

    In a child process: DuckDB's memory would otherwise stay in this one, and every loader
    started after it would inherit that peak RSS through fork (ru_maxrss counts it).
    """
    done = subprocess.run(
        [sys.executable, __file__, "--limit-duckdb", str(csv_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, landed = json.loads(done.stdout)
    return _limit("duckdb read_csv", "duckdb", seconds, landed, records)


def _read_csv_into_duckdb(csv_path: Path) -> tuple[float, int]:
    db = WORK / "limit.duckdb"
    db.unlink(missing_ok=True)
    columns = ", ".join(f"'{c}': '{_sql_type(SCHEMA['properties'][c])}'" for c in COLUMNS)
    with duckdb.connect(str(db)) as conn:
        started = time.perf_counter()
        conn.execute(
            f"CREATE TABLE limit_rows AS SELECT * FROM read_csv(?, header=true, "
            f"columns={{{columns}}})",
            [str(csv_path)],
        )
        seconds = time.perf_counter() - started
        landed = conn.execute("SELECT COUNT(*) FROM limit_rows").fetchone()[0]
    db.unlink(missing_ok=True)
    return seconds, landed


def limit_postgres(csv_path: Path, records: int) -> dict:
    """PostgreSQL `COPY … FROM STDIN (FORMAT csv)` of the file into a typed table."""
    import psycopg

    schema = pg_schema()
    columns = ", ".join(f"{c} {_sql_type(SCHEMA['properties'][c])}" for c in COLUMNS)
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(f"CREATE TABLE {schema}.limit_rows ({columns})")
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {schema}.limit_rows FROM STDIN (FORMAT csv, HEADER)") as copy,
                csv_path.open("rb") as source,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            conn.commit()
            seconds = time.perf_counter() - started
        landed = pg_count(schema, "limit_rows")
    finally:
        pg_drop(schema)
    return _limit("postgresql COPY", "postgresql", seconds, landed, records)


def _limit(loader: str, db: str, seconds: float, landed: int, records: int) -> dict:
    if landed != records:
        print(f"{loader}: {landed} rows landed of {records}", file=sys.stderr)
    return {
        "loader": f"limit: {loader}",
        "db": db,
        "seconds": seconds,
        "cpu": 0.0,
        "peak": 0,
        "exit": 0,
        "landed": landed,
        "limit": True,
    }


def ensure_peer(name: str) -> Path:
    venv = VENVS / name
    executable = venv / "bin" / name
    if executable.exists():
        return executable
    uv = find_uv()
    subprocess.run([uv, "venv", "--python", "3.11", str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "--python", str(venv / "bin" / "python"), *PEERS[name]],
        check=True,
    )
    return executable


def measure(command: list[str], input_path: Path, env: dict | None = None) -> dict:
    """Run a loader on the file: wall seconds, CPU seconds and peak RSS (from wait4's rusage).

    CPU seconds are reported too because this machine is shared: wall time moves with the load
    of other processes, the CPU a loader needs does much less.
    """
    log = WORK / f"{Path(command[0]).name}.stderr.log"
    started = time.perf_counter()
    with input_path.open("rb") as stdin, log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
    return {
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss * 1024,
        "exit": process.returncode,
    }


def cold_start(config: Path, tries: int = 3) -> float:
    """Process start to the first message handled: a STATE alone is echoed as soon as it is
    read (nothing to commit), so the time until it appears on stdout. Best of `tries`."""
    best = float("inf")
    state = json.dumps({"type": "STATE", "value": {"cold": "start"}}) + "\n"
    for _ in range(tries):
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(OUR_EXECUTABLE), "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        process.stdin.write(state)
        process.stdin.flush()
        process.stdout.readline()
        best = min(best, time.perf_counter() - started)
        process.stdin.close()
        process.wait()
    return best


def pg_schema() -> str:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return schema


def pg_count(schema: str, table: str) -> int:
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT COUNT(*) FROM {schema}.{table}")).scalar()
    finally:
        engine.dispose()


def pg_drop(schema: str) -> None:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def duck_count(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def write_config(name: str, config: dict) -> Path:
    path = WORK / f"{name}.json"
    path.write_text(json.dumps(config))
    return path


def run_ours_duckdb(data: Path, label: str) -> dict:
    db = WORK / f"{label}.duckdb"
    db.unlink(missing_ok=True)
    config = write_config(label, {"database_path": str(db), "table_prefix": "STG_"})
    result = measure([str(OUR_EXECUTABLE), "--config", str(config)], data)
    return {
        "loader": "target-oracle-staging",
        "db": "duckdb",
        **result,
        "landed": duck_count(db, "stg_bench_rows") if result["exit"] == 0 else 0,
    }


def run_ours_pg(data: Path, label: str) -> dict:
    schema = pg_schema()
    config = write_config(
        label, {"sqlalchemy_url": PG_URL, "default_target_schema": schema, "table_prefix": "STG_"}
    )
    try:
        result = measure([str(OUR_EXECUTABLE), "--config", str(config)], data)
        landed = pg_count(schema, "stg_bench_rows") if result["exit"] == 0 else 0
    finally:
        pg_drop(schema)
    return {
        "loader": "target-oracle-staging",
        "db": "postgresql",
        **result,
        "landed": landed,
    }


def run_peer_pg(data: Path) -> dict:
    executable = ensure_peer("target-postgres")
    schema = pg_schema()
    config = write_config(
        "peer_pg",
        {
            "host": "127.0.0.1",
            "port": 5432,
            "user": "postgres",
            "password": "",
            "database": "test",
            "default_target_schema": schema,
            "use_copy": True,
            "batch_size_rows": 100_000,
        },
    )
    try:
        result = measure([str(executable), "--config", str(config)], data)
        landed = pg_count(schema, STREAM) if result["exit"] == 0 else 0
    finally:
        pg_drop(schema)
    return {
        "loader": "meltanolabs-target-postgres",
        "db": "postgresql",
        **result,
        "landed": landed,
    }


def run_peer_duckdb(data: Path) -> dict:
    executable = ensure_peer("target-duckdb")
    db = WORK / "peer.duckdb"
    db.unlink(missing_ok=True)
    config = write_config("peer_duck", {"filepath": str(db), "default_target_schema": "main"})
    result = measure([str(executable), "-c", str(config)], data)
    return {
        "loader": "target-duckdb",
        "db": "duckdb",
        **result,
        "landed": duck_count(db, STREAM) if result["exit"] == 0 else 0,
    }


def report(results: list[dict], records: int) -> None:
    print(f"\n{records:,} records, 20 columns, key id")
    print(
        f"{'loader':28} {'db':10} {'wall s':>7} {'rows/s':>8} {'cpu s':>7} "
        f"{'rows/cpu-s':>10} {'peak RSS':>9} {'landed':>10}"
    )
    for r in results:
        rate = records / r["seconds"] if r["seconds"] else 0
        cpu_rate = records / r["cpu"] if r["cpu"] else 0
        peak = f"{r['peak'] / 2**20:7.0f}MB" if r["peak"] else f"{'-':>9}"
        print(
            f"{r['loader']:28} {r['db']:10} {r['seconds']:7.1f} {rate:8,.0f} {r['cpu']:7.1f} "
            f"{cpu_rate:10,.0f} {peak} {r['landed']:10,}  exit={r['exit']}",
            flush=True,
        )
    ours = {r["db"]: r for r in results if r["loader"] == "target-oracle-staging"}
    for limit in (r for r in results if r.get("limit")):
        mine = ours.get(limit["db"])
        if mine and mine["seconds"]:
            ratio = limit["seconds"] / mine["seconds"]  # = our rows/s over the limit's
            print(f"  {limit['db']}: ours = {ratio:.0%} of the {limit['loader'][7:]} limit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=5_000_000, help="0 to skip the memory run")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--only-peers", action="store_true")
    parser.add_argument("--limit-duckdb", type=Path, help=argparse.SUPPRESS)  # the child run
    args = parser.parse_args()
    if args.limit_duckdb:
        print(json.dumps(_read_csv_into_duckdb(args.limit_duckdb)))
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    data = WORK / f"records_{args.records}.jsonl"
    generate(data, args.records)
    csv_path = write_csv(data)
    if not args.only_peers:
        db = WORK / "cold_start.duckdb"
        config = write_config("cold_start", {"database_path": str(db)})
        print(f"cold start (process start to first message read): {cold_start(config):.2f} s")
        db.unlink(missing_ok=True)
    results: list[dict] = []
    # Each database's runs go back to back, so they see the same machine load.
    if not args.only_peers:
        results.append(run_ours_duckdb(data, "ours_duck"))
    results.append(limit_duckdb(csv_path, args.records))
    if not args.skip_peers:
        results.append(run_peer_duckdb(data))
    report(results, args.records)
    if not args.only_peers:
        results.append(run_ours_pg(data, "ours_pg"))
    results.append(limit_postgres(csv_path, args.records))
    if not args.skip_peers:
        results.append(run_peer_pg(data))
    report(results, args.records)
    if args.big and not args.only_peers:
        big = WORK / f"records_{args.big}.jsonl"
        generate(big, args.big)
        big_csv = write_csv(big)
        big_results = [
            run_ours_duckdb(big, "ours_duck_big"),
            limit_duckdb(big_csv, args.big),
            run_ours_pg(big, "ours_pg_big"),
            limit_postgres(big_csv, args.big),
        ]
        report(big_results, args.big)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
