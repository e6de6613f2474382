"""Bad Singer input for a target: each case is the input text and the located error it must
end with (input line, stream where there is one, the start of the line)."""

from __future__ import annotations

import json
from dataclasses import dataclass

SCHEMA = {
    "type": "SCHEMA",
    "stream": "items",
    "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
    "key_properties": ["id"],
}


@dataclass(frozen=True)
class BadSingerInput:
    id: str
    text: str
    error: str  # a regular expression the target's error must match
    line: int  # the input line the error must name

    def __str__(self) -> str:
        return self.id


def _lines(*messages: object) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


def _record(record: object, stream: str = "items") -> dict:
    return {"type": "RECORD", "stream": stream, "record": record}


def cases() -> list[BadSingerInput]:
    """Every kind of broken line, at the start, after a SCHEMA, and after good records."""
    good = [SCHEMA, _record({"id": 1}), _record({"id": 2})]
    broken_lines = {
        "truncated_json": (
            '{"type": "RECORD", "stream": "items", "record": {"id": 3',
            "not a JSON",
        ),
        "trailing_garbage": ('{"type": "STATE", "value": {}} x', "not a JSON"),
        "json_array": ("[1, 2, 3]", "a Singer message is a JSON object, got list"),
        "json_string": ('"RECORD"', "a Singer message is a JSON object, got str"),
        "json_number": ("42", "a Singer message is a JSON object, got int"),
        "json_null": ("null", "a Singer message is a JSON object, got NoneType"),
        "nul_bytes": ("\x00\x00\x00", "not a JSON"),
        "html": ("<html><body>502 Bad Gateway</body></html>", "not a JSON"),
        "no_type": ('{"stream": "items", "record": {"id": 3}}', 'message without a "type"'),
        "type_not_text": ('{"type": 7, "stream": "items"}', 'message without a "type"'),
        "unknown_type": (
            '{"type": "RECORDS", "stream": "items"}',
            "unknown message type 'RECORDS'",
        ),
        "record_without_record": (
            '{"type": "RECORD", "stream": "items"}',
            "RECORD message without record",
        ),
        "record_without_stream": (
            '{"type": "RECORD", "record": {"id": 3}}',
            "RECORD message without stream",
        ),
        "record_is_list": (
            json.dumps(_record([1, 2])),
            "stream 'items': the record is a list, not an object",
        ),
        "record_is_text": (
            json.dumps(_record("id=3")),
            "stream 'items': the record is a str, not an object",
        ),
        "record_is_null": (json.dumps(_record(None)), "stream 'items': the record is a NoneType"),
        "record_before_schema": (
            json.dumps(_record({"id": 3}, "other")),
            "RECORD for stream 'other' before its SCHEMA",
        ),
        "activate_before_schema": (
            '{"type": "ACTIVATE_VERSION", "stream": "other", "version": 1}',
            "ACTIVATE_VERSION for stream 'other' before its SCHEMA",
        ),
        "activate_without_version": (
            '{"type": "ACTIVATE_VERSION", "stream": "items"}',
            "ACTIVATE_VERSION message without version",
        ),
        "schema_without_schema": (
            '{"type": "SCHEMA", "stream": "items"}',
            "SCHEMA message without schema",
        ),
        "state_without_value": ('{"type": "STATE"}', "STATE message without a value"),
        "long_line": (
            '{"type": "RECORD", "stream": "items", "record": ' + "x" * 500,
            r"not a JSON.*…'",
        ),
    }
    out: list[BadSingerInput] = []
    for name, (line, error) in broken_lines.items():
        out.append(BadSingerInput(f"{name}_first", _lines(line), error, 1))
        out.append(BadSingerInput(f"{name}_after_records", _lines(*good, line), error, 4))
        out.append(BadSingerInput(f"{name}_after_blank", _lines(*good, "", line), error, 5))
    return out
