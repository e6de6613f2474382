"""Rolling a run back on real DuckDB files and PostgreSQL; the statements checked as Oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from sqlalchemy.dialects import oracle
from target_oracle_staging.ops.alert_store import alerts_table
from target_oracle_staging.ops.rollback import (
    EXIT_REFUSED,
    count_rows,
    delete_rows,
    main,
    mark_run,
    mark_streams,
    render_sql,
)
from target_oracle_staging.ops.testing import ops_settings
from target_oracle_staging.reserved_words import RESERVED_WORDS
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPS = {"id": {"type": ["integer"]}, "name": {"type": ["string", "null"]}}


def _load(database: Database, ids: range, method: str, keys: list[str] | None = None) -> str:
    messages = [schema_message("orders", PROPS, keys or [])]
    messages += [record_message("orders", {"id": i, "name": f"n{i}"}) for i in ids]
    config = {**database.config, "load_method": method}
    return run_target(config, messages).run_id


def _config(database: Database, tmp_path: Path) -> str:
    path = tmp_path / "ops.json"
    path.write_text(json.dumps(ops_settings(database)))
    return str(path)


def _orders(database: Database) -> list[tuple]:
    table = database.table(f"{database.prefix}ORDERS")
    return database.rows(f"select id, etl_run_id from {table} order by id")


def _statuses(database: Database, run_id: str) -> tuple:
    control = database.rows(
        f"select status, error_text from {database.table('ETL_CONTROL')} where run_id = :r",
        r=run_id,
    )[0]
    streams = database.rows(
        f"select status from {database.table('ETL_STREAM_LOG')} where run_id = :r", r=run_id
    )
    return control, [s[0] for s in streams]


def test_append_only_rollback_leaves_exactly_the_other_runs(
    database: Database, tmp_path: Path, capsys
) -> None:
    first = _load(database, range(0, 3), "append-only")
    bad = _load(database, range(3, 7), "append-only")
    last = _load(database, range(7, 9), "append-only")
    config = _config(database, tmp_path)
    before = _orders(database)

    assert main([bad, "--config", config]) == 0  # dry run
    out = capsys.readouterr().out
    assert f"remove 4 rows from {database.prefix}ORDERS (append-only, stream orders)" in out
    assert "dry run: nothing changed" in out
    assert "DELETE FROM" in out.upper()
    assert _orders(database) == before
    assert _statuses(database, bad)[0][0] == "SUCCESS"

    assert main([bad, "--config", config, "--apply"]) == 0
    assert _orders(database) == [(i, first) for i in range(3)] + [(i, last) for i in (7, 8)]
    (status, note), streams = _statuses(database, bad)
    assert status == "ROLLED_BACK"
    assert streams == ["ROLLED_BACK"]
    assert f"removed 4 rows from {database.prefix}ORDERS" in note
    assert _statuses(database, first)[0][0] == "SUCCESS"  # the other runs keep their marks

    assert main([bad, "--config", config, "--apply"]) == 0  # again: nothing left to do
    assert "already ROLLED_BACK" in capsys.readouterr().out
    assert _orders(database) == [(i, first) for i in range(3)] + [(i, last) for i in (7, 8)]


def test_upsert_rollback_is_refused_naming_the_table(
    database: Database, tmp_path: Path, capsys
) -> None:
    _load(database, range(0, 3), "upsert", ["id"])
    run_id = _load(database, range(2, 5), "upsert", ["id"])
    before = _orders(database)

    assert main([run_id, "--config", _config(database, tmp_path), "--apply"]) == EXIT_REFUSED
    captured = capsys.readouterr()
    assert f"REFUSED: {database.prefix}ORDERS (upsert, stream orders)" in captured.out
    assert "previous values are gone" in captured.out
    assert "DW_* tables and SCD2 snapshots" in captured.out
    assert "nothing was changed" in captured.err
    assert _orders(database) == before
    assert _statuses(database, run_id)[0][0] == "SUCCESS"


def test_overwrite_cannot_be_restored_and_says_so(
    database: Database, tmp_path: Path, capsys
) -> None:
    older = _load(database, range(0, 3), "overwrite")
    newer = _load(database, range(10, 12), "overwrite")
    config = _config(database, tmp_path)

    assert main([newer, "--config", config, "--apply"]) == EXIT_REFUSED
    assert "previous snapshot is gone, so it cannot be restored" in capsys.readouterr().out
    assert _orders(database) == [(10, newer), (11, newer)]

    assert main([older, "--config", config, "--apply"]) == 0  # superseded: nothing left of it
    assert "a later load replaced them" in capsys.readouterr().out
    assert _orders(database) == [(10, newer), (11, newer)]

    assert main([newer, "--config", config, "--apply", "--delete-overwritten"]) == 0
    assert _orders(database) == []
    assert _statuses(database, newer)[0][0] == "ROLLED_BACK"


def test_unknown_run_is_one_line_naming_the_database(tmp_path: Path, capsys) -> None:
    path = tmp_path / "w.duckdb"
    database = Database("duckdb", {"database_path": str(path)}, f"duckdb:///{path}")
    _load(database, range(1), "append-only")
    assert main(["no-such-run", "--config", _config(database, tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"target-oracle-staging-rollback: error: run no-such-run is not in ETL_CONTROL of {path}"
    )
    database.dispose()


def test_a_missing_database_file_is_one_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.duckdb"
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"database_path": str(missing)}))
    assert main(["r1", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"target-oracle-staging-rollback: error: the DuckDB file given by database_path "
        f"({missing}) does not exist"
    ]
    assert not missing.exists()


def test_an_unreachable_database_names_the_setting_and_hides_the_password(
    tmp_path: Path, capsys
) -> None:
    config = tmp_path / "c.json"
    url = "postgresql+psycopg://nobody:pw-s3cret@127.0.0.1:1/x"
    config.write_text(json.dumps({"sqlalchemy_url": url}))
    assert main(["r1", "--config", str(config)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        "target-oracle-staging-rollback: error: cannot connect to the database given by "
        "sqlalchemy_url (postgresql+psycopg://nobody:***@127.0.0.1:1/x): "
    )
    assert "pw-s3cret" not in line


# -- Oracle: the statements as Oracle gets them ------------------------------------------------
def _oracle_tables() -> dict[str, sa.Table]:
    md = sa.MetaData(schema="staging")
    names = ("run_id", "status", "error_text")
    return {
        "control": sa.Table("etl_control", md, *[sa.Column(n, sa.String(36)) for n in names]),
        "log": sa.Table("etl_stream_log", md, *[sa.Column(n, sa.String(36)) for n in names]),
        "stg": sa.Table("stg_tr2000_orders", md, sa.Column("etl_run_id", sa.String(36))),
    }


@pytest.mark.parametrize("build", ["count", "delete", "streams", "run"])
def test_rollback_statements_are_valid_oracle(build: str) -> None:
    t = _oracle_tables()
    statement = {
        "count": lambda: count_rows(t["stg"], "r-1"),
        "delete": lambda: delete_rows(t["stg"], "r-1"),
        "streams": lambda: mark_streams(t["log"], "r-1"),
        "run": lambda: mark_run(t["control"], "r-1", "ROLLED_BACK at ..."),
    }[build]()
    sql = render_sql(statement, oracle.dialect())
    parsed = sqlglot.parse_one(sql, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    assert parsed is not None
    assert '"' not in sql  # unquoted identifiers: upper-case names on Oracle
    assert "staging.stg_tr2000_orders" in sql or "staging.etl_" in sql


def test_etl_alerts_ddl_is_valid_oracle() -> None:
    table = alerts_table(sa.MetaData(schema="staging"))
    ddl = str(sa.schema.CreateTable(table).compile(dialect=oracle.dialect())).strip()
    sqlglot.parse_one(ddl, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    assert "VARCHAR2(1000 CHAR)" in ddl
    assert "TIMESTAMP" in ddl
    assert '"' not in ddl
    for column in table.columns:
        assert column.name.upper() not in RESERVED_WORDS, column.name
        assert len(column.name) <= 30  # fits even pre-12.2 identifier limits
