"""Tables as wide as Oracle allows, schema changes mid-stream, rows from before versioning,
and settings the target does not know."""

from __future__ import annotations

import logging

import pytest
from target_oracle_staging.ddl_review import dry_run_transcript
from target_oracle_staging.oracle_gate import OracleGate
from target_oracle_staging.tables import TableDesignError
from target_oracle_staging.testing import Database, record_message, run_target, schema_message


def _wide(properties: int, rows: int = 3) -> list[dict]:
    props = {"id": {"type": "integer"}}
    props |= {f"col_{i}": {"type": ["string", "null"]} for i in range(properties)}
    records = [
        record_message("wide", {"id": r, **{f"col_{i}": f"v{i}.{r}" for i in range(properties)}})
        for r in range(rows)
    ]
    return [schema_message("wide", props, ["id"]), *records]


def _metadata_columns(database: Database) -> int:
    probe = [schema_message("probe", {"id": {"type": "integer"}}, ["id"])]
    run_target(database.config, [*probe, record_message("probe", {"id": 1})])
    count = len(database.columns(f"{database.prefix}PROBE")) - 1
    database.dispose()  # DuckDB: one configuration per file and process
    return count


def test_a_table_of_1000_columns_loads_and_upserts(database: Database) -> None:
    """DuckDB's MERGE ran out of memory beyond ~700 text columns; every width Oracle allows
    (1,000 columns, metadata included) loads, twice (the second run updates)."""
    properties = 1000 - 1 - _metadata_columns(database)
    messages = _wide(properties)
    run_target(database.config, messages)
    run_target(database.config, messages)
    table = database.table(f"{database.prefix}WIDE")
    assert len(database.columns(f"{database.prefix}WIDE")) == 1000
    assert database.rows(f"select count(*), max(col_{properties - 1}) from {table}") == [
        (3, f"v{properties - 1}.2")
    ]
    OracleGate().require(dry_run_transcript(messages, {"max_delete_share": 1}))


def test_one_column_more_than_oracle_allows_fails_before_any_ddl(database: Database) -> None:
    properties = 1000 - _metadata_columns(database)  # 1,001 columns in all
    run = run_target(database.config, _wide(properties, rows=1), expect_error=True)
    assert isinstance(run.error, TableDesignError)
    assert "ORA-01792" in str(run.error)
    assert f"{database.prefix}WIDE".lower() not in {t.lower() for t in database.table_names()}


PROPS_TEXT = {"id": {"type": "integer"}, "code": {"type": ["string", "null"]}}
PROPS_INT = {"id": {"type": "integer"}, "code": {"type": ["integer", "null"]}}


def test_records_keep_the_schema_they_arrived_under(database: Database) -> None:
    """A string column that the next SCHEMA calls integer keeps its text; the records sent
    under the first SCHEMA are loaded with it (none rejected)."""
    messages = [
        schema_message("codes", PROPS_TEXT, ["id"]),
        record_message("codes", {"id": 1, "code": "A-1"}),
        schema_message("codes", PROPS_INT, ["id"]),
        record_message("codes", {"id": 2, "code": 7}),
    ]
    run_target(database.config, messages)
    table = database.table(f"{database.prefix}CODES")
    assert database.rows(f"select id, code from {table} order by id") == [(1, "A-1"), (2, "7")]


def test_a_change_the_table_cannot_absorb_fails_naming_everything(database: Database) -> None:
    messages = [
        schema_message("codes", PROPS_INT, ["id"]),
        record_message("codes", {"id": 1, "code": 7}),
        schema_message("codes", {**PROPS_INT, "code": {"type": ["boolean", "null"]}}, ["id"]),
        record_message("codes", {"id": 2, "code": True}),
    ]
    run = run_target(database.config, messages, expect_error=True)
    text = str(run.error)
    assert "stream 'codes'" in text
    assert "CODE" in text.upper()
    assert "integer" in text
    assert "boolean" in text
    table = database.table(f"{database.prefix}CODES")
    assert database.rows(f"select id, code from {table}") == [(1, 7)]  # nothing lost


