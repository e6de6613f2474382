"""JSON Schema -> logical column type, and the value converters for bulk loads."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import typing as t
from dataclasses import dataclass

import msgspec

_json_encoder = msgspec.json.Encoder(decimal_format="number")
UNBOUNDED_LENGTH = 2**31 - 1  # a string column without a length limit (CLOB, TEXT)


class Kind(str, enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    BOOLEAN = "boolean"
    JSON = "json"


class ConversionError(ValueError):
    """A value that does not fit its column's JSON type."""


@dataclass(frozen=True)
class ColumnType:
    """The logical type of one column: kind plus length (strings), precision and scale (numbers).

    Each dialect renders it as DDL (see `dialects`); Oracle's rendering is the Oracle model's.
    """

    kind: Kind
    length: int | None = None
    precision: int | None = None
    scale: int | None = None


def _types_of(schema: dict) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        return set()
    return {declared} if isinstance(declared, str) else set(declared)


def _scale_of(schema: dict) -> int | None:
    multiple = schema.get("multipleOf")
    if multiple is None:
        return None
    exponent = decimal.Decimal(str(multiple)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _precision_of(schema: dict, scale: int) -> int | None:
    """Digits of the integer part of `maximum` (or `minimum`) plus the scale (contract C1)."""
    given = [schema.get(k) for k in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum")]
    # Schemas read from Singer input carry Decimals (the reader keeps every digit).
    bounds = [
        abs(decimal.Decimal(str(b)))
        for b in given
        if isinstance(b, int | float | decimal.Decimal) and not isinstance(b, bool)
    ]
    if not bounds:
        return None
    integer_part = int(max(bounds))
    return max(len(str(integer_part)) if integer_part else 1, 1) + scale


def column_type(schema: dict) -> ColumnType:  # noqa: PLR0911 - one return per JSON type
    """Choose the column type for one property's JSON Schema."""
    if "anyOf" in schema or "oneOf" in schema:
        choices = [c for c in schema.get("anyOf", schema.get("oneOf", [])) if c != {"type": "null"}]
        if len(choices) == 1:
            return column_type(choices[0])
        kinds = {column_type(c).kind for c in choices}
        return ColumnType(next(iter(kinds))) if len(kinds) == 1 else ColumnType(Kind.JSON)
    types = _types_of(schema) - {"null"}
    if types == {"string"}:
        fmt = schema.get("format")
        if fmt == "date-time":
            return ColumnType(Kind.DATETIME)
        if fmt == "date":
            return ColumnType(Kind.DATE)
        if fmt == "time":
            return ColumnType(Kind.TIME)
        return ColumnType(Kind.STRING, length=schema.get("maxLength"))
    if types == {"integer"}:
        return ColumnType(Kind.INTEGER)
    if types and types <= {"integer", "number"}:
        scale = _scale_of(schema)
        precision = _precision_of(schema, scale) if scale is not None else None
        return ColumnType(Kind.NUMBER, precision=precision, scale=scale)
    if types == {"boolean"}:
        return ColumnType(Kind.BOOLEAN)
    if types and types <= {"string", "integer", "number", "boolean"}:
        return ColumnType(Kind.STRING, length=schema.get("maxLength"))
    return ColumnType(Kind.JSON)


# --- value converters: JSON value -> Python value the driver binds --------------------------


def _to_string(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _json_encoder.encode(value).decode("utf-8")
    return str(value)


def _to_integer(value: t.Any) -> int:
    if isinstance(value, bool):
        raise ConversionError(f"boolean {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal | float) and value == int(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ConversionError(f"{value!r} is not an integer")


def _to_number(value: t.Any) -> decimal.Decimal | int | float:
    if isinstance(value, bool):
        raise ConversionError(f"boolean {value!r} is not a number")
    if isinstance(value, decimal.Decimal | int | float):
        return value
    if isinstance(value, str):
        try:
            return decimal.Decimal(value)
        except decimal.InvalidOperation:
            pass
    raise ConversionError(f"{value!r} is not a number")


def _to_datetime(value: t.Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ConversionError(f"{value!r} is not an ISO 8601 date-time") from exc
    else:
        raise ConversionError(f"{value!r} is not a date-time string")
    if parsed.tzinfo is not None:
        # Stored as UTC without a zone: the same instant on every database.
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _to_date(value: t.Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            try:
                return dt.datetime.fromisoformat(value).date()
            except ValueError as exc:
                raise ConversionError(f"{value!r} is not an ISO 8601 date") from exc
    raise ConversionError(f"{value!r} is not a date string")


def _to_time(value: t.Any) -> str:
    if isinstance(value, str | dt.time):
        try:
            return (dt.time.fromisoformat(value) if isinstance(value, str) else value).isoformat()
        except ValueError as exc:
            raise ConversionError(f"{value!r} is not an ISO 8601 time") from exc
    raise ConversionError(f"{value!r} is not a time string")


def _to_boolean(value: t.Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | decimal.Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ConversionError(f"{value!r} is not a boolean")


def _to_json(value: t.Any) -> str:
    return _json_encoder.encode(value).decode("utf-8")


CONVERTERS: dict[Kind, t.Callable[[t.Any], t.Any]] = {
    Kind.STRING: _to_string,
    Kind.INTEGER: _to_integer,
    Kind.NUMBER: _to_number,
    Kind.DATETIME: _to_datetime,
    Kind.DATE: _to_date,
    Kind.TIME: _to_time,
    Kind.BOOLEAN: _to_boolean,
    Kind.JSON: _to_json,
}


def is_nullable(schema: dict) -> bool:
    """True unless the property's JSON Schema rules out null."""
    if "anyOf" in schema or "oneOf" in schema:
        choices = schema.get("anyOf", schema.get("oneOf", []))
        return any(is_nullable(c) for c in choices)
    types = _types_of(schema)
    return not types or "null" in types
