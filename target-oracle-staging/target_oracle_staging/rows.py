"""Record -> row conversion and Oracle's value rules, compiled once per stream for speed.

The hot path of a Singer target is per record. Instead of one function call per value, each
stream gets one generated function that reads every property, keeps values that already have
the right Python type, converts the rest, and applies Oracle's value rules (the Oracle model):
`''` is NULL, strings fit their column in characters and bytes, numbers fit NUMBER's precision
and range, NOT NULL key parts are present. On DuckDB and PostgreSQL the same rules run when
Oracle parity is on, so dev and ci refuse what prod would refuse, with the same error codes.
"""

from __future__ import annotations

import decimal
import typing as t
from dataclasses import dataclass

from target_oracle_staging.dialects import Dialect
from target_oracle_staging.oracle_model import BYTES_PER_CHAR, OracleType, quote_path
from target_oracle_staging.tables import LOAD_SEQ, Column, TableSpec
from target_oracle_staging.types import CONVERTERS, ConversionError, Kind

# Metadata properties are filled from the message, not from the record.
_METADATA_SOURCES = {
    "_sdc_extracted_at": "m.get('time_extracted')",
    "_sdc_deleted_at": "r.get('_sdc_deleted_at')",
    "_sdc_sequence": "seq",
    "_sdc_table_version": "m.get('version')",
}


class ValueViolation(ValueError):  # noqa: N818 - a row that breaks a rule, not a failure
    """A value Oracle would refuse; the row becomes a reject with Oracle's code."""

    def __init__(self, column: int, rule: str, value: t.Any) -> None:
        super().__init__(rule)
        self.column = column
        self.rule = rule
        self.value = value


@dataclass(frozen=True)
class Rejection:
    column: str
    code: str
    message: str


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