def test_integer_to_number_widens_the_column(database: Database) -> None:
    messages = [
        schema_message("codes", PROPS_INT, ["id"]),
        record_message("codes", {"id": 1, "code": 7}),
        schema_message("codes", {**PROPS_INT, "code": {"type": ["number", "null"]}}, ["id"]),
        record_message("codes", {"id": 2, "code": 7.5}),
    ]
    run_target(database.config, messages)
    table = database.table(f"{database.prefix}CODES")
    assert [
        (i, float(c)) for i, c in database.rows(f"select id, code from {table} order by id")
    ] == [
        (1, 7.0),
        (2, 7.5),
    ]


@pytest.mark.parametrize("hard_delete", [True, False])
def test_rows_from_before_versioning_count_as_older(database: Database, hard_delete) -> None:
    config = {**database.config, "hard_delete": hard_delete, "max_delete_share": 1}
    props = {"id": {"type": "integer"}}
    run_target(config, [schema_message("v", props, ["id"]), record_message("v", {"id": 1})])
    versioned = [
        schema_message("v", props, ["id"]),
        {"type": "ACTIVATE_VERSION", "stream": "v", "version": 5},
        record_message("v", {"id": 2}, version=5),
    ]
    run_target(config, versioned)
    table = database.table(f"{database.prefix}V")
    live = "" if hard_delete else " where sdc_deleted_at is null"
    assert database.rows(f"select id from {table}{live} order by id") == [(2,)]


def test_unknown_settings_get_one_warning_with_the_closest_name(database, caplog) -> None:
    config = {**database.config, "max_reject": 3, "load_mehtod": "upsert", "zzz_other": 1}
    with caplog.at_level(logging.WARNING, logger="target-oracle-staging"):
        run_target(config, [schema_message("s", {"id": {"type": "integer"}}, ["id"])])
    warnings = [r.getMessage() for r in caplog.records if "Unknown setting" in r.getMessage()]
    assert warnings == [
        "Unknown setting 'load_mehtod' is ignored; did you mean 'load_method'?",
        "Unknown setting 'max_reject' is ignored; did you mean 'max_rejects'?",
        "Unknown setting 'zzz_other' is ignored",
    ]


def test_a_column_that_leaves_the_key_may_be_null_again(database: Database) -> None:
    """Key (id, code) becomes (id) with code nullable: the old primary key goes, CODE takes
    NULL (no ORA-01400), the new key is enforced. DuckDB cannot change a key in place: it says
    so, naming table and both keys."""
    both = {"id": {"type": "integer"}, "code": {"type": "string", "maxLength": 10}}
    run_target(
        database.config,
        [schema_message("k", both, ["id", "code"]), record_message("k", {"id": 1, "code": "a"})],
    )
    narrower = {**both, "code": {"type": ["string", "null"], "maxLength": 10}}
    messages = [schema_message("k", narrower, ["id"]), record_message("k", {"id": 2, "code": None})]
    if database.kind == "duckdb":
        run = run_target(database.config, messages, expect_error=True)
        assert "has the primary key (ID, CODE) but the stream's key is now (ID)" in str(run.error)
        return
    run_target(database.config, messages)
    run_target(
        database.config,
        [schema_message("k", narrower, ["id"]), record_message("k", {"id": 2, "code": "b"})],
    )
    table = database.table(f"{database.prefix}K")
    assert database.rows(f"select id, code from {table} order by id") == [(1, "a"), (2, "b")]


def test_the_key_change_is_valid_oracle() -> None:
    both = {"id": {"type": "integer"}, "code": {"type": "string", "maxLength": 10}}
    narrower = {**both, "code": {"type": ["string", "null"], "maxLength": 10}}
    transcript = dry_run_transcript(
        [
            schema_message("k", both, ["id", "code"]),
            record_message("k", {"id": 1, "code": "a"}),
            schema_message("k", narrower, ["id"]),
            record_message("k", {"id": 2}),
        ]
    )
    sql = [e.sql for e in transcript if hasattr(e, "sql")]
    assert "ALTER TABLE STG_K DROP CONSTRAINT STG_K__PK" in sql
    assert "ALTER TABLE STG_K MODIFY (CODE NULL)" in sql
    assert "ALTER TABLE STG_K ADD CONSTRAINT STG_K__PK PRIMARY KEY (ID)" in sql
    OracleGate().require(transcript)
