"""A real HTTP server on loopback that answers like the TR2000 API, with latency and faults."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from testkit.tr2000.world import World

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Fault:
    """What to do instead of the normal answer for paths matching `pattern`.

    kind: "status" (answer HTTP `status`), "success_false", "missing_array", "hang" (hold the
    request until the server stops or `hang_seconds` pass), "drop" (close the connection without
    an answer), "truncate" (half the promised body, then the connection closes), "bad_json" (a
    complete but invalid body), "success_false_with_data" (the normal body with success false),
    "raw" (`payload` bytes sent as `content_type` with `status`), "json" (`transform` applied
    to the normal body), "cut_json" (the normal body cut at `cut` of its length, sent complete).
    `times`: how many matching requests get the fault (None = every one), after which the path
    answers normally again.
    """

    pattern: str
    kind: str
    status: int = 500
    times: int | None = None
    hang_seconds: float = 30.0
    retry_after: int | None = None  # seconds, sent as a Retry-After header with a status fault
    payload: bytes = b""
    content_type: str = JSON_TYPE
    transform: Callable[[Any], Any] | None = None
    cut: float = 0.5
    hits: int = 0

    def matches(self, path: str) -> bool:
        return re.search(self.pattern, path) is not None and (
            self.times is None or self.hits < self.times
        )


@dataclass
class RequestRecord:
    path: str
    status: int | None
    headers: dict[str, str]
    started: float
    ended: float | None


@dataclass
class ServerState:
    world: World
    latency_seconds: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    log: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    in_flight: int = 0
    max_in_flight: int = 0


def _without_arrays(fault: Fault, body: dict[str, Any]) -> bytes:
    scalars = {k: v for k, v in body.items() if not k.startswith("get")}
    return json.dumps({**scalars, "success": True}).encode()


def _transformed(fault: Fault, body: dict[str, Any]) -> bytes:
    assert fault.transform is not None
    return json.dumps(fault.transform(body)).encode()


def _cut(fault: Fault, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    return payload[: int(len(payload) * fault.cut)]


# Fault kinds answered with HTTP 200 and a body made from the normal one.
BODY_FAULTS: dict[str, Callable[[Fault, dict[str, Any]], bytes]] = {
    "success_false": lambda f, b: b'{"success": false, "message": "injected failure"}',
    "missing_array": _without_arrays,
    "bad_json": lambda f, b: b'{"success": true, "getPlant": [',
    "success_false_with_data": lambda f, b: json.dumps({**b, "success": False}).encode(),
    "json": _transformed,
    "cut_json": _cut,
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the request log instead."""

    def do_GET(self) -> None:
        state = self.server.state
        record = RequestRecord(self.path, None, dict(self.headers), time.monotonic(), None)
        with state.lock:
            state.log.append(record)  # logged on arrival: a hanging request counts too
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if state.latency_seconds:
                time.sleep(state.latency_seconds)
            record.status = self._answer(state)
        finally:
            record.ended = time.monotonic()
            with state.lock:
                state.in_flight -= 1

    def _answer(self, state: ServerState) -> int | None:
        fault = self._take_fault(state)
        if fault is None:
            return self._send_json(*state.world.response(self.path))
        if fault.kind == "truncate":
            # Promise the whole body, send half of it, hang up.
            payload = json.dumps(state.world.response(self.path)[1]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return 200
        if fault.kind in {"drop", "hang"}:
            if fault.kind == "hang":
                state.stopping.wait(fault.hang_seconds)
            self.close_connection = True  # no answer at all
            return None
        return self._send_fault(fault, state)

    def _send_fault(self, fault: Fault, state: ServerState) -> int:
        if fault.kind == "status":
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return self._send_json(fault.status, {"message": "injected fault"}, headers)
        if fault.kind == "raw":
            return self._send_bytes(fault.status, fault.payload, content_type=fault.content_type)
        build = BODY_FAULTS.get(fault.kind)
        if build is None:
            msg = f"unknown fault kind {fault.kind!r}"
            raise ValueError(msg)
        return self._send_bytes(200, build(fault, state.world.response(self.path)[1] or {}))

    def _take_fault(self, state: ServerState) -> Fault | None:
        with state.lock:
            for fault in state.faults:
                if fault.matches(self.path):
                    fault.hits += 1
                    return fault
        return None

    def _send_json(
        self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> int:
        payload = json.dumps(body if body is not None else {"message": "Not Found"}).encode()
        return self._send_bytes(status, payload, headers)

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = JSON_TYPE,
    ) -> int:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: ServerState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class Tr2000Server:
    """Start with `start()` (or as a context manager); `base_url` is then set."""

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = ServerState(world=world)
        self._httpd = _Server((host, port), self.state)
        self._thread: threading.Thread | None = None

    # knobs ---------------------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.state.world

    def set_latency(self, milliseconds: float) -> None:
        self.state.latency_seconds = milliseconds / 1000

    def add_fault(self, pattern: str, kind: str, **options: Any) -> Fault:
        fault = Fault(pattern=pattern, kind=kind, **options)
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    # request log -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.log)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def count(self, pattern: str = "") -> int:
        return sum(1 for r in self.requests if re.search(pattern, r.path))

    def path_counts(self) -> Counter[str]:
        return Counter(self.paths())

    def reset_log(self) -> None:
        with self.state.lock:
            self.state.log.clear()
            self.state.max_in_flight = 0

    @property
    def max_in_flight(self) -> int:
        return self.state.max_in_flight

    # lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Tr2000Server:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="tr2000-fixture", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Tr2000Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
