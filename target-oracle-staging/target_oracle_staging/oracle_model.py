"""Oracle's limits and semantics, modelled once.

The target (DDL, value checks, bind plan), the DDL review, the offline statement gate
(`oracle_gate`) and the dbt model generator all ask this module, so one rule has one home.

What is modelled (Oracle Database 12.2 and later unless a setting says otherwise):

- character set AL32UTF8: up to 4 bytes per character, so `VARCHAR2(n CHAR)` may need 4·n bytes;
- `MAX_STRING_SIZE`: STANDARD (VARCHAR2 up to 4,000 bytes) or EXTENDED (32,767 bytes);
- index key width: the sum over the key columns of their maximum byte length (DATA_LENGTH) plus
  one length byte each must stay within the limit for the block size (6,398 bytes on 8 KB blocks,
  ORA-01450);
- LOBs (CLOB) cannot be part of a key, an index, PARTITION BY, ORDER BY, GROUP BY, DISTINCT, or
  be compared with `=`/`<>` (ORA-02329, ORA-02327, ORA-00932);
- identifiers at most 128 bytes (30 before 12.2, ORA-00972); 1,000 columns per table (ORA-01792);
- NUMBER: 38 digits of precision, magnitude below 1E126 (ORA-01426, ORA-01438); NUMBER(p,s)
  rounds to s decimals (half away from zero) and refuses more than p-s integer digits;
- `''` is NULL (so an empty string in a NOT NULL column is ORA-01400);
- DDL commits the open transaction implicitly (and so empties ON COMMIT DELETE ROWS tables).

No live Oracle server has checked these rules: they come from Oracle's documentation and error
messages, and python-oracledb's thin-mode encoder.
"""

from __future__ import annotations

import decimal
import typing as t
from dataclasses import dataclass

from target_oracle_staging.reserved_words import (
    ORACLE_PLSQL_RESERVED,
    ORACLE_SQL_RESERVED,
)
from target_oracle_staging.settings import default, setting
from target_oracle_staging.types import ColumnType, Kind, column_type

BYTES_PER_CHAR = 4  # AL32UTF8
MAX_COLUMNS = 1000
NUMBER_MAX_PRECISION = 38
NUMBER_MAX_DIGITS = 40  # the most significant digits python-oracledb encodes
NUMBER_MAX_EXPONENT = 125  # |value| < 1E126
NUMBER_MIN_EXPONENT = -130
NUMBER_DATA_LENGTH = 22  # DATA_LENGTH of every NUMBER column
DATE_DATA_LENGTH = 7
TIMESTAMP_DATA_LENGTH = 11
ORACLE_RESERVED = ORACLE_SQL_RESERVED | ORACLE_PLSQL_RESERVED

# ORA-01450 limits by block size (the "maximum key length (n) exceeded" figure).
MAX_KEY_BYTES_BY_BLOCK_SIZE = {2048: 1478, 4096: 3118, 8192: 6398, 16384: 12958, 32768: 26078}
VARCHAR2_MAX_BYTES = {"STANDARD": 4000, "EXTENDED": 32767}
# A string key column without maxLength gets its share of the key budget, at most this long.
DEFAULT_KEY_STRING_CHARS = 1000
# Identifier limits of the other databases the target loads; with parity on, names are cut to
# fit all of them, so dev, ci and prod get the same names.
POSTGRES_IDENTIFIER_MAX_BYTES = 63


