"""Everything the ops commands send to Oracle, through the target's offline Oracle gate."""

from __future__ import annotations

import datetime as dt

import oracledb
import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from target_oracle_staging.connector import Commit, Statement
from target_oracle_staging.dialects import dialect_for
from target_oracle_staging.ledger import ledger_specs
from target_oracle_staging.ops.alert_store import alerts_table
from target_oracle_staging.ops.rollback import count_rows, delete_rows, mark_run, mark_streams
from target_oracle_staging.oracle_gate import OracleGate

SCHEMA = "staging"


DIALECT = oracle.dialect(dbapi=oracledb)


def _oracle(statement: sa.Executable) -> Statement:
    """The statement as python-oracledb gets it from SQLAlchemy: Oracle SQL, named binds, and
    the input sizes SQLAlchemy sets for the bind types it knows (TIMESTAMP among them)."""
    compiled = statement.compile(dialect=DIALECT)
    bind_types = {}
    for name, bind in compiled.binds.items():
        dbapi_type = bind.type.dialect_impl(DIALECT).get_dbapi_type(oracledb)
        if dbapi_type in DIALECT.include_set_input_sizes:
            bind_types[name] = dbapi_type
    return Statement(str(compiled).strip(), dict(compiled.params), bind_types)


def _ledger_ddl() -> list:
    dialect = dialect_for("oracle")
    out: list = []
    for spec in ledger_specs(SCHEMA):
        out += [Statement(dialect.create_table_sql(spec)), Commit()]
    return out


def _tables() -> dict[str, sa.Table]:
    md = sa.MetaData(schema=SCHEMA)

    def table(name: str, *columns: str) -> sa.Table:
        return sa.Table(name, md, *[sa.Column(c, sa.String(4000)) for c in columns])

    return {
        "control": table("etl_control", "run_id", "status", "error_text"),
        "log": table("etl_stream_log", "run_id", "status"),
        "staging": table("stg_tr2000_orders", "etl_run_id"),
    }


def test_alerts_and_rollback_pass_the_oracle_gate() -> None:
    t = _tables()
    alerts = alerts_table(sa.MetaData(schema=SCHEMA))
    row = {
        "alert_id": "a" * 32, "condition_key": "rows_rejected|r-1|orders",
        "rule_name": "rows_rejected",
        "rule_kind": "rejects", "severity": "warning", "run_id": "r-1", "source_name": "TR2000",
        "stream_name": "orders", "table_name": "STG_TR2000_ORDERS", "metric": "records_rejected",
        "metric_value": 3, "threshold_value": 0, "message": "stream orders rejected 3 rows",
        "raised_at": dt.datetime(2026, 1, 1, 12), "delivery_attempts": 0,
    }  # fmt: skip
    transcript = [
        *_ledger_ddl(),
        Statement(str(sa.schema.CreateTable(alerts).compile(dialect=DIALECT)).strip()),
        Commit(),
        _oracle(sa.insert(alerts).values(**row)),
        Commit(),
        Statement(
            "CREATE TABLE staging.stg_tr2000_orders (id NUMBER(38), etl_run_id VARCHAR2(36 CHAR))"
        ),
        Commit(),
        _oracle(count_rows(t["staging"], "r-1")),
        _oracle(delete_rows(t["staging"], "r-1")),
        _oracle(mark_streams(t["log"], "r-1")),
        _oracle(mark_run(t["control"], "r-1", "ROLLED_BACK at 2026-01-01 12:00:00 UTC: ...")),
        Commit(),
    ]
    assert OracleGate().run(transcript) == []


def test_the_gate_sees_a_bad_ops_statement() -> None:
    """The twin that must fail: the gate is not blind to what these statements look like."""
    t = _tables()
    bad = _oracle(sa.select(t["control"].c.run_id).limit(1))
    bad = Statement(bad.sql.replace("FETCH FIRST", "LIMIT 1 --"), bad.params)
    codes = [v.code for v in OracleGate().run([*_ledger_ddl(), bad])]
    assert "ORA-00933" in codes
