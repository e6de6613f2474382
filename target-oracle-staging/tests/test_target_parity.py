"""Oracle parity: the same Singer input gives the same rows, rejects and ledger counts on
DuckDB and PostgreSQL, and they are what the Oracle model says Oracle would do."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

LONG_NAME = "p" * 200  # a 200-character property: cut by one rule that fits every database
PROPS = {
    "id": {"type": "integer"},
    "code": {"type": ["string", "null"], "maxLength": 5},
    "qty": {"type": ["integer", "null"]},
    "price": {"type": ["number", "null"], "multipleOf": 0.01, "maximum": 9999999.99},
    "ratio": {"type": ["number", "null"]},
    LONG_NAME: {"type": ["string", "null"]},
    f"{LONG_NAME}_2": {"type": ["string", "null"]},
}
RECORDS = [
    {"id": 1, "code": "ABCDE", "qty": 1, "price": Decimal("0.1") + Decimal("0.2"), LONG_NAME: "a"},
    {"id": 2, "code": "", "qty": 2, "price": Decimal("1.005"), f"{LONG_NAME}_2": "b"},  # '' → NULL
    {"id": 3, "code": "ABCDEF"},  # 6 characters into VARCHAR2(5 CHAR): ORA-12899
    {"id": 4, "qty": 10**39},  # 40 digits: beyond NUMBER(38), ORA-01438
    {"id": 5, "price": Decimal("12345678.9")},  # 8 integer digits into NUMBER(9,2): ORA-01438
    {"id": 6, "ratio": 0.1 + 0.2, "code": "ÆØÅæø"},  # 5 characters, 10 bytes: fits
    {"id": 7, "ratio": Decimal("1E+130")},  # beyond NUMBER's range: ORA-01426
]


def _outcome(database: Database, run_id: str) -> tuple:
    table = database.table(f"{database.prefix}PRICES")
    rows = [
        # An unbounded NUMBER is DOUBLE on DuckDB (no unbounded exact decimal: README).
        (int(r[0]), r[1], None if r[2] is None else int(r[2]), r[3], r[4] and float(r[4]))
        for r in database.rows(f"select id, code, qty, price, ratio from {table} order by id")
    ]
    rejects = database.rows(
        f"select record_key, error_code from {database.table('ETL_REJECTS')} "
        "where run_id = :r order by record_key",
        r=run_id,
    )
    control = database.rows(
        "select records_received, records_loaded, records_rejected from "
        f"{database.table('ETL_CONTROL')} where run_id = :r",
        r=run_id,
    )
    columns = sorted(c.upper() for c in database.columns(f"{database.prefix}PRICES"))
    return rows, rejects, control, columns


def test_duckdb_and_postgresql_store_and_refuse_what_oracle_would(tmp_path, pg_url) -> None:
    path = tmp_path / "parity.duckdb"
    databases = [
        Database("duckdb", {"database_path": str(path), "max_rejects": 10}, f"duckdb:///{path}"),
        Database(
            "postgresql",
            {
                "sqlalchemy_url": pg_url.url,
                "default_target_schema": pg_url.schema,
                "max_rejects": 10,
            },
            pg_url.url,
        ),
    ]
    messages = [schema_message("prices", PROPS, ["id"])]
    messages += [record_message("prices", r) for r in RECORDS]
    outcomes = []
    for database in databases:
        config = {**database.config, "table_prefix": database.prefix}
        run = run_target(config, messages)
        outcomes.append(_outcome(database, run.run_id))
        database.dispose()
    duckdb, postgres = outcomes
    assert duckdb == postgres

    rows, rejects, control, columns = duckdb
    assert rows == [
        (1, "ABCDE", 1, Decimal("0.30"), None),
        (2, None, 2, Decimal("1.01"), None),  # NUMBER(9,2) rounds half away from zero
        (6, "ÆØÅæø", None, None, 0.30000000000000004),
    ]
    assert rejects == [
        ("id=3", "ORA-12899"),
        ("id=4", "ORA-01438"),
        ("id=5", "ORA-01438"),
        ("id=7", "ORA-01426"),
    ]
    assert control == [(7, 3, 4)]
    long_columns = [c for c in columns if c.startswith("PPPP")]
    assert len(long_columns) == 2  # distinct after cutting, on both databases
    assert all(len(c) <= 63 for c in long_columns)


def test_parity_off_keeps_each_databases_own_behaviour(tmp_path) -> None:
    path = tmp_path / "plain.duckdb"
    config = {"database_path": str(path), "oracle_parity": False, "max_rejects": 10}
    messages = [schema_message("prices", PROPS, ["id"]), record_message("prices", RECORDS[1])]
    run_target(config, messages)
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select code from stg_prices")).scalar() == ""
    engine.dispose()
