"""Record -> row conversion, compiled once per stream for speed.

The hot path of a Singer target is per record. Instead of one function call per value, each
stream gets one generated function that reads every property, keeps values that already have
the right Python type, and calls the converter only for the rest.
"""

from __future__ import annotations

import decimal
import typing as t

from target_oracle_staging.dialects import Dialect
from target_oracle_staging.tables import TableSpec
from target_oracle_staging.types import CONVERTERS, Kind

# Metadata properties are filled from the message, not from the record.
_METADATA_SOURCES = {
    "_sdc_extracted_at": "m.get('time_extracted')",
    "_sdc_deleted_at": "r.get('_sdc_deleted_at')",
    "_sdc_sequence": "seq",
    "_sdc_table_version": "m.get('version')",
}


def _fast_type_check(kind: Kind, dialect: Dialect, var: str) -> str | None:
    """An expression that is true when the value can be bound as it is."""
    if kind is Kind.STRING:
        return f"type({var}) is str"
    if kind is Kind.INTEGER:
        return f"type({var}) is int"
    if kind is Kind.NUMBER:
        return f"(type({var}) is Decimal or type({var}) is int)"
    if kind is Kind.BOOLEAN and dialect.name != "oracle":
        return f"type({var}) is bool"
    if kind is Kind.DATETIME and dialect.name == "duckdb":
        return f"type({var}) is str"  # DuckDB parses ISO text with offsets itself
    return None


def compile_row_builder(spec: TableSpec, dialect: Dialect) -> t.Callable[[dict, dict, int], list]:
    """`build(record, message, seq) -> row` for the spec's bulk columns (without LD__SEQ)."""
    namespace: dict[str, t.Any] = {"Decimal": decimal.Decimal, "null": dialect.null}
    lines = ["def build(r, m, seq):"]
    values = []
    for index, column in enumerate(spec.bulk_columns):
        var = f"v{index}"
        source = column.source
        if source in _METADATA_SOURCES:
            lines.append(f"    {var} = {_METADATA_SOURCES[source]}")
        elif source is None:
            lines.append(f"    {var} = None")
        else:
            lines.append(f"    {var} = r.get({source!r})")
        convert = CONVERTERS[column.type.kind]
        if dialect.name == "oracle" and column.type.kind is Kind.BOOLEAN:
            convert = oracle_boolean(convert)
        namespace[f"c{index}"] = convert
        check = _fast_type_check(column.type.kind, dialect, var)
        expression = (
            f"c{index}({var})" if check is None else f"({var} if {check} else c{index}({var}))"
        )
        values.append(f"(null if {var} is None else {expression})")
    lines.append(f"    return [{', '.join(values)}]")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from repr()'d property names
    return namespace["build"]


def oracle_boolean(convert: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], int]:
    def to_number(value: t.Any) -> int:
        return 1 if convert(value) else 0

    return to_number
