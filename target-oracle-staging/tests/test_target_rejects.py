"""Rows that do not fit are rejected with where and why; the rest loads; counts reconcile."""

from __future__ import annotations

import json
import logging

from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPS = {
    "id": {"type": ["null", "integer"]},
    "qty": {"type": ["null", "integer"]},
    "name": {"type": ["null", "string"]},
}


def _stream(records: list[dict]) -> list[dict]:
    return [
        schema_message("orders", PROPS, ["id"]),
        *[record_message("orders", r) for r in records],
    ]


def _ledger(database: Database, run_id: str) -> tuple:
    control = database.rows(
        f"select status, records_received, records_loaded, records_rejected "
        f"from {database.table('ETL_CONTROL')} where run_id = :r",
        r=run_id,
    )[0]
    stream = database.rows(
        f"select status, records_received, records_inserted, records_updated, records_rejected "
        f"from {database.table('ETL_STREAM_LOG')} where run_id = :r",
        r=run_id,
    )[0]
    rejects = database.rows(
        f"select stream_name, table_name, record_key, error_code, error_message, record_json, "
        f"source_location from {database.table('ETL_REJECTS')} where run_id = :r "
        "order by source_location",
        r=run_id,
    )
    return control, stream, rejects


def test_bad_rows_are_rejected_and_the_rest_loads(database: Database) -> None:
    records = [
        {"id": 1, "qty": 5, "name": "ok"},
        {"id": 2, "qty": "five", "name": "not an integer"},  # refused by the converter
        {"id": 3, "qty": 10**40, "name": "out of range"},  # NUMBER(38) holds 38 digits
        {"id": None, "qty": 1, "name": "null key"},  # refused by the database (NOT NULL)
        {"id": 5, "qty": 7, "name": "ok too"},
    ]
    config = {**database.config, "max_rejects": 3, "batch_size_rows": 100}
    run = run_target(config, _stream(records))

    table = database.table(f"{database.prefix}ORDERS")
    assert database.rows(f"select id, qty from {table} order by id") == [(1, 5), (5, 7)]
    control, stream, rejects = _ledger(database, run.run_id)
    assert control == ("SUCCESS", 5, 2, 3)
    assert stream == ("SUCCESS", 5, 2, 0, 3)
    assert [(r[2], r[6]) for r in rejects] == [
        ("id=2", "stream orders, input line 3"),
        ("id=3", "stream orders, input line 4"),
        ("id=None", "stream orders, input line 5"),
    ]
    if database.kind == "duckdb":  # DuckDB converts the values itself and says why it can't
        assert rejects[0][3].endswith("Exception")
        assert "five" in rejects[0][4]
    else:
        assert rejects[0][3] == "INVALID_VALUE"
        assert "QTY" in rejects[0][4]
        assert "'five' is not an integer" in rejects[0][4]
    assert json.loads(rejects[0][5]) == {"id": 2, "qty": "five", "name": "not an integer"}
    assert json.loads(rejects[1][5])["name"] == "out of range"
    assert all(r[0] == "orders" and r[1] == f"{database.prefix}ORDERS" for r in rejects)
    assert all(r[4] for r in rejects[1:])  # the database's own message


def test_more_rejects_than_allowed_fails_the_run(database: Database) -> None:
    records = [{"id": n, "qty": "bad" if n % 2 else n, "name": "x"} for n in range(1, 7)]
    config = {**database.config, "max_rejects": 2}
    run = run_target(config, _stream(records), expect_error=True)
    assert "3 rows rejected, more than max_rejects=2" in str(run.error)
    control, stream, rejects = _ledger(database, run.run_id)
    assert control[0] == "FAILED"
    assert control[1:] == (6, 3, 3)
    assert stream[0] == "FAILED"
    assert len(rejects) == 3
    # the good rows of the batch were still loaded before the run failed
    table = database.table(f"{database.prefix}ORDERS")
    assert database.rows(f"select id from {table} order by id") == [(2,), (4,), (6,)]
    assert run.states == []


def test_the_batch_log_line_counts_refused_rows_as_rejected_not_loaded(database, caplog) -> None:
    records = [
        {"id": 1, "qty": 5, "name": "ok"},
        {"id": 2, "qty": "five", "name": "refused by the converter"},
        {"id": None, "qty": 1, "name": "refused by the database (NOT NULL key)"},
    ]
    config = {**database.config, "max_rejects": 3, "batch_size_rows": 100}
    with caplog.at_level(logging.DEBUG):
        run_target(config, _stream(records))
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Loaded ")]
    assert line.startswith("Loaded 1 rows into ")
    assert "(2 rejected)" in line
