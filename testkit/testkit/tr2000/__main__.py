"""Run the TR2000 fixture server: `python -m testkit.tr2000 --port 0 --port-file PATH`.

Writes the base URL into PATH once listening and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from testkit.tr2000.server import Tr2000Server
from testkit.tr2000.world import build_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m testkit.tr2000", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the base URL here once listening")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every call")
    parser.add_argument("--world", choices=["sample", "full"], default="sample")
    parser.add_argument("--seed", type=int, default=2000)
    args = parser.parse_args(argv)

    server = Tr2000Server(build_world(args.world, seed=args.seed), host=args.host, port=args.port)
    server.set_latency(args.latency_ms)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    if args.port_file:
        # Write then rename, so a reader never sees half a URL.
        tmp = args.port_file.with_suffix(args.port_file.suffix + ".tmp")
        tmp.write_text(server.base_url + "\n", encoding="utf-8")
        tmp.replace(args.port_file)
    print(f"TR2000 fixture server ({args.world} world) at {server.base_url}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
