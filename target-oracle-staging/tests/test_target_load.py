"""Loading streams: names, upsert, idempotence and the ledger on every database."""

from __future__ import annotations

import duckdb
import pytest
from target_oracle_staging.testing import (
    Database,
    record_message,
    run_target,
    schema_message,
    state_message,
)

OPERATOR_PROPERTIES = {
    "OperatorID": {"type": "integer"},
    "OperatorName": {"type": ["null", "string"]},
    "CommonLibPlantCode": {"type": ["null", "string"]},
    "PCSRevDate": {"type": ["null", "string"], "format": "date-time"},
}


def operator_messages(names: dict[int, str]) -> list[dict]:
    return [
        schema_message("operators", OPERATOR_PROPERTIES, ["OperatorID"]),
        *[
            record_message("operators", {"OperatorID": key, "OperatorName": name})
            for key, name in names.items()
        ],
        state_message({"bookmarks": {"operators": len(names)}}),
    ]


def test_default_duckdb_file_and_contract_names(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MELTANO_EXTRACTOR_NAME", "tap-tr2000")
    run = run_target({}, operator_messages({1: "Equinor", 2: "Shell"}))

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        tables = {
            r[0] for r in conn.sql("select table_name from information_schema.tables").fetchall()
        }
        columns = [
            r[0]
            for r in conn.sql(
                "select column_name from information_schema.columns "
                "where table_name = 'stg_tr2000_operators' order by ordinal_position"
            ).fetchall()
        ]
        rows = conn.sql("select operator_id, operator_name from stg_tr2000_operators order by 1")
        loaded = rows.fetchall()
    assert {"stg_tr2000_operators", "etl_control", "etl_stream_log", "etl_rejects"} <= tables
    assert columns[:4] == ["operator_id", "operator_name", "common_lib_plant_code", "pcs_rev_date"]
    assert {"sdc_extracted_at", "sdc_batched_at", "sdc_deleted_at", "sdc_table_version"} <= set(
        columns
    )
    assert "etl_run_id" in columns
    assert loaded == [(1, "Equinor"), (2, "Shell")]
    assert run.states == [{"bookmarks": {"operators": 2}}]


@pytest.mark.parametrize("extractor", ["tap-molo-s3", "tap-stellar-s3"])
def test_table_prefix_from_extractor_name(tmp_path, monkeypatch, extractor) -> None:
    monkeypatch.setenv("MELTANO_EXTRACTOR_NAME", extractor)
    path = tmp_path / "w.duckdb"
    run_target(
        {"database_path": str(path)},
        [
            schema_message(
                "marina_locations", {"MarinaLocationId": {"type": "integer"}}, ["MarinaLocationId"]
            ),
            record_message("marina_locations", {"MarinaLocationId": 7}),
        ],
    )
    source = extractor.removeprefix("tap-").removesuffix("-s3")
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.sql(
            f"select marina_location_id from stg_{source}_marina_locations"
        ).fetchall() == [(7,)]


def test_upsert_is_idempotent_and_updates(database: Database) -> None:
    table = database.table(f"{database.prefix}OPERATORS")
    run_target(database.config, operator_messages({1: "Equinor", 2: "Shell", 3: "BP"}))
    second = run_target(database.config, operator_messages({1: "Equinor", 2: "Shell", 3: "BP"}))
    third = run_target(database.config, operator_messages({2: "Shell plc", 4: "Total"}))

    rows = database.rows(f"select operator_id, operator_name, etl_run_id from {table} order by 1")
    assert [r[:2] for r in rows] == [(1, "Equinor"), (2, "Shell plc"), (3, "BP"), (4, "Total")]
    # ETL_RUN_ID names the run that last wrote each row
    assert [r[2] for r in rows] == [second.run_id, third.run_id, second.run_id, third.run_id]

    control = database.table("ETL_CONTROL")
    stream_log = database.table("ETL_STREAM_LOG")
    status = database.rows(
        f"select status, records_received, records_loaded, records_rejected from {control} "
        "where run_id = :run_id",
        run_id=third.run_id,
    )
    assert status == [("SUCCESS", 2, 2, 0)]
    counts = database.rows(
        f"select table_name, records_received, records_inserted, records_updated, status "
        f"from {stream_log} where run_id = :run_id",
        run_id=third.run_id,
    )
    assert counts == [(f"{database.prefix}OPERATORS", 2, 1, 1, "SUCCESS")]


def test_columns_are_unquoted_upper_snake(database: Database) -> None:
    run_target(database.config, operator_messages({1: "Equinor"}))
    columns = database.columns(f"{database.prefix}OPERATORS")
    # Every database reports folded unquoted names: lower case through SQLAlchemy.
    assert columns[:4] == ["operator_id", "operator_name", "common_lib_plant_code", "pcs_rev_date"]
