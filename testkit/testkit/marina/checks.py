"""Checks on a tap's output that the SDK's standard tests make weakly or not at all."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from jsonschema import Draft7Validator

from testkit.marina.runner import TapOutput


def records_match_schemas(output: TapOutput) -> int:
    """Every RECORD valid against its stream's SCHEMA, both parsed as a target parses them
    (numbers as Decimal, so multipleOf 0.01 is exact). Returns the number of records checked."""
    validators: dict[str, Draft7Validator] = {}
    checked = 0
    for line in output.text.splitlines():
        if not line.strip():
            continue
        message = json.loads(line, parse_float=Decimal)
        if message["type"] == "SCHEMA":
            validators[message["stream"]] = Draft7Validator(
                message["schema"], format_checker=Draft7Validator.FORMAT_CHECKER
            )
        elif message["type"] == "RECORD":
            errors = list(validators[message["stream"]].iter_errors(message["record"]))
            assert not errors, (message["stream"], [e.message for e in errors])
            checked += 1
    return checked


def primary_keys_unique(output: TapOutput, schemas: dict[str, Any] | None = None) -> dict[str, int]:
    """Every stream's key values present, non-null and unique; returns rows per stream.

    (The SDK's own uniqueness check counts a set of generator objects and cannot fail.)
    """
    counts: dict[str, int] = {}
    for stream, records in output.records.items():
        key = (schemas or output.schemas)[stream]["key_properties"]
        assert key, f"{stream} has no key_properties"
        values = [tuple(record[name] for name in key) for record in records]
        assert all(None not in value for value in values), f"{stream}: a null key"
        duplicates = len(values) - len(set(values))
        assert duplicates == 0, f"{stream}: {duplicates} duplicate keys"
        counts[stream] = len(values)
    return counts
