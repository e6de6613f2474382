"""Table specs: the data file each tap ships (`tables.json`) describing its export's members."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from s3_export_core.errors import ExportError

COLUMN_TYPES = ("string", "integer", "number", "boolean", "date-time", "date")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str = "string"
    formats: tuple[str, ...] = ()
    true_values: tuple[str, ...] = ("1", "true", "t", "yes", "y")
    false_values: tuple[str, ...] = ("0", "false", "f", "no", "n")
    null_tokens: tuple[str, ...] | None = None
    description: str | None = None
    # C1: NUMBER(precision, scale) of numeric columns, characters of text columns, when known.
    precision: int | None = None
    scale: int | None = None
    max_length: int | None = None

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.type in {"date-time", "date"}:
            schema = {"type": ["string", "null"], "format": self.type}
        else:
            schema = {"type": [self.type, "null"]}
        schema.update(self._limits())
        if self.description:
            schema["description"] = self.description
        return schema

    def _limits(self) -> dict[str, Any]:
        """Contract C1: the bounds a target turns into NUMBER(p,s) / VARCHAR2(n CHAR)."""
        if self.type == "string" and self.max_length is not None:
            return {"maxLength": self.max_length}
        if self.precision is None or self.type not in {"integer", "number"}:
            return {}
        scale = self.scale or 0
        if self.type == "integer":
            largest: int | float = 10 ** (self.precision - scale) - 1
            return {"maximum": largest, "minimum": -largest}
        step = Decimal(10) ** -scale
        largest = float(Decimal(10) ** (self.precision - scale) - step)
        if scale == 0:
            return {"multipleOf": 1, "maximum": int(largest), "minimum": -int(largest)}
        return {"multipleOf": float(step), "maximum": largest, "minimum": -largest}


@dataclass(frozen=True)
class TableSpec:
    stream: str
    member: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    null_tokens: tuple[str, ...] = ("",)
    # Columns the export is known to carry beyond `columns` (kept as strings, no warning).
    unlisted_column_count: int = 0
    description: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _column(raw: dict[str, Any], where: str) -> ColumnSpec:
    column_type = raw.get("type", "string")
    if column_type not in COLUMN_TYPES:
        msg = f"{where}: column {raw.get('name')!r} has unknown type {column_type!r}"
        raise ExportError(msg)
    if column_type in {"date-time", "date"} and not raw.get("formats"):
        msg = f"{where}: column {raw['name']!r} is a {column_type} without `formats`"
        raise ExportError(msg)
    kwargs: dict[str, Any] = {"name": raw["name"], "type": column_type}
    for name in ("formats", "true_values", "false_values", "null_tokens"):
        if name in raw:
            kwargs[name] = tuple(raw[name])
    if raw.get("description"):
        kwargs["description"] = raw["description"]
    for name in ("precision", "scale", "max_length"):
        if name in raw:
            value = raw[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                msg = f"{where}: column {raw['name']!r} has {name} {value!r}, not a count"
                raise ExportError(msg)
            kwargs[name] = value
    if kwargs.get("precision") is not None and kwargs.get("scale", 0) > kwargs["precision"]:
        msg = f"{where}: column {raw['name']!r} has a scale larger than its precision"
        raise ExportError(msg)
    return ColumnSpec(**kwargs)


def load_table_specs(path: str | Path) -> list[TableSpec]:
    """Read and check a tables.json file."""
    path = Path(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    specs: list[TableSpec] = []
    seen_streams: set[str] = set()
    for raw in document["tables"]:
        where = f"{path} table {raw.get('stream')!r}"
        columns = tuple(_column(column, where) for column in raw["columns"])
        names = [column.name for column in columns]
        if len(set(names)) != len(names):
            msg = f"{where}: duplicate column names"
            raise ExportError(msg)
        missing_key = [name for name in raw["key"] if name not in names]
        if missing_key:
            msg = f"{where}: key columns {missing_key} are not among its columns"
            raise ExportError(msg)
        if raw["stream"] in seen_streams:
            msg = f"{where}: stream defined twice"
            raise ExportError(msg)
        seen_streams.add(raw["stream"])
        specs.append(
            TableSpec(
                stream=raw["stream"],
                member=raw["member"],
                key=tuple(raw["key"]),
                columns=columns,
                null_tokens=tuple(raw.get("null_tokens", [""])),
                unlisted_column_count=int(raw.get("unlisted_column_count", 0)),
                description=raw.get("description"),
            )
        )
    return specs


def load_archive_defaults(path: str | Path) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text(encoding="utf-8")).get("archive", {}))
