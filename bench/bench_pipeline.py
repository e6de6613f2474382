"""Benchmark: `meltano run tap-molo-s3 target-oracle-staging` against its parts and the limit.

    .venv/bin/python bench/bench_pipeline.py [--rows 1000000] [--only duckdb|postgres]

For each warehouse (DuckDB = environment dev, PostgreSQL 127.0.0.1:5432 db `test` = environment
ci), on a generated MOLO export of --rows InvoiceSet.csv rows (54 columns) in a local folder:
  - tap alone: `meltano invoke tap-molo-s3` to /dev/null,
  - target alone: `meltano invoke target-oracle-staging` fed from a file of the tap's output,
  - the pipeline: `meltano run --full-refresh tap-molo-s3 target-oracle-staging`,
    ratio to the slower of the two parts (goal <= 1.2x),
  - the limit: DuckDB read_csv / PostgreSQL COPY of the same CSV into a table of text columns,
  - cold start of each plugin's own executable: process start to the tap's first message out,
    and to the target having read its first message (the stdin pipe drained).

The project's meltano.yml and environments are used as they are; the export and the warehouse
are pointed elsewhere with Meltano's env vars (TAP_MOLO_S3_LOCAL_PATH,
TARGET_ORACLE_STAGING_DATABASE_PATH, TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA), so no dev or
test data is touched. Generated files go to bench/.work/pipeline/ (gitignored). Not a test.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import subprocess
import sys
import termios
import time
from pathlib import Path

from bench_s3_taps import cold_start, extract_member, make_export

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "pipeline"
MELTANO = Path(sys.executable).with_name("meltano")
PLUGIN_BIN = {
    "tap-molo-s3": ROOT / ".meltano/extractors/tap-molo-s3/venv/bin/tap-molo-s3",
    "target-oracle-staging": ROOT
    / ".meltano/loaders/target-oracle-staging/venv/bin/target-oracle-staging",
}
PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_pipeline"
SAMPLES = ROOT / "samples" / "molo"


def warehouse_env(warehouse: str) -> dict[str, str]:
    if warehouse == "duckdb":
        return {
            "MELTANO_ENVIRONMENT": "dev",
            "TARGET_ORACLE_STAGING_DATABASE_PATH": str(WORK / "bench.duckdb"),
        }
    return {"MELTANO_ENVIRONMENT": "ci", "TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": PG_SCHEMA}


def reset_warehouse(warehouse: str) -> None:
    if warehouse == "duckdb":
        for suffix in ("", ".wal"):
            Path(f"{WORK / 'bench.duckdb'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")


def loaded_rows(warehouse: str) -> int:
    """Rows in the staging table of the invoices stream (found by name: the prefix is config)."""
    if warehouse == "duckdb":
        import duckdb

        with duckdb.connect(str(WORK / "bench.duckdb"), read_only=True) as connection:
            (name,) = connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE lower(table_name) LIKE '%invoices' AND lower(table_name) LIKE 'stg%'"
            ).fetchone()
            return connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    import psycopg

    with psycopg.connect(PG_DSN) as connection:
        (name,) = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND lower(table_name) LIKE '%%invoices' AND lower(table_name) LIKE 'stg%%'",
            (PG_SCHEMA,),
        ).fetchone()
        return connection.execute(f'SELECT count(*) FROM {PG_SCHEMA}."{name}"').fetchone()[0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], stdin=None, stdout=None) -> tuple[float, float]:
    """Wall seconds and CPU seconds of the command and every process it waited for."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=stdin,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{tail}")
    return elapsed, children_cpu() - cpu_before


def plugin_config(plugin: str, env: dict[str, str]) -> Path:
    """The plugin's resolved config as Meltano passes it, written to a file for the executable."""
    output = subprocess.run(
        [
            str(MELTANO),
            f"--environment={env['MELTANO_ENVIRONMENT']}",
            "config",
            "--unsafe",
            "print",
            "--format=json",
            plugin,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    ).stdout
    path = WORK / f"{plugin}-{env['MELTANO_ENVIRONMENT']}.json"
    path.write_text(output.decode())
    return path


def tap_cold_start(env: dict[str, str]) -> float:
    """Process start to the first message out (the tap's own executable, sample export)."""
    config = plugin_config("tap-molo-s3", {**env, "TAP_MOLO_S3_LOCAL_PATH": str(SAMPLES)})
    return cold_start([str(PLUGIN_BIN["tap-molo-s3"]), "--config", str(config)])


def target_cold_start(env: dict[str, str], first_message: bytes) -> float:
    """Process start to the target having read its first message (the pipe is empty again)."""
    config = plugin_config("target-oracle-staging", env)
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(PLUGIN_BIN["target-oracle-staging"]), "--config", str(config)],
        stdin=read_fd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=WORK,
    )
    os.close(read_fd)
    os.write(write_fd, first_message)
    pending = bytearray(4)
    while True:
        # FIONREAD on a pipe counts the unread bytes whichever end asks.
        fcntl.ioctl(write_fd, termios.FIONREAD, pending)
        if int.from_bytes(pending, sys.byteorder) == 0:
            break
        if process.poll() is not None:
            raise SystemExit("the target ended before reading its first message")
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    os.close(write_fd)
    process.wait()
    return elapsed


