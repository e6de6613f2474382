"""Benchmark: tap-molo-s3 vs pipelinewise-tap-s3-csv on one wide MOLO member in moto S3.

    .venv/bin/python bench/bench_s3_taps.py [--rows 1000000] [--memory-rows 5000000]

- Throughput: records/s of `tap-molo-s3` reading InvoiceSet.csv (54 columns, the widest MOLO
  member near the brief's 52) from a ZIP in moto's S3 server, against `pipelinewise-tap-s3-csv`
  reading the same CSV as a plain object (it cannot open ZIPs). Both write to a pipe that this
  script drains and counts, and each tap runs alone on the machine.
- Both readers of tap-molo-s3: the columnar path (default) and the row path alone
  (csv_reader=row); records/s wall and records per CPU-second (the machine is
  shared: CPU seconds compare across runs, wall time does not).
- Memory: peak RSS of tap-molo-s3 at --rows and --memory-rows (goal: flat, <= 120 MiB).
- Cold start of both taps: process start to the first message, on the bundled samples.
- tap-stellar-s3 the same way (--stellar-rows): bookings.csv (82 columns, the widest Stellar
  member) in a gzip tar named like the real export, read in one sequential pass.

The peer lives in its own venv (bench/.venvs/pipelinewise-tap-s3-csv, created on first run with
uv). Generated data and configs go to bench/.work/ (gitignored). Not a test; never run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

from testkit.uv_finder import find_uv

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "s3_taps"  # other benchmarks share .work/
PEER_VENV = BENCH / ".venvs" / "pipelinewise-tap-s3-csv"
PEER_PACKAGE = "pipelinewise-tap-s3-csv==3.0.1"
OURS = Path(sys.executable).with_name("tap-molo-s3")
STELLAR = Path(sys.executable).with_name("tap-stellar-s3")
STELLAR_STREAM = "bookings"
STREAM = "invoices"
MEMBER = "InvoiceSet.csv"
CPU_SECONDS: list[float] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_peer() -> Path:
    executable = PEER_VENV / "bin" / "tap-s3-csv"
    if not executable.exists():
        uv = find_uv()
        subprocess.run([uv, "venv", "-q", "--python", "3.11", str(PEER_VENV)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", PEER_PACKAGE],
            check=True,
            env={**os.environ, "VIRTUAL_ENV": str(PEER_VENV)},
        )
    return executable


def make_export(rows: int) -> Path:
    from testkit.marina.generator import export_key, write_molo_zip

    folder = WORK / f"molo-{rows}"
    path = folder / export_key("molo", datetime(2025, 12, 21, 5, 0, 3))
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_molo_zip(path, rows=rows, streams={STREAM}, unlisted=False, pattern_rows=2000)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.0f} s: {path}")
    return path


def make_stellar_export(rows: int) -> Path:
    from testkit.marina.generator import export_key, write_stellar_tar_gz

    folder = WORK / f"stellar-{rows}"
    path = folder / export_key("stellar", datetime(2025, 12, 21, 7, 1))
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_stellar_tar_gz(
            path, rows=rows, streams={STELLAR_STREAM}, unlisted=False, pattern_rows=2000
        )
        print(f"generated {rows:,} Stellar rows in {time.perf_counter() - started:.0f} s: {path}")
    return path


def extract_member(archive: Path) -> Path:
    target = archive.with_name(MEMBER)
    if not target.exists():
        with (
            zipfile.ZipFile(archive) as zipped,
            zipped.open(MEMBER) as source,
            target.open("wb") as sink,
        ):
            shutil.copyfileobj(source, sink, 1024 * 1024)
    return target


def run_tap(command: list[str], env: dict[str, str]) -> tuple[int, float, int]:
    """Run a tap, drain and count its RECORD messages; returns (records, seconds, peak RSS KiB).

    CPU seconds (user + system) go to CPU_SECONDS: on a shared machine they are steadier than
    wall time.
    """
    rss_file = WORK / "rss.txt"
    started = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M %U %S", "-o", str(rss_file), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    records = 0
    tail = b""
    while chunk := process.stdout.read(1 << 20):
        data = tail + chunk
        records += data.count(b'"RECORD"')
        tail = data[-16:]
        records -= tail.count(b'"RECORD"')
    records += tail.count(b'"RECORD"')
    if process.wait() != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    elapsed = time.perf_counter() - started
    rss, user, system = rss_file.read_text().split()[-3:]
    CPU_SECONDS.append(float(user) + float(system))
    return records, elapsed, int(rss)


READERS = (("auto", "tap-molo-s3"), ("row", "tap-molo-s3 row path"))


def print_run(label: str, records: int, seconds: float, rss_kib: int, note: str = "") -> None:
    """One run: wall rate, CPU seconds and records per CPU-second, peak RSS."""
    cpu = CPU_SECONDS[-1]
    print(
        f"{label:<26} {records:>9,} records {seconds:7.1f} s {records / seconds:>8,.0f} rec/s  "
        f"CPU {cpu:6.1f} s {records / cpu:>8,.0f} rec/CPU-s  peak RSS {rss_kib / 1024:,.0f} MiB"
        f"{note}"
    )


def cold_start(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds from process start to the tap's first message on stdout (then drained)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.perf_counter() - started
    while process.stdout.read(1 << 20):
        pass
    process.wait()
    return elapsed


def print_cold_starts() -> dict[str, float]:
    """Both taps on the bundled sample exports, best of three (imports dominate: see README)."""
    results = {}
    for tap, executable in (("tap-molo-s3", OURS), ("tap-stellar-s3", STELLAR)):
        config = WORK / f"cold-{tap}.json"
        sample = ROOT / "samples" / tap.split("-")[1]
        config.write_text(json.dumps({"local_path": str(sample)}))
        seconds = min(cold_start([str(executable), "--config", str(config)]) for _ in range(3))
        results[tap] = seconds
        print(f"{tap:<22} cold start (process start to first message) {seconds:.2f} s")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "  (PYTHONDONTWRITEBYTECODE is set: modules not byte-compiled are compiled each start)"
        )
    return results


def coercion_vs_sdk_conformance(rows: int) -> dict[str, float]:
    """CPU seconds of our spec coercion vs the SDK's per-record conformance on the same rows.

    The SDK pass would run on top of parsing; the taps switch it off (TYPE_CONFORMANCE_LEVEL).
    """
    import logging

    from s3_export_core.csvread import LineCounter, iter_csv
    from s3_export_core.records import RowPlan
    from singer_sdk.helpers._typing import conform_record_data_types
    from singer_sdk.helpers.conform import TypeConformanceLevel
    from tap_molo_s3.tap import TapMoloS3

    archive = make_export(rows)
    tap = TapMoloS3(config={"local_path": str(archive.parent)})
    stream = tap.streams[STREAM]
    logger = logging.getLogger("bench")
    with zipfile.ZipFile(archive) as zipped, zipped.open(MEMBER) as member:
        lines = LineCounter()
        parsed = iter_csv(member, MEMBER, lines)
        header = next(parsed)[1]
        raw_rows = list(parsed)
    plan = RowPlan(
        stream.spec, header, MEMBER, strict_schema=False, on_bad_row="fail", logger=logger
    )
    started = time.process_time()
    records = list(plan.records(iter(raw_rows), {}, lines))
    ours = time.process_time() - started
    started = time.process_time()
    for record in records:
        conform_record_data_types(
            STREAM, record, stream.schema, TypeConformanceLevel.RECURSIVE, logger
        )
    sdk = time.process_time() - started
    print(
        f"coercion of {rows:,} rows: ours {ours:.1f} CPU-s (text -> typed values); the SDK's "
        f"conformance pass on the same typed records {sdk:.1f} CPU-s on top"
    )
    return {"ours_cpu_seconds": ours, "sdk_conformance_cpu_seconds": sdk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=5_000_000)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-row-path", action="store_true", help="only the columnar path")
    parser.add_argument("--conformance-rows", type=int, default=100_000)
    parser.add_argument("--stellar-rows", type=int, default=300_000, help="0 skips Stellar")
    parser.add_argument("--skip-cold-start", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    cold_starts = {} if args.skip_cold_start else print_cold_starts()
    conformance = (
        coercion_vs_sdk_conformance(args.conformance_rows) if args.conformance_rows else {}
    )

    import boto3
    from moto.server import ThreadedMotoServer

    credentials = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(credentials)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint)
    env = {**os.environ, **credentials}
    results: dict[str, object] = {"coercion": conformance, "cold_start_s": cold_starts}
    try:
        for bucket in ("molo-bench", "csv-bench"):
            s3.create_bucket(Bucket=bucket)

        def ours(rows: int, reader: str = "auto") -> tuple[int, float, int]:
            archive = make_export(rows)
            key = f"{rows}/{archive.name}"
            s3.upload_file(str(archive), "molo-bench", key)
            config = WORK / f"ours-{rows}.json"
            config.write_text(
                json.dumps(
                    {
                        "bucket": "molo-bench",
                        "prefix": f"{rows}/",
                        "endpoint_url": endpoint,
                        "csv_reader": reader,
                    }
                )
            )
            result = run_tap([str(OURS), "--config", str(config)], env)
            s3.delete_object(Bucket="molo-bench", Key=key)
            return result

        for reader, label in READERS:
            if reader == "row" and args.skip_row_path:
                continue
            records, seconds, rss = ours(args.rows, reader)
            assert records == args.rows, records
            results[label] = {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": CPU_SECONDS[-1],
                "rss_kib": rss,
            }
            print_run(label, records, seconds, rss)

        if not args.skip_peer:
            peer = ensure_peer()
            csv_path = extract_member(make_export(args.rows))
            s3.upload_file(str(csv_path), "csv-bench", f"invoices/{MEMBER}")
            config = WORK / "peer.json"
            config.write_text(
                json.dumps(
                    {
                        "start_date": "2000-01-01T00:00:00Z",
                        "bucket": "csv-bench",
                        "aws_endpoint_url": endpoint,
                        "tables": [
                            {
                                "search_prefix": "invoices",
                                "search_pattern": r"InvoiceSet\.csv$",
                                "table_name": STREAM,
                                "key_properties": ["Id"],
                                "delimiter": ",",
                            }
                        ],
                    }
                )
            )
            discovered = subprocess.run(
                [str(peer), "--config", str(config), "--discover"],
                check=True,
                capture_output=True,
                env=env,
            ).stdout
            catalog = json.loads(discovered)
            for stream in catalog["streams"]:
                for entry in stream["metadata"]:
                    if entry["breadcrumb"] == []:
                        entry["metadata"]["selected"] = True
            properties = WORK / "peer-catalog.json"
            properties.write_text(json.dumps(catalog))
            records, seconds, rss = run_tap(
                [str(peer), "--config", str(config), "--properties", str(properties)], env
            )
            results["pipelinewise-tap-s3-csv"] = {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": CPU_SECONDS[-1],
                "rss_kib": rss,
            }
            print(
                f"pipelinewise-tap-s3-csv {records:>8,} records {seconds:7.1f} s "
                f"{records / seconds:>9,.0f} rec/s  CPU {CPU_SECONDS[-1]:.1f} s  "
                f"peak RSS {rss / 1024:,.0f} MiB"
            )
            ours_rate = args.rows / results[READERS[0][1]]["seconds"]  # type: ignore[index]
            ours_cpu = results[READERS[0][1]]["cpu_seconds"]  # type: ignore[index]
            print(
                f"speed-up: {ours_rate / (records / seconds):.1f}x wall, "
                f"{CPU_SECONDS[-1] / ours_cpu:.1f}x CPU (goal >= 3x)"
            )

        if args.memory_rows:
            records, seconds, rss = ours(args.memory_rows)
            assert records == args.memory_rows, records
            results[f"tap-molo-s3 {args.memory_rows}"] = {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": CPU_SECONDS[-1],
                "rss_kib": rss,
            }
            first_rss = results[READERS[0][1]]["rss_kib"]  # type: ignore[index]
            print_run(
                f"tap-molo-s3 {args.memory_rows:,}",
                records,
                seconds,
                rss,
                f" ({rss / first_rss:.2f}x the {args.rows:,}-row run)",
            )
        if args.stellar_rows:
            archive = make_stellar_export(args.stellar_rows)
            s3.create_bucket(Bucket="stellar-bench")
            s3.upload_file(str(archive), "stellar-bench", archive.name)
            config = WORK / "stellar.json"
            config.write_text(json.dumps({"bucket": "stellar-bench", "endpoint_url": endpoint}))
            records, seconds, rss = run_tap([str(STELLAR), "--config", str(config)], env)
            assert records == args.stellar_rows, records
            results["tap-stellar-s3"] = {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": CPU_SECONDS[-1],
                "rss_kib": rss,
            }
            print_run("tap-stellar-s3", records, seconds, rss, f" ({STELLAR_STREAM}, gzip tar)")
            if not args.skip_row_path:
                row_config = config.with_name("stellar-row.json")
                row_config.write_text(
                    json.dumps(
                        {"bucket": "stellar-bench", "endpoint_url": endpoint, "csv_reader": "row"}
                    )
                )
                records, seconds, rss = run_tap([str(STELLAR), "--config", str(row_config)], env)
                results["tap-stellar-s3 row path"] = {
                    "records": records,
                    "seconds": seconds,
                    "cpu_seconds": CPU_SECONDS[-1],
                    "rss_kib": rss,
                }
                print_run("tap-stellar-s3 row path", records, seconds, rss)
    finally:
        server.stop()
    (WORK / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