class RowCompiler:
    """Generates the per-stream functions: `build(record, message, seq, line) -> row` for the
    converted-row path and `check(record)` for the raw-record path (DuckDB)."""

    def __init__(self, spec: TableSpec, dialect: Dialect) -> None:
        self.spec = spec
        self.dialect = dialect
        self.model = dialect.model
        self.rules = dialect.name == "oracle" or dialect.parity
        self.columns = [c for c in dialect.load_columns(spec) if c.name != LOAD_SEQ]
        self.namespace: dict[str, t.Any] = {
            "Decimal": decimal.Decimal,
            "V": ValueViolation,
            "ROUND": decimal.ROUND_HALF_UP,
            "number_violation": self.model.number_violation,
            "unencodable": _decimal_unencodable,
            "CONTEXT": _WIDE_CONTEXT,
            "B38": 10**38,
        }

    # -- code generation --------------------------------------------------------------------
    def _rule_lines(self, index: int, column: Column, var: str, indent: str) -> list[str]:
        """Checks on a converted value `var` (not None), Oracle's value rules."""
        if not self.rules:
            return []
        oracle = self.model.type_for(column.type)
        lines: list[str] = []
        if oracle.is_string and column.type.kind in (Kind.STRING, Kind.JSON, Kind.TIME):
            lines.append(f"{indent}if {var}.__class__ is str and not {var}: {var} = None")
            if oracle.name == "VARCHAR2":
                n, max_bytes = oracle.length, self.model.varchar_max_bytes
                lines += [
                    f"{indent}elif {var}.__class__ is str and len({var}) > {n}: "
                    f"raise V({index}, 'chars', {var})",
                    f"{indent}elif {var}.__class__ is str and len({var}) > "
                    f"{max_bytes // BYTES_PER_CHAR} and len({var}.encode()) > {max_bytes}: "
                    f"raise V({index}, 'bytes', {var})",
                ]
        elif oracle.name == "NUMBER" and column.type.kind in (Kind.INTEGER, Kind.NUMBER):
            lines += self._number_lines(index, oracle, var, indent)
        return lines

    def _number_lines(self, index: int, oracle: OracleType, var: str, indent: str) -> list[str]:
        integer_digits = self.model.integer_digits_allowed(oracle)
        if integer_digits is None:  # unbounded NUMBER: what the driver can encode
            return [
                f"{indent}if ({var}.__class__ is Decimal and unencodable({var})) or "
                f"({var}.__class__ is int and not (-B38 < {var} < B38) "
                f"and number_violation({var})): raise V({index}, 'encode', {var})"
            ]
        bound = f"B{index}"
        self.namespace[bound] = 10**integer_digits
        lines = [
            f"{indent}if {var}.__class__ is Decimal:",
            f"{indent}    if not {var}.is_finite(): raise V({index}, 'encode', {var})",
        ]
        if oracle.scale is not None:
            quantum = f"q{index}"
            self.namespace[quantum] = decimal.Decimal(1).scaleb(-oracle.scale)
            # NUMBER(p,s) rounds to s decimals, half away from zero, as Oracle does.
            lines.append(f"{indent}    {var} = {var}.quantize({quantum}, ROUND, CONTEXT)")
        lines.append(
            f"{indent}if ({var}.__class__ is int or {var}.__class__ is Decimal) "
            f"and not (-{bound} < {var} < {bound}): raise V({index}, 'precision', {var})"
        )
        return lines

    def _source_expression(self, column: Column) -> str:
        source = column.source
        if source in _METADATA_SOURCES:
            return _METADATA_SOURCES[source]
        if source is None:
            return "None"
        return f"r.get({source!r})"

    def build_function(self) -> t.Callable[[dict, dict, int, int], list]:
        """`build(record, message, seq, line) -> row` in the dialect's bind order."""
        lines = ["def build(r, m, seq, line):"]
        values = []
        for index, column in enumerate(self.columns):
            var = f"v{index}"
            lines.append(f"    {var} = {self._source_expression(column)}")
            convert = CONVERTERS[column.type.kind]
            if self.dialect.name == "oracle" and column.type.kind is Kind.BOOLEAN:
                convert = oracle_boolean(convert)
            self.namespace[f"c{index}"] = convert
            check = _fast_type_check(column.type.kind, self.dialect, var)
            lines.append(f"    if {var} is not None:")
            if check is None:
                lines.append(f"        {var} = c{index}({var})")
            else:
                lines.append(f"        if not ({check}): {var} = c{index}({var})")
            lines += self._rule_lines(index, column, var, "        ")
            if not column.nullable and self.rules:
                lines.append(f"    if {var} is None: raise V({index}, 'null', None)")
            values.append(var)
        lines += self._empty_key_lines()
        seq_at = [c.name for c in self.dialect.load_columns(self.spec)].index(LOAD_SEQ)
        values.insert(seq_at, "line")
        lines.append(f"    return [{', '.join(values)}]")
        exec("\n".join(lines), self.namespace)  # noqa: S102 - generated from repr()'d names
        return self.namespace["build"]

    def check_function(self) -> t.Callable[[dict], None] | None:
        """`check(record)` for the raw-record path: applies the rules in place (None if no rule
        applies). DuckDB converts the values itself; only values of the canonical JSON type are
        checked here, the rest DuckDB converts or refuses."""
        lines = ["def check(r):"]
        for index, column in enumerate(self.columns):
            source = column.source
            if source is None or source in _METADATA_SOURCES:
                continue
            var = f"v{index}"
            rule_lines = self._rule_lines(index, column, var, "        ")
            not_null = not column.nullable and self.rules
            if not rule_lines and not not_null:
                continue
            lines.append(f"    {var} = r.get({source!r})")
            if rule_lines:
                lines.append(f"    if {var} is not None:")
                lines += rule_lines
                lines.append(f"        r[{source!r}] = {var}")
            if not_null:
                lines.append(f"    if {var} is None: raise V({index}, 'null', None)")
        key_lines = self._empty_key_lines()
        if key_lines:
            lines += [f"    v{i} = r.get({self.columns[i].source!r})" for i in self._key_indexes()]
            lines += key_lines
        if len(lines) == 1:
            return None
        exec("\n".join(lines), self.namespace)  # noqa: S102 - generated from repr()'d names
        return self.namespace["check"]

    def _key_indexes(self) -> list[int]:
        names = set(self.spec.keys)
        return [i for i, c in enumerate(self.columns) if c.name in names]

    def _empty_key_lines(self) -> list[str]:
        """A record whose every key part is empty cannot be matched to any row: a reject on
        every database (a key part may be empty, the whole key may not)."""
        indexes = self._key_indexes()
        if not indexes:
            return []
        condition = " and ".join(f"v{i} is None" for i in indexes)
        return [f"    if {condition}: raise V({indexes[0]}, 'empty_key', None)"]

    # -- the reason, as Oracle words it -------------------------------------------------------
    def describe(self, violation: ValueViolation) -> Rejection:
        column = self.columns[violation.column]
        path = quote_path(self.spec.schema, self.spec.name, column.name)
        oracle = self.model.type_for(column.type)
        value = violation.value
        if violation.rule == "chars":
            code = "ORA-12899"
            message = (
                f"ORA-12899: value too large for column {path} "
                f"(actual: {len(value)}, maximum: {oracle.length})"
            )
        elif violation.rule == "bytes":
            code = "ORA-12899"
            message = (
                f"ORA-12899: value too large for column {path} (actual: "
                f"{len(value.encode())} bytes, maximum: {self.model.varchar_max_bytes} bytes)"
            )
        elif violation.rule == "null":
            code, message = "ORA-01400", f"ORA-01400: cannot insert NULL into ({path})"
        elif violation.rule == "empty_key":
            code = "EMPTY_KEY"
            keys = ", ".join(self.spec.keys)
            message = (
                f"every key column of {quote_path(self.spec.schema, self.spec.name)} ({keys}) "
                "is empty: the record cannot be matched to a row"
            )
        elif violation.rule == "precision":
            code = "ORA-01438"
            message = (
                f"ORA-01438: value larger than specified precision allowed for this column "
                f"{path} ({oracle.sql}): {value}"
            )
        else:
            reason = self.model.number_violation(value) or "invalid number"
            code = reason.split(":", 1)[0]
            message = f"{reason} (column {path})"
        return Rejection(column.name, code, message)


_WIDE_CONTEXT = decimal.Context(prec=200)  # quantize needs room beyond the default 28 digits


def _decimal_unencodable(value: decimal.Decimal) -> bool:
    """Quick test before the model's full reason: non-finite, out of range, over 40 digits."""
    return (
        not value.is_finite()
        or not (-130 <= value.adjusted() <= 125)
        or len(value.as_tuple().digits) > 40
    )


def find_conversion_error(spec: TableSpec, record: dict) -> tuple[str, str] | None:
    """The first (column, reason) whose value does not convert, for a rejected record."""
    for column in spec.bulk_columns:
        if column.source is None or column.source.startswith("_sdc_"):
            continue
        value = record.get(column.source)
        if value is None:
            continue
        try:
            CONVERTERS[column.type.kind](value)
        except ConversionError as exc:
            return column.name, f"column {column.name} (property {column.source!r}): {exc}"
    return None


def oracle_boolean(convert: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], int]:
    def to_number(value: t.Any) -> int:
        return 1 if convert(value) else 0

    return to_number
