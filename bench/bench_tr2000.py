"""Benchmark tap-tr2000: full crawl of a fixture world at 200 ms a call, concurrent vs sequential.

Not a test. Runs the real `tap-tr2000` executable against the TR2000 fixture server on loopback:

1. full crawl with the default settings (max_concurrency 16, requests_per_second 50);
2. the same crawl with `max_concurrency=1` (what the public peers do: one call at a time);
3. a no-change run with the state of run 1 (requests must stay <= 2 x plants + 1);
4. the tap's own limit: the same crawl with no latency and no rate ceiling (CPU-bound), and its
   cold start (process start to the first message on stdout).

    .venv/bin/python bench/bench_tr2000.py                 # all (~20 minutes)
    .venv/bin/python bench/bench_tr2000.py --skip-sequential
    .venv/bin/python bench/bench_tr2000.py --only-limit    # step 4 only (~1 minute)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit.tr2000 import Tr2000Server, WorldShape, generated_world

TAP = str(Path(sys.executable).with_name("tap-tr2000"))


def run_tap(config: dict, workdir: Path, name: str, state: dict | None = None) -> dict:
    config_file = workdir / f"{name}.config.json"
    config_file.write_text(json.dumps(config))
    command = [TAP, "--config", str(config_file)]
    if state is not None:
        state_file = workdir / f"{name}.state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    output = workdir / f"{name}.jsonl"
    started = time.monotonic()
    cpu_before = _children_cpu()
    with output.open("wb") as out, (workdir / f"{name}.log").open("wb") as log:
        subprocess.run(command, stdout=out, stderr=log, check=True)
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu_before
    records = 0
    last_state: dict = {}
    with output.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
            elif line.startswith(b'{"type":"STATE"'):
                last_state = json.loads(line)["value"]
    return {"seconds": seconds, "cpu_seconds": cpu, "records": records, "state": last_state}


def _children_cpu() -> float:
    """User + system CPU of finished child processes: steadier than wall time on a busy box."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(config: dict, workdir: Path) -> float:
    """Seconds from process start to the first Singer message on stdout."""
    config_file = workdir / "cold.config.json"
    config_file.write_text(json.dumps(config))
    started = time.monotonic()
    with subprocess.Popen(
        [TAP, "--config", str(config_file)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()
        seconds = time.monotonic() - started
        process.kill()
    return seconds


def limit(world_plants: int, shape: WorldShape, repeats: int) -> None:
    """The tap itself, not the API: no latency, no ceiling."""
    world = generated_world(plants=world_plants, shape=shape)
    with Tr2000Server(world) as server, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = {"base_url": server.base_url, "requests_per_second": 0}
        starts = sorted(cold_start(config, workdir) for _ in range(3))
        print(f"cold start (process start to first message): median {starts[1]:.2f} s", flush=True)
        for n in range(repeats):
            server.reset_log()
            result = run_tap(config, workdir, f"limit{n}")
            requests = len(server.requests)
            print(
                f"   limit {n + 1}: {requests} requests, {result['records']} records, "
                f"{result['seconds']:.1f} s, {requests / result['seconds']:.0f} req/s, "
                f"{result['records'] / result['seconds']:.0f} records/s; tap CPU "
                f"{result['cpu_seconds']:.1f} s = {result['records'] / result['cpu_seconds']:.0f} "
                "records per CPU second",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plants", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--only-limit", action="store_true")
    parser.add_argument("--repeats", type=int, default=2, help="runs of the limit crawl")
    args = parser.parse_args()

    # 20 plants x (1 issues + 4 issues x 9 references + 1 detail + 1 PCS list
    #               + 12 PCS x 3 referenced revisions x 6 detail calls) + 2 = 5,102 calls.
    shape = WorldShape(issues_per_plant=4, pcs_per_plant=12, revisions_per_pcs=3, vds_count=0)
    if args.only_limit:
        limit(args.plants, shape, args.repeats)
        return
    world = generated_world(plants=args.plants, shape=shape)
    results: dict[str, dict] = {}
    with Tr2000Server(world) as server, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server.set_latency(args.latency_ms)
        base = {"base_url": server.base_url}

        runs = [("default", {}), ("sequential", {"max_concurrency": 1})]
        for name, extra in runs:
            if name == "sequential" and args.skip_sequential:
                continue
            server.reset_log()
            result = run_tap({**base, **extra}, workdir, name)
            result["requests"] = len(server.requests)
            result["max_in_flight"] = server.max_in_flight
            results[name] = result
            print(
                f"{name:>10}: {result['requests']:>5} requests, {result['records']:>6} records, "
                f"{result['seconds']:7.1f} s, {result['requests'] / result['seconds']:5.1f} req/s, "
                f"max in flight {result['max_in_flight']}",
                flush=True,
            )

        server.reset_log()
        no_change = run_tap(base, workdir, "no_change", state=results["default"]["state"])
        requests = len(server.requests)
        print(
            f" no-change: {requests} requests (bound 2 x {args.plants} + 1 = "
            f"{2 * args.plants + 1}), {no_change['records']} records, "
            f"{no_change['seconds']:.1f} s",
            flush=True,
        )
        if "sequential" in results:
            ratio = results["sequential"]["seconds"] / results["default"]["seconds"]
            print(f"speed-up default vs max_concurrency=1: {ratio:.1f}x (goal >= 8x)", flush=True)
    if os.environ.get("BENCH_JSON"):
        summary = {k: {kk: v for kk, v in r.items() if kk != "state"} for k, r in results.items()}
        summary["no_change_requests"] = {"requests": requests}
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
