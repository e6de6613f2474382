"""Run a Singer tap in-process and collect what it wrote, for tests."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TapOutput:
    messages: list[dict[str, Any]]
    text: str = ""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    activated: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> TapOutput:
        output = cls(
            messages=[json.loads(line) for line in text.splitlines() if line.strip()], text=text
        )
        for message in output.messages:
            kind = message["type"]
            if kind == "RECORD":
                output.records[message["stream"]].append(message["record"])
            elif kind == "SCHEMA":
                output.schemas[message["stream"]] = message
            elif kind == "ACTIVATE_VERSION":
                output.activated[message["stream"]].append(message["version"])
            elif kind == "STATE":
                output.state = message["value"]
        return output


class _Capture(io.TextIOWrapper):
    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", write_through=True)

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


def run_tap_failing(
    tap_class: Any,
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
) -> tuple[Exception, TapOutput]:
    """Run a tap that must fail; returns the exception and what it wrote before failing."""
    capture = _Capture()
    with contextlib.redirect_stdout(capture):
        try:
            tap = tap_class(config=config, state=state, validate_config=True)
            tap.run()
        except Exception as exc:
            sys.stdout.flush()
            return exc, TapOutput.parse(capture.text())
    msg = f"{tap_class.name} was expected to fail but ended normally"
    raise AssertionError(msg)


def run_tap(
    tap_class: Any,
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> TapOutput:
    """Instantiate the tap like its CLI does and sync; returns the parsed Singer output."""
    capture = _Capture()
    with contextlib.redirect_stdout(capture):
        tap = tap_class(config=config, state=state, catalog=catalog, validate_config=True)
        tap.run()
        sys.stdout.flush()
    return TapOutput.parse(capture.text())


def run_tap_outcome(
    tap_class: Any, config: dict[str, Any]
) -> tuple[Any, Exception | None, TapOutput]:
    """Run a tap that may fail: (the tap, its exception or None, what it wrote)."""
    capture = _Capture()
    error: Exception | None = None
    with contextlib.redirect_stdout(capture):
        tap = tap_class(config=config, validate_config=True)
        try:
            tap.run()
        except Exception as exc:
            error = exc
        sys.stdout.flush()
    return tap, error, TapOutput.parse(capture.text())