@dataclass(frozen=True)
class OracleSettings:
    """What differs between Oracle databases; defaults are the safe, common values."""

    block_size: int = default("oracle_block_size")
    max_string_size: str = default("oracle_max_string_size")
    identifier_max_bytes: int = default("oracle_identifier_max_bytes")  # 30 before Oracle 12.2
    max_key_bytes: int | None = None  # overrides the block size's figure

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> OracleSettings:
        settings = cls(
            # `or`: 0 and "" mean the default, as they always have.
            block_size=int(setting(config, "oracle_block_size") or cls.block_size),
            max_string_size=str(
                setting(config, "oracle_max_string_size") or cls.max_string_size
            ).upper(),
            identifier_max_bytes=int(
                setting(config, "oracle_identifier_max_bytes") or cls.identifier_max_bytes
            ),
            max_key_bytes=(
                int(config["oracle_max_key_bytes"]) if config.get("oracle_max_key_bytes") else None
            ),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.max_key_bytes is None and self.block_size not in MAX_KEY_BYTES_BY_BLOCK_SIZE:
            sizes = ", ".join(str(s) for s in MAX_KEY_BYTES_BY_BLOCK_SIZE)
            msg = f"oracle_block_size {self.block_size} is not one of {sizes}"
            raise ValueError(msg)
        if self.max_string_size not in VARCHAR2_MAX_BYTES:
            msg = f"oracle_max_string_size {self.max_string_size!r} is not STANDARD or EXTENDED"
            raise ValueError(msg)
        if self.identifier_max_bytes not in (30, 128):
            msg = "oracle_identifier_max_bytes must be 128 (12.2 and later) or 30"
            raise ValueError(msg)


@dataclass(frozen=True)
class OracleType:
    """One Oracle column type: VARCHAR2(n CHAR), NUMBER[(p[,s])], DATE, TIMESTAMP(6), CLOB."""

    name: str
    length: int | None = None  # characters, for VARCHAR2
    precision: int | None = None
    scale: int | None = None

    @property
    def sql(self) -> str:
        if self.name == "VARCHAR2":
            return f"VARCHAR2({self.length} CHAR)"
        if self.name == "NUMBER" and self.precision is not None:
            return (
                f"NUMBER({self.precision})"
                if not self.scale
                else f"NUMBER({self.precision},{self.scale})"
            )
        if self.name == "TIMESTAMP":
            return "TIMESTAMP(6)"
        return self.name

    @property
    def is_lob(self) -> bool:
        return self.name in {"CLOB", "BLOB", "NCLOB"}

    @property
    def is_string(self) -> bool:
        return self.name in {"VARCHAR2", "CLOB"}


@dataclass(frozen=True)
class KeyWidth:
    """The byte width of a key against the limit, column by column."""

    columns: tuple[tuple[str, int], ...]  # (column, DATA_LENGTH)
    limit: int

    @property
    def total(self) -> int:
        return sum(width + 1 for _, width in self.columns)

    @property
    def fits(self) -> bool:
        return self.total <= self.limit

    def describe(self) -> str:
        parts = " + ".join(f"{name} {width}+1" for name, width in self.columns)
        return f"{parts} = {self.total} bytes (limit {self.limit})"


class KeyTooWideError(ValueError):
    """A key whose declared lengths cannot fit Oracle's index key limit."""


class OracleModel:
    """Oracle's rules for one database's settings."""

    def __init__(self, settings: OracleSettings | None = None) -> None:
        self.settings = settings or OracleSettings()

    # -- limits ---------------------------------------------------------------------------
    @property
    def max_key_bytes(self) -> int:
        if self.settings.max_key_bytes is not None:
            return self.settings.max_key_bytes
        return MAX_KEY_BYTES_BY_BLOCK_SIZE[self.settings.block_size]

    @property
    def varchar_max_bytes(self) -> int:
        return VARCHAR2_MAX_BYTES[self.settings.max_string_size]

    @property
    def varchar_max_chars(self) -> int:
        """The largest n of VARCHAR2(n CHAR) (the byte limit still applies to the value)."""
        return self.varchar_max_bytes

    @property
    def identifier_max_bytes(self) -> int:
        return self.settings.identifier_max_bytes

    def portable_identifier_max_bytes(self) -> int:
        """Names that fit Oracle and every other database the target loads (parity)."""
        return min(self.identifier_max_bytes, POSTGRES_IDENTIFIER_MAX_BYTES)

    # -- types ----------------------------------------------------------------------------
    def type_for(self, column: ColumnType) -> OracleType:  # noqa: PLR0911 - one per kind
        kind = column.kind
        if kind is Kind.STRING:
            length = column.length or self.varchar_max_chars
            if length > self.varchar_max_chars:
                return OracleType("CLOB")
            return OracleType("VARCHAR2", length=length)
        if kind is Kind.JSON:
            return OracleType("CLOB")
        if kind is Kind.TIME:
            return OracleType("VARCHAR2", length=32)
        if kind is Kind.INTEGER:
            return OracleType("NUMBER", precision=column.precision or NUMBER_MAX_PRECISION)
        if kind is Kind.NUMBER:
            if column.scale is None:
                return OracleType("NUMBER")
            precision = min(column.precision or NUMBER_MAX_PRECISION, NUMBER_MAX_PRECISION)
            return OracleType("NUMBER", precision=precision, scale=column.scale)
        if kind is Kind.DATETIME:
            return OracleType("TIMESTAMP")
        if kind is Kind.DATE:
            return OracleType("DATE")
        return OracleType("NUMBER", precision=1)  # BOOLEAN: 1 / 0

    def type_for_schema(self, json_schema: dict) -> OracleType:
        """The Oracle type of a JSON Schema property (what the dbt generator asks)."""
        return self.type_for(column_type(json_schema))

    def data_length(self, oracle_type: OracleType) -> int | None:
        """Oracle's DATA_LENGTH: the most bytes a value takes (None for LOBs)."""
        if oracle_type.name == "VARCHAR2":
            return min((oracle_type.length or 1) * BYTES_PER_CHAR, self.varchar_max_bytes)
        if oracle_type.name == "NUMBER":
            return NUMBER_DATA_LENGTH
        if oracle_type.name == "DATE":
            return DATE_DATA_LENGTH
        if oracle_type.name == "TIMESTAMP":
            return TIMESTAMP_DATA_LENGTH
        return None

    def bind_is_long(self, oracle_type: OracleType) -> bool:
        """Bound as LONG (or over 4,000 bytes): such binds must come last (ORA-24816)."""
        if oracle_type.is_lob:
            return True
        width = self.data_length(oracle_type)
        return width is not None and width > VARCHAR2_MAX_BYTES["STANDARD"]

    # -- keys -----------------------------------------------------------------------------
    def key_width(self, columns: t.Sequence[tuple[str, OracleType]]) -> KeyWidth:
        widths = []
        for name, oracle_type in columns:
            width = self.data_length(oracle_type)
            widths.append((name, width if width is not None else 0))
        return KeyWidth(tuple(widths), self.max_key_bytes)

    def key_string_lengths(
        self, stream: str, key_columns: t.Sequence[tuple[str, ColumnType]]
    ) -> dict[str, int]:
        """Lengths for string key columns so the whole key fits the index key limit.

        Columns with a schema `maxLength` keep it; the others share what is left of the budget
        equally (at most DEFAULT_KEY_STRING_CHARS characters each). A key that cannot fit is an
        error naming the stream, its columns and the computed width.
        """
        fixed: list[tuple[str, OracleType]] = []
        open_strings: list[str] = []
        for name, col in key_columns:
            if col.kind is Kind.STRING and col.length is None:
                open_strings.append(name)
            elif col.kind is Kind.JSON or self.type_for(col).is_lob:
                msg = (
                    f"stream {stream!r}: key column {name} would be a CLOB on Oracle "
                    f"(ORA-02329: a LOB cannot be part of a key); give it a maxLength of at most "
                    f"{self.varchar_max_chars} or choose other key properties"
                )
                raise KeyTooWideError(msg)
            else:
                fixed.append((name, self.type_for(col)))
        budget = self.max_key_bytes - self.key_width(fixed).total - len(open_strings)
        lengths: dict[str, int] = {}
        if open_strings:
            share = budget // (len(open_strings) * BYTES_PER_CHAR)
            share = min(share, DEFAULT_KEY_STRING_CHARS)
            share = max(share, 1)  # reported below as too wide
            lengths = dict.fromkeys(open_strings, share)
        width = self.key_width(
            [*fixed, *((n, OracleType("VARCHAR2", length=lengths[n])) for n in open_strings)]
        )
        if not width.fits:
            msg = (
                f"stream {stream!r}: its key ({', '.join(n for n, _ in key_columns)}) is "
                f"{width.total} bytes wide on Oracle under AL32UTF8, over the "
                f"{self.max_key_bytes}-byte index key limit (ORA-01450): {width.describe()}; "
                "give the key's string properties smaller maxLength values"
            )
            raise KeyTooWideError(msg)
        return lengths

    # -- names ----------------------------------------------------------------------------
    def is_reserved(self, identifier: str) -> bool:
        return identifier.upper() in ORACLE_RESERVED

    # -- values ---------------------------------------------------------------------------
    @staticmethod
    def number_violation(value: decimal.Decimal | int | float) -> str | None:
        """Why python-oracledb cannot encode `value` as an Oracle NUMBER (None when it can)."""
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        if not number.is_finite():
            return f"DPY-4003: {value} cannot be represented as an Oracle number"
        if number.is_zero():
            return None
        digits = number.normalize().as_tuple()
        exponent = len(digits.digits) + int(digits.exponent) - 1
        if exponent > NUMBER_MAX_EXPONENT:
            return "ORA-01426: numeric overflow"
        if len(digits.digits) > NUMBER_MAX_DIGITS:
            return (
                f"DPY-4003: {len(digits.digits)} significant digits cannot be represented as an "
                f"Oracle number (at most {NUMBER_MAX_DIGITS})"
            )
        if exponent < NUMBER_MIN_EXPONENT:
            return "DPY-4003: value too small to be represented as an Oracle number"
        return None

    @staticmethod
    def integer_digits_allowed(oracle_type: OracleType) -> int | None:
        if oracle_type.name != "NUMBER" or oracle_type.precision is None:
            return None
        return oracle_type.precision - (oracle_type.scale or 0)


ORACLE_MODEL = OracleModel()  # default settings, for callers without a config


def quote_path(schema: str | None, table: str, column: str | None = None) -> str:
    """`"SCHEMA"."TABLE"."COLUMN"` as Oracle names a column in its messages."""
    parts = [p.upper() for p in (schema, table, column) if p]
    return ".".join(f'"{p}"' for p in parts)
