"""Checks both S3 taps must pass, written once: keys and records as a target reads them, the
spec's limits in the schemas (contract C1), the completion marker (C2), the bundled samples."""

from __future__ import annotations

import typing as t
from datetime import datetime
from pathlib import Path

from testkit.marina.checks import primary_keys_unique, records_match_schemas
from testkit.marina.generator import load_spec
from testkit.marina.runner import run_tap

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def check_keys_and_records(tap_class: t.Any, config: dict, rows: dict[str, int]) -> None:
    output = run_tap(tap_class, config)
    assert primary_keys_unique(output) == rows
    assert records_match_schemas(output) == sum(rows.values())


def check_spec_limits(tap_class: t.Any, kind: str, config: dict) -> None:
    """C1: NUMBER(p,s) as multipleOf and ±maximum, integer bounds, string maxLength."""
    tap = tap_class(config=config)
    seen = {"decimal": 0, "integer": 0, "string": 0}
    for table in load_spec(kind)["tables"]:
        properties = tap.streams[table["stream"]].schema["properties"]
        for column in table["columns"]:
            schema = properties[column["name"]]
            if "precision" in column and column["type"] == "number":
                digits, scale = column["precision"] - column["scale"], column["scale"]
                assert schema["multipleOf"] == float(10**-scale)
                assert schema["maximum"] == -schema["minimum"]
                assert round(schema["maximum"] + 10**-scale, scale) == 10**digits
                seen["decimal"] += 1
            elif "precision" in column and column["type"] == "integer":
                assert schema["maximum"] == 10 ** (column["precision"] - column["scale"]) - 1
                seen["integer"] += 1
            elif "max_length" in column:
                assert schema["maxLength"] == column["max_length"]
                seen["string"] += 1
            else:
                assert not {"maxLength", "maximum", "multipleOf"} & set(schema), column
    assert all(seen.values()), seen


def check_sync_completed(tap_class: t.Any, config: dict) -> None:
    """C2: only the last STATE of a complete run carries the marker; input drops it."""
    output = run_tap(tap_class, config)
    states = [m["value"] for m in output.messages if m["type"] == "STATE"]
    assert output.messages[-1]["type"] == "STATE"
    marker = states[-1]["sync_completed"]
    assert marker["tap"] == tap_class.name
    assert datetime.fromisoformat(marker["at"]).tzinfo is not None
    assert all("sync_completed" not in state for state in states[:-1])
    again = run_tap(tap_class, config, state=states[-1])  # the marker is not a bookmark
    states_again = [m["value"] for m in again.messages if m["type"] == "STATE"]
    assert all("sync_completed" not in state for state in states_again[:-1])
    assert states_again[-1]["sync_completed"]["at"] >= marker["at"]


def check_bundled_sample(tap_class: t.Any, kind: str) -> None:
    """The demo's samples/<kind>/ export: every record valid (C1 bounds included), keys unique."""
    output = run_tap(tap_class, {"local_path": str(SAMPLES / kind)})
    assert records_match_schemas(output) == sum(primary_keys_unique(output).values()) > 0
