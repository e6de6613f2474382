"""One dialect class per database, chosen from a registry.

A dialect owns everything that differs between databases: identifier case and limits, DDL
types, SQL text, execution (typed binds), the bulk path and the classification of errors. A new
database is one class plus its tests, registered here.
"""

from __future__ import annotations

from target_oracle_staging.dialects.base import (
    Dialect,
    ReflectedColumn,
    RowError,
    constant_param,
)
from target_oracle_staging.dialects.duckdb import NDJSON_ENCODER, RECORD_SEQ_KEY, DuckDBDialect
from target_oracle_staging.dialects.oracle import OracleDialect
from target_oracle_staging.dialects.postgres import PostgresDialect
from target_oracle_staging.oracle_model import OracleModel

REGISTRY: dict[str, type[Dialect]] = {
    "oracle": OracleDialect,
    "postgresql": PostgresDialect,
    "duckdb": DuckDBDialect,
}


def dialect_for(name: str, model: OracleModel | None = None, *, parity: bool = True) -> Dialect:
    try:
        cls = REGISTRY[name]
    except KeyError:
        supported = ", ".join(REGISTRY)
        msg = f"unsupported database dialect {name!r} (supported: {supported})"
        raise ValueError(msg) from None
    return cls(model or OracleModel(), parity=parity)


__all__ = [
    "NDJSON_ENCODER",
    "RECORD_SEQ_KEY",
    "REGISTRY",
    "Dialect",
    "DuckDBDialect",
    "OracleDialect",
    "PostgresDialect",
    "ReflectedColumn",
    "RowError",
    "constant_param",
    "dialect_for",
]
