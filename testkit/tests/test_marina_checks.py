"""The output checks used by the S3 taps' tests can fail (issue 18: no check that cannot)."""

from __future__ import annotations

import json

import pytest
from testkit.marina.checks import primary_keys_unique, records_match_schemas
from testkit.marina.runner import TapOutput

SCHEMA = {
    "type": "SCHEMA",
    "stream": "s",
    "key_properties": ["Id"],
    "schema": {
        "type": "object",
        "properties": {
            "Id": {"type": ["integer", "null"]},
            "Total": {"type": ["number", "null"], "multipleOf": 0.01, "maximum": 9999.99},
            "Name": {"type": ["string", "null"], "maxLength": 4},
        },
    },
}


def _output(*records: dict) -> TapOutput:
    lines = [SCHEMA] + [{"type": "RECORD", "stream": "s", "record": r} for r in records]
    return TapOutput.parse("\n".join(json.dumps(line) for line in lines))


def test_decimal_multiple_of_is_checked_exactly():
    # 313.4 / 0.01 is 31339.999999999996 in floats; as Decimal it is exact.
    assert records_match_schemas(_output({"Id": 1, "Total": 313.4, "Name": "abcd"})) == 1
    with pytest.raises(AssertionError, match="not a multiple"):
        records_match_schemas(_output({"Id": 1, "Total": 313.456, "Name": None}))
    with pytest.raises(AssertionError, match="too long"):
        records_match_schemas(_output({"Id": 1, "Total": None, "Name": "abcde"}))
    with pytest.raises(AssertionError, match="greater than the maximum"):
        records_match_schemas(_output({"Id": 1, "Total": 10000, "Name": None}))


def test_duplicate_or_null_keys_fail():
    assert primary_keys_unique(_output({"Id": 1}, {"Id": 2})) == {"s": 2}
    with pytest.raises(AssertionError, match="1 duplicate keys"):
        primary_keys_unique(_output({"Id": 1}, {"Id": 1}))
    with pytest.raises(AssertionError, match="a null key"):
        primary_keys_unique(_output({"Id": None}))
