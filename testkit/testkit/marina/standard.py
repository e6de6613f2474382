"""The SDK's standard tap tests for the S3 taps, with its one float-unsafe test replaced.

`record_matches_stream_schema` validates Python floats against `multipleOf: 0.01` (contract C1),
which jsonschema gets wrong (313.4 / 0.01 = 31339.999999999996: "not a multiple"). A target
reads numbers as Decimal (the SDK's reader does), so the replacement, `records_match_schemas`
in testkit.marina.checks, validates the tap's serialized output the way a target parses it.
"""

from __future__ import annotations

from typing import Any

from singer_sdk.testing import get_tap_test_class

FLOAT_UNSAFE_TEST = "test_tap_stream_record_matches_stream_schema"


def standard_tap_test_class(tap_class: Any, config: dict[str, Any]) -> type:
    test_class = get_tap_test_class(tap_class, config=config)
    delattr(test_class, FLOAT_UNSAFE_TEST)
    test_class.params.pop(FLOAT_UNSAFE_TEST)
    return test_class
