"""Value types from the API to the stream schemas.

Revisions and engineering values stay strings, IDs become integers, `DD.MM.YYYY[ HH:MM]` becomes
ISO 8601, "" and null both become null. A value that does not fit is an error naming the URL and
the field: nothing is dropped or guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.UTC


class Tr2000ValueError(ValueError):
    """A field value that does not fit its schema type."""


def conform_value(
    value: Any,
    prop: dict[str, Any],
    source_tz: dt.tzinfo = UTC,
) -> Any:
    """Convert one API value to what the property schema says; raise ValueError if it cannot.

    Date-times carry no zone in the API: they are read in `source_tz` and emitted in UTC.
    """
    if value is None or value == "":
        return None
    types = prop.get("type", [])
    if "integer" in types:
        if isinstance(value, bool):
            msg = f"expected an integer, got boolean {value!r}"
            raise ValueError(msg)
        return _bounded(_integer(value), prop)
    if isinstance(value, dict | list | bool):
        msg = f"expected a string, got {type(value).__name__} {value!r}"
        raise ValueError(msg)
    text = str(value) if not isinstance(value, str) else value
    fmt = prop.get("format")
    if fmt == "date":
        return parse_date(text).isoformat()
    if fmt == "date-time":
        local = parse_datetime(text).replace(tzinfo=source_tz)
        return local.astimezone(UTC).isoformat()
    return text


def _integer(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    msg = f"expected an integer, got {value!r}"
    raise ValueError(msg)


def _bounded(number: int, prop: dict[str, Any]) -> int:
    """The schema's bounds ([Int32] on the help page) hold, or the value is an error."""
    low, high = prop.get("minimum"), prop.get("maximum")
    if (low is not None and number < low) or (high is not None and number > high):
        msg = f"expected an integer in [{low}, {high}], got {number}"
        raise ValueError(msg)
    return number


def parse_date(text: str) -> dt.date:
    """`DD.MM.YYYY` (the API's only date format)."""
    try:
        return dt.datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError:
        msg = f"expected a date DD.MM.YYYY, got {text!r}"
        raise ValueError(msg) from None


def parse_datetime(text: str) -> dt.datetime:
    """`DD.MM.YYYY HH:MM[:SS]` or a bare date; no time zone is given by the API."""
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    msg = f"expected a date-time DD.MM.YYYY HH:MM, got {text!r}"
    raise ValueError(msg)


def plain_string_properties(properties: dict[str, dict[str, Any]]) -> frozenset[str]:
    """Properties whose text values pass through as they are ("" still becomes null)."""
    return frozenset(
        key
        for key, prop in properties.items()
        if "string" in prop.get("type", [])
        and "integer" not in prop.get("type", [])
        and not prop.get("format")
    )


def conform_row(
    row: dict[str, Any],
    properties: dict[str, dict[str, Any]],
    *,
    url: str,
    stream: str,
    source_tz: dt.tzinfo = UTC,
    keep_empty: frozenset[str] = frozenset(),
    plain_strings: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[str]]:
    """The row with schema types applied, and the names of fields the schema does not know.

    Fields in `keep_empty` (string key parts) keep the API's `""`: a key part is emitted as sent,
    and Singer key properties are expected non-null. The target stores it as Oracle would (NULL).
    `plain_strings` (string properties without a format, see `plain_string_properties`) take a
    fast path for text values: most of the API's fields.
    """
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in row.items():
        if key in plain_strings and type(value) is str:
            out[key] = value if value or key in keep_empty else None
            continue
        prop = properties.get(key)
        if prop is None:
            unknown.append(key)
            continue
        if value == "" and key in keep_empty:
            out[key] = ""
            continue
        try:
            out[key] = conform_value(value, prop, source_tz)
        except ValueError as exc:
            msg = f"stream {stream}: field {key!r} at {url}: {exc}"
            raise Tr2000ValueError(msg) from None
    return out, unknown
