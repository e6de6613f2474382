"""Benchmark TR2000 partitions: N concurrent `meltano run` processes vs one, at 200 ms a call.

Not a test. The fixture API serves a generated world with 200 ms latency. Every run loads into
its own schema of the machine's PostgreSQL (DuckDB admits one writer) with its own Meltano system
database schema, through the same runner the Dagster ops use (orchestrate.runner.run_block,
isolated sys dir, one `--state-id-suffix` per partition). Each partition gets an equal share of
the plants.

    .venv/bin/python bench/bench_partitions.py                    # 12 plants, N = 1, 2, 4
    .venv/bin/python bench/bench_partitions.py --polite            # also: total request rate fixed

By default every process keeps the tap's defaults (16 in flight, 50 requests/s), so N partitions may
send N times the requests per second; `--polite` divides requests_per_second by N (what to do
against the public API) to show what is left of the speed-up when the rate is the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from orchestrate.project import load_project
from orchestrate.runner import RunResult, run_block
from testkit.tr2000 import Tr2000Server, WorldShape, generated_world

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("TESTKIT_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _schemas(engine: sa.Engine, *names: str) -> None:
    with engine.begin() as conn:
        for name in names:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))


def _drop(engine: sa.Engine, *names: str) -> None:
    with engine.begin() as conn:
        for name in names:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))


def run_partitions(
    server: Tr2000Server,
    plant_ids: list[int],
    n: int,
    rate: float,
    engine: sa.Engine,
    staging: str,
) -> dict:
    """N partitions side by side, each with a fresh system database (no state: a full crawl)."""
    system = f"bench_sys_{uuid.uuid4().hex[:8]}"
    _schemas(engine, system)
    job = load_project(ROOT).jobs["tr2000-ci"]
    (block,) = job.el_blocks
    env = {
        "MELTANO_DATABASE_URI": f"{PG}?options={quote(f'-csearch_path={system}')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TARGET_ORACLE_STAGING_SQLALCHEMY_URL": PG,
        "TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": staging,
        "TAP_TR2000_BASE_URL": server.base_url,
        "TAP_TR2000_REQUESTS_PER_SECOND": f"{rate:g}",
    }
    groups = [plant_ids[i::n] for i in range(n)]
    results: list[RunResult] = []
    lock = threading.Lock()

    def run(i: int, plants: list[int]) -> None:
        result = run_block(
            ROOT,
            "ci",
            block,
            suffix=f"p{i}" if n > 1 else None,
            guard=job.guard,
            env={**env, "TAP_TR2000_PLANT_IDS": json.dumps(plants)},
            isolate=True,
        )
        with lock:
            results.append(result)

    server.reset_log()
    started = time.monotonic()
    # As the Dagster job: the guard alone first (it migrates the new system database), then the
    # partitions side by side. Its time counts.
    checked = run_block(ROOT, "ci", job.guard, env=env)
    if checked.returncode:
        raise SystemExit(f"guard failed:\n{checked.tail(40)}")
    threads = [threading.Thread(target=run, args=(i, g)) for i, g in enumerate(groups)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    try:
        failed = [r for r in results if r.returncode]
        if failed:
            raise SystemExit(f"partition failed:\n{failed[0].tail(400)}")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT sum(records_loaded), count(*) FROM {staging}.etl_control "
                    "WHERE meltano_run_id = ANY(:ids)"
                ),
                {"ids": [r.run_id for r in results]},
            ).one()
    finally:
        _drop(engine, system)
    return {
        "partitions": n,
        "seconds": seconds,
        "requests": len(server.requests),
        "records_loaded": int(rows[0] or 0),
        "ledger_rows": rows[1],
        "slowest_process": max(r.seconds for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plants", type=int, default=12)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--partitions", default="1,2,4")
    parser.add_argument("--polite", action="store_true")
    args = parser.parse_args()

    # Per plant: 1 issues + 3 issues x 9 references + 1 detail + 1 PCS list
    #            + 6 PCS x 2 revisions x 6 detail calls = 102 calls.
    shape = WorldShape(issues_per_plant=3, pcs_per_plant=6, revisions_per_pcs=2, vds_count=0)
    world = generated_world(plants=args.plants, shape=shape)
    plant_ids = [p["PlantID"] for p in world.plants]
    engine = sa.create_engine(PG)
    results = []
    staging = f"bench_stg_{uuid.uuid4().hex[:8]}"
    _schemas(engine, staging)
    with Tr2000Server(world) as server:
        # The tables exist before the measured runs, as on every night but the first: two
        # partitions creating the same new table at once fail (see README, target ask).
        run_partitions(server, plant_ids[:1], 1, 0, engine, staging)
        server.set_latency(args.latency_ms)
        modes = [("default", False)] + ([("polite", True)] if args.polite else [])
        for mode, polite in modes:
            for n in (int(x) for x in args.partitions.split(",")):
                rate = 50 / n if polite else 50
                measured = run_partitions(server, plant_ids, n, rate, engine, staging)
                result = {"mode": mode, **measured}
                results.append(result)
                base = next(r for r in results if r["mode"] == mode and r["partitions"] == 1)
                print(
                    f"{mode:>8} N={n}: {result['seconds']:6.1f} s wall, {result['requests']} "
                    f"requests, {result['records_loaded']} records, {result['ledger_rows']} "
                    f"ledger rows, speed-up {base['seconds'] / result['seconds']:.2f}x",
                    flush=True,
                )
    _drop(engine, staging)
    engine.dispose()
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
