"""Every JSON type goes in and comes back out of each database unchanged (or as UTC)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPERTIES = {
    "id": {"type": "integer"},
    "label": {"type": ["null", "string"]},
    "long_text": {"type": ["null", "string"], "maxLength": 20000},
    "price": {"type": ["null", "number"], "multipleOf": 0.0001},
    "ratio": {"type": ["null", "number"]},
    "big_count": {"type": ["null", "integer"]},
    "changed_at": {"type": ["null", "string"], "format": "date-time"},
    "opened_on": {"type": ["null", "string"], "format": "date"},
    "active": {"type": ["null", "boolean"]},
    "details": {"type": ["null", "object"], "properties": {}},
    "tags": {"type": ["null", "array"], "items": {"type": "string"}},
}
LONG_TEXT = "Ærøskøbing ✓ 日本語 " * 400  # > 4000 characters, multi-byte


def _as_json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_every_type_round_trips(database: Database) -> None:
    records = [
        {
            "id": 1,
            "label": 'Ålesund \u2013 «quoted», "double", comma, newline\nand tab\t',
            "long_text": LONG_TEXT,
            "price": Decimal("12345.6789"),
            "ratio": 1.5,
            "big_count": 9_007_199_254_740_993,  # beyond float precision
            "changed_at": "2024-03-01T10:15:30.123456+02:00",
            "opened_on": "2024-02-29",
            "active": True,
            "details": {"depth": {"list": [1, 2.5, "x"], "none": None}},
            "tags": ["a", "ø"],
        },
        {
            "id": 2,
            "label": "",
            "long_text": None,
            "price": Decimal("-0.0001"),
            "ratio": None,
            "big_count": -1,
            "changed_at": "2024-03-01T00:30:00-05:00",
            "opened_on": None,
            "active": False,
            "details": {},
            "tags": [],
        },
        {"id": 3},
    ]
    messages = [schema_message("types", PROPERTIES, ["id"])]
    messages += [record_message("types", r) for r in records]
    run_target(database.config, messages)

    table = database.table(f"{database.prefix}TYPES")
    rows = database.rows(
        "select id, label, long_text, price, ratio, big_count, changed_at, opened_on, active, "
        f"details, tags from {table} order by id"
    )
    first, second, third = rows
    assert first[1] == records[0]["label"]
    assert first[2] == LONG_TEXT
    assert Decimal(str(first[3])) == Decimal("12345.6789")
    assert float(first[4]) == 1.5
    assert first[5] == 9_007_199_254_740_993
    assert first[6] == dt.datetime(2024, 3, 1, 8, 15, 30, 123456)  # stored in UTC
    assert first[7] == dt.date(2024, 2, 29)
    assert bool(first[8]) is True
    assert _as_json(first[9]) == {"depth": {"list": [1, 2.5, "x"], "none": None}}
    assert _as_json(first[10]) == ["a", "ø"]

    assert second[1] is None  # '' is NULL, as Oracle stores it (oracle_parity, the default)
    assert second[2] is None
    assert Decimal(str(second[3])) == Decimal("-0.0001")
    assert second[6] == dt.datetime(2024, 3, 1, 5, 30)
    assert bool(second[8]) is False
    assert _as_json(second[9]) == {}
    assert _as_json(second[10]) == []

    assert third[1:] == (None,) * 10


def test_without_oracle_parity_an_empty_string_stays_empty(database: Database) -> None:
    if database.kind == "oracle":
        pytest.skip("Oracle itself stores '' as NULL")
    config = {**database.config, "oracle_parity": False}
    props = {"id": {"type": "integer"}, "label": {"type": ["string", "null"]}}
    records = [record_message("plain", {"id": 1, "label": ""})]
    run_target(config, [schema_message("plain", props, ["id"]), *records])
    table = database.table(f"{database.prefix}PLAIN")
    assert database.rows(f"select label from {table}") == [("",)]
