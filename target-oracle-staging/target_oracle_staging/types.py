"""JSON Schema -> column kind -> SQL type per dialect, and the value converters for bulk loads."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import typing as t
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa

ORACLE_MAX_VARCHAR = 4000
DEFAULT_ORACLE_VARCHAR = 4000
_json_encoder = msgspec.json.Encoder(decimal_format="number")


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


class RawType(sa.types.UserDefinedType):
    """A column type rendered exactly as written (we choose every type ourselves)."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **_: t.Any) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"RawType({self.spec!r})"


@dataclass(frozen=True)
class ColumnType:
    """The logical type of one column: kind plus length (strings) or scale (numbers)."""

    kind: Kind
    length: int | None = None
    scale: int | None = None

    def sql(self, dialect: str) -> str:
        """The DDL type for `dialect` (oracle, postgresql, duckdb)."""
        if dialect == "oracle":
            return self._oracle_sql()
        return self._ansi_sql(dialect)

    def _oracle_sql(self) -> str:
        kind = self.kind
        if kind is Kind.STRING:
            length = self.length or DEFAULT_ORACLE_VARCHAR
            return "CLOB" if length > ORACLE_MAX_VARCHAR else f"VARCHAR2({length} CHAR)"
        if kind is Kind.JSON:
            return "CLOB"
        if kind is Kind.TIME:
            return "VARCHAR2(32 CHAR)"
        return {
            Kind.INTEGER: "NUMBER(38)",
            Kind.NUMBER: "NUMBER" if self.scale is None else f"NUMBER(38,{self.scale})",
            Kind.DATETIME: "TIMESTAMP(6)",
            Kind.DATE: "DATE",
            Kind.BOOLEAN: "NUMBER(1)",
        }[kind]

    def _ansi_sql(self, dialect: str) -> str:
        kind = self.kind
        if kind is Kind.NUMBER:
            if self.scale is not None:
                return f"DECIMAL(38,{self.scale})"
            # PostgreSQL NUMERIC is exact without a scale; DuckDB needs one, so DOUBLE.
            return "NUMERIC" if dialect == "postgresql" else "DOUBLE"
        if kind is Kind.JSON:
            return "JSONB" if dialect == "postgresql" else "JSON"
        if kind is Kind.STRING:
            return "TEXT" if dialect == "postgresql" else "VARCHAR"
        return {
            Kind.INTEGER: "BIGINT",
            Kind.DATETIME: "TIMESTAMP",
            Kind.DATE: "DATE",
            Kind.TIME: "TIME",
            Kind.BOOLEAN: "BOOLEAN",
        }[kind]


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
        return ColumnType(Kind.NUMBER, scale=_scale_of(schema))
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


def kind_of_reflected(sql_type: sa.types.TypeEngine) -> Kind | None:  # noqa: PLR0911
    """The kind an existing column can hold, judged from its reflected type name."""
    name = type(sql_type).__name__.upper()
    text = str(sql_type).upper() if not isinstance(sql_type, sa.types.NullType) else ""
    if "CHAR" in name or "TEXT" in name or "CLOB" in name or name == "STRING":
        return Kind.STRING
    if "JSON" in name or "JSON" in text:
        return Kind.JSON
    if "TIMESTAMP" in name or "DATETIME" in name:
        return Kind.DATETIME
    if name == "DATE":
        return Kind.DATE
    if name == "TIME":
        return Kind.TIME
    if "BOOL" in name:
        return Kind.BOOLEAN
    if "INT" in name:
        return Kind.INTEGER
    if "NUMBER" in name or "NUMERIC" in name or "DECIMAL" in name:
        scale = getattr(sql_type, "scale", None)
        precision = getattr(sql_type, "precision", None)
        if name == "NUMBER" and precision == 1 and not scale:
            return Kind.BOOLEAN
        return Kind.INTEGER if scale == 0 and precision else Kind.NUMBER
    if "DOUBLE" in name or "FLOAT" in name or "REAL" in name:
        return Kind.NUMBER
    return None
