"""DuckDB's own catalog answers column reflection exactly as SQLAlchemy's inspector does.

The inspector (duckdb_engine's PostgreSQL catalog views) costs ~85 ms a table; the dialect reads
duckdb_columns() instead. Every type the target can create, and the other common DuckDB types,
must come back identical (type, its text, nullability and the logical type judged from it);
any other type takes the inspector's path.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from target_oracle_staging.dialects.base import Dialect
from target_oracle_staging.dialects.duckdb import DuckDBDialect
from target_oracle_staging.oracle_model import OracleModel
from target_oracle_staging.types import ColumnType, Kind

OTHER_COMMON_TYPES = ["INTEGER", "SMALLINT", "FLOAT", "TIMESTAMP WITH TIME ZONE", "DECIMAL(4,1)"]
UNLISTED_TYPES = ["INTEGER[]", "UUID", "BLOB", "HUGEINT", "INTERVAL", "STRUCT(a INTEGER)"]


def _every_created_type() -> list[str]:
    """What DuckDBDialect.column_sql renders for every kind, size and parity setting."""
    types = set()
    for parity in (True, False):
        dialect = DuckDBDialect(OracleModel(), parity=parity)
        for kind, precision, scale, length in itertools.product(
            Kind, (None, 1, 9, 18, 38), (None, 0, 2, 10), (None, 40, 4000)
        ):
            if scale is not None and precision is not None and scale > precision:
                continue
            types.add(dialect.column_sql(ColumnType(kind, length, precision, scale)))
    return sorted(types)


def _reflections(path: Path, column_types: list[str]) -> tuple[list, list]:
    columns = ", ".join(
        f"c{n} {sql_type}{' NOT NULL' if n % 2 else ''}" for n, sql_type in enumerate(column_types)
    )
    engine = sa.create_engine(f"duckdb:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("CREATE SCHEMA s"))
            connection.execute(sa.text(f"CREATE TABLE s.t ({columns})"))
            inspector = sa.inspect(connection)
            dialect = DuckDBDialect(OracleModel())
            ours = dialect.column_types(connection, inspector, "T", "s")
            theirs = Dialect.column_types(dialect, connection, inspector, "T", "s")
    finally:
        engine.dispose()

    def described(rows: list) -> list:
        return [
            (
                name,
                type(sql_type),
                repr(sql_type),
                str(sql_type),
                nullable,
                dialect.storage_type(sql_type),
            )
            for name, sql_type, nullable in rows
        ]

    return described(ours), described(theirs)


def test_the_target_creates_the_types_listed() -> None:
    created = _every_created_type()
    assert {"VARCHAR", "DOUBLE", "BIGINT", "JSON", "DECIMAL(38,0)", "DECIMAL(9,2)"} <= set(created)


@pytest.mark.parametrize(
    "column_types",
    [_every_created_type(), OTHER_COMMON_TYPES],
    ids=["every-type-the-target-creates", "other-common-types"],
)
def test_duckdb_catalog_reflects_as_the_inspector_does(tmp_path: Path, column_types) -> None:
    ours, theirs = _reflections(tmp_path / "w.duckdb", column_types)
    assert len(ours) == len(column_types)
    assert ours == theirs


# The inspector itself warns that it cannot read lists and structs (it reports NullType).
@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")
@pytest.mark.parametrize("unlisted", UNLISTED_TYPES)
def test_a_table_with_an_unlisted_type_takes_the_inspectors_path(
    tmp_path: Path, unlisted: str
) -> None:
    ours, theirs = _reflections(tmp_path / "w.duckdb", ["VARCHAR", unlisted])
    assert ours == theirs