def limit_seconds(warehouse: str, csv_path: Path) -> float:
    """The same rows loaded straight from the CSV by the database's own bulk path."""
    with csv_path.open("rb") as handle:
        header = handle.readline().decode("utf-8-sig").strip().split(",")
    if warehouse == "duckdb":
        import duckdb

        path = WORK / "limit.duckdb"
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                "CREATE TABLE invoices AS SELECT * FROM read_csv(?, header = true, "
                "all_varchar = true)",
                [str(csv_path)],
            )
        elapsed = time.perf_counter() - started
        path.unlink(missing_ok=True)
        return elapsed
    import psycopg

    columns = ", ".join(f'"{name}" text' for name in header)
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        connection.execute(f"DROP TABLE IF EXISTS {PG_SCHEMA}.limit_invoices")
        connection.execute(f"CREATE TABLE {PG_SCHEMA}.limit_invoices ({columns})")
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {PG_SCHEMA}.limit_invoices FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            csv_path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        connection.execute(f"DROP TABLE {PG_SCHEMA}.limit_invoices")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["duckdb", "postgres"])
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    for plugin, executable in PLUGIN_BIN.items():
        if not executable.exists():
            raise SystemExit(f"{plugin} is not installed in .meltano; run scripts/setup")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    archive = make_export(args.rows)
    csv_path = extract_member(archive)
    tap_env = {"TAP_MOLO_S3_LOCAL_PATH": str(archive.parent)}
    messages = WORK / f"tap-output-{args.rows}.jsonl"
    results: dict[str, dict[str, float]] = {}
    n = args.rows

    dev = warehouse_env("duckdb")
    if not messages.exists():
        with messages.open("wb") as sink:
            timed([str(MELTANO), "invoke", "tap-molo-s3"], {**dev, **tap_env}, stdout=sink)
    with messages.open("rb") as source:
        first_message = source.readline()
    tap_alone, tap_cpu = timed([str(MELTANO), "invoke", "tap-molo-s3"], {**dev, **tap_env})
    tap_start = tap_cold_start(dev)
    print(
        f"tap alone (invoke > /dev/null): {tap_alone:7.1f} s {n / tap_alone:>9,.0f} rec/s  "
        f"CPU {tap_cpu:6.1f} s"
    )
    print(f"tap cold start (first message out):     {tap_start:7.2f} s")

    for warehouse in ("duckdb", "postgres"):
        if args.only and warehouse != args.only:
            continue
        env = warehouse_env(warehouse)
        reset_warehouse(warehouse)
        target_start = target_cold_start(env, first_message)
        reset_warehouse(warehouse)
        with messages.open("rb") as source:
            target_alone, target_cpu = timed(
                [str(MELTANO), "invoke", "target-oracle-staging"], env, stdin=source
            )
        assert loaded_rows(warehouse) == n, f"{warehouse}: target alone loaded the wrong count"
        reset_warehouse(warehouse)
        pipeline, pipeline_cpu = timed(
            [str(MELTANO), "run", "--full-refresh", "tap-molo-s3", "target-oracle-staging"],
            {**env, **tap_env},
        )
        assert loaded_rows(warehouse) == n, f"{warehouse}: the pipeline loaded the wrong count"
        reset_warehouse(warehouse)
        limit = limit_seconds(warehouse, csv_path)
        slower = max(tap_alone, target_alone)
        results[warehouse] = {
            "rows": n,
            "tap_alone_s": tap_alone,
            "target_alone_s": target_alone,
            "pipeline_s": pipeline,
            "tap_cpu_s": tap_cpu,
            "target_cpu_s": target_cpu,
            "pipeline_cpu_s": pipeline_cpu,
            "limit_s": limit,
            "tap_cold_start_s": tap_start,
            "target_cold_start_s": target_start,
        }
        print(f"--- {warehouse} ({env['MELTANO_ENVIRONMENT']}), {n:,} rows")
        print(
            f"target alone (from file):   {target_alone:7.1f} s {n / target_alone:>9,.0f} rec/s  "
            f"CPU {target_cpu:6.1f} s"
        )
        print(
            f"meltano run tap -> target:  {pipeline:7.1f} s {n / pipeline:>9,.0f} rec/s  "
            f"{pipeline / slower:.2f}x the slower part (goal <= 1.2x)  CPU {pipeline_cpu:6.1f} s"
        )
        # Each part alone ran under `meltano invoke` (one Meltano start each); the run has one
        # Meltano process more: the one relaying every line from the tap to the target.
        print(
            f"  CPU beyond the two parts alone (Meltano's relay, less one start): "
            f"{pipeline_cpu - tap_cpu - target_cpu:5.1f} s; 2 cores give "
            f"{2 * pipeline:.0f} CPU-s in the run's wall time"
        )
        bulk = "read_csv" if warehouse == "duckdb" else "COPY"
        print(
            f"limit ({bulk} of the CSV):  {limit:7.1f} s {n / limit:>9,.0f} rec/s  "
            f"pipeline = {pipeline / limit:.1f}x the limit"
        )
        print(f"target cold start (first message read): {target_start:.2f} s")
    (WORK / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
