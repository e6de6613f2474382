"""Load methods, duplicate keys, ACTIVATE_VERSION and schema evolution."""

from __future__ import annotations

import pytest
from target_oracle_staging.testing import (
    Database,
    record_message,
    run_target,
    schema_message,
    state_message,
)

PROPS = {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}}


def _messages(rows: list[tuple[int, str]], stream: str = "items", **kw) -> list[dict]:
    return [
        schema_message(stream, PROPS, ["id"]),
        *[record_message(stream, {"id": i, "name": n}, **kw) for i, n in rows],
    ]


def test_duplicate_keys_in_one_batch_last_wins(database: Database) -> None:
    run = run_target(
        database.config, _messages([(1, "first"), (2, "x"), (1, "second"), (1, "last")])
    )
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name from {table} order by id") == [(1, "last"), (2, "x")]
    log = database.rows(
        f"select records_received, records_inserted, records_updated, records_rejected "
        f"from {database.table('ETL_STREAM_LOG')} where run_id = :r",
        r=run.run_id,
    )
    # 4 received = 4 loaded (2 new rows, 2 merged duplicates) + 0 rejected
    assert log == [(4, 2, 0, 0)]


def test_duplicate_keys_across_batches(database: Database) -> None:
    config = {**database.config, "batch_size_rows": 2}
    run_target(config, _messages([(1, "a"), (2, "b"), (1, "c"), (3, "d"), (2, "e")]))
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name from {table} order by id") == [
        (1, "c"),
        (2, "e"),
        (3, "d"),
    ]


def test_append_only_keeps_every_extraction(database: Database) -> None:
    config = {**database.config, "load_method": "append-only"}
    first = run_target(config, _messages([(1, "a"), (2, "b")]))
    second = run_target(config, _messages([(1, "a2")]))
    table = database.table(f"{database.prefix}ITEMS")
    rows = database.rows(f"select id, name, etl_run_id, extraction_date from {table} order by name")
    assert [(r[0], r[1]) for r in rows] == [(1, "a"), (1, "a2"), (2, "b")]
    assert [r[2] for r in rows] == [first.run_id, second.run_id, first.run_id]
    assert all(r[3] is not None for r in rows)
    assert rows[1][3] > rows[0][3]


def test_overwrite_replaces_on_success(database: Database) -> None:
    # Every earlier key disappears: more than the mass-delete guard allows by default.
    config = {
        **database.config,
        "load_method": "overwrite",
        "batch_size_rows": 2,
        "max_delete_share": 1,
    }
    run_target(config, _messages([(1, "a"), (2, "b"), (3, "c")]))
    run_target(config, _messages([(4, "d"), (5, "e"), (4, "d2")]))
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name from {table} order by id") == [(4, "d2"), (5, "e")]


def test_overwrite_keeps_previous_data_when_run_fails(database: Database) -> None:
    config = {**database.config, "load_method": "overwrite", "batch_size_rows": 2}
    run_target(config, _messages([(1, "a"), (2, "b")]))
    failing = [
        *_messages([(7, "x"), (8, "y"), (9, "z")]),
        state_message({"position": 3}),
        {"type": "RECORD", "stream": "not_declared", "record": {"id": 1}},
    ]
    run = run_target(config, failing, expect_error=True)
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name from {table} order by id") == [(1, "a"), (2, "b")]
    assert run.states == []  # nothing of the failed snapshot was committed to the table
    status = database.scalar(
        f"select status from {database.table('ETL_CONTROL')} where run_id = :r", r=run.run_id
    )
    assert status == "FAILED"
    swap = database.scalar(
        f"select count(*) from {database.table('ETL_STREAM_LOG')} where run_id = :r "
        "and status = 'FAILED'",
        r=run.run_id,
    )
    assert swap == 1


@pytest.mark.parametrize("hard_delete", [True, False])
def test_cut_off_versioned_snapshot_keeps_previous_data(
    database: Database, hard_delete: bool
) -> None:
    """Records of version 2 but no ACTIVATE_VERSION 2: the tap stopped part-way (Meltano closes
    our stdin after a failed tap just as after a finished one). Nothing may be swapped or
    retired, and the run must fail naming the stream."""
    config = {
        **database.config,
        "load_method": "overwrite",
        "hard_delete": hard_delete,
        "max_delete_share": 1,
    }
    activate = {"type": "ACTIVATE_VERSION", "stream": "items"}
    run_target(config, [*_messages([(1, "a"), (2, "b")], version=1), {**activate, "version": 1}])

    cut_off = run_target(config, _messages([(3, "c")], version=2), expect_error=True)

    assert "items (version 2)" in str(cut_off.error)
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name from {table} order by id") == [(1, "a"), (2, "b")]
    status = database.scalar(
        f"select status from {database.table('ETL_CONTROL')} where run_id = :r", r=cut_off.run_id
    )
    assert status == "FAILED"
    database.dispose()  # DuckDB: one process may not hold the file with two configurations

    # The same snapshot delivered whole (its version activated after the last record) swaps.
    complete = [*_messages([(3, "c")], version=2), {**activate, "version": 2}]
    run_target(config, complete)
    assert database.rows(f"select id, name from {table} order by id") == [(3, "c")]


@pytest.mark.parametrize("hard_delete", [True, False])
def test_activate_version_retires_rows_of_older_versions(
    database: Database, hard_delete: bool
) -> None:
    config = {**database.config, "hard_delete": hard_delete}
    # As SDK taps do: ACTIVATE_VERSION first, then the records of that version.
    version_1 = [
        {"type": "ACTIVATE_VERSION", "stream": "items", "version": 1},
        *_messages([(1, "a"), (2, "b"), (3, "c")], version=1)[1:],
    ]
    run_target(config, [schema_message("items", PROPS, ["id"]), *version_1])
    version_2 = [
        schema_message("items", PROPS, ["id"]),
        {"type": "ACTIVATE_VERSION", "stream": "items", "version": 2},
        record_message("items", {"id": 1, "name": "a"}, version=2),
        record_message("items", {"id": 3, "name": "c"}, version=2),
    ]
    run = run_target(config, version_2)
    table = database.table(f"{database.prefix}ITEMS")
    rows = database.rows(f"select id, sdc_deleted_at is not null from {table} order by id")
    if hard_delete:
        assert rows == [(1, False), (3, False)]
    else:
        assert [(r[0], bool(r[1])) for r in rows] == [(1, False), (2, True), (3, False)]
    deleted = database.scalar(
        f"select records_deleted from {database.table('ETL_STREAM_LOG')} where run_id = :r",
        r=run.run_id,
    )
    assert deleted == 1


def test_activate_version_without_record_metadata_retires_nothing(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The table has SDC_TABLE_VERSION from an earlier run, but this run writes no versions:
    retiring by version would retire the rows it just loaded."""
    run_target(database.config, _messages([(1, "a"), (2, "b")], version=1))
    config = {**database.config, "add_record_metadata": False}
    messages = [
        schema_message("items", PROPS, ["id"]),
        {"type": "ACTIVATE_VERSION", "stream": "items", "version": 2},
        record_message("items", {"id": 1, "name": "a2"}, version=2),
        record_message("items", {"id": 3, "name": "c"}, version=2),
    ]
    with caplog.at_level("WARNING"):
        run_target(config, messages)
    table = database.table(f"{database.prefix}ITEMS")
    rows = database.rows(f"select id, name, sdc_deleted_at from {table} order by id")
    assert rows == [(1, "a2", None), (2, "b", None), (3, "c", None)]
    assert any("ACTIVATE_VERSION for items ignored" in r.getMessage() for r in caplog.records)


def test_schema_evolution_adds_columns(database: Database) -> None:
    run_target(database.config, _messages([(1, "a")]))
    wider = {**PROPS, "CountryCode": {"type": ["null", "string"]}}
    run_target(
        database.config,
        [
            schema_message("items", wider, ["id"]),
            record_message("items", {"id": 2, "name": "b", "CountryCode": "NO"}),
        ],
    )
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name, country_code from {table} order by id") == [
        (1, "a", None),
        (2, "b", "NO"),
    ]


def test_incompatible_type_change_is_a_clear_error(database: Database) -> None:
    counted = {"id": {"type": "integer"}, "size": {"type": ["null", "integer"]}}
    run_target(
        database.config,
        [schema_message("items", counted, ["id"]), record_message("items", {"id": 1, "size": 3})],
    )
    changed = {"id": {"type": "integer"}, "size": {"type": ["null", "object"]}}
    run = run_target(
        database.config,
        [schema_message("items", changed, ["id"]), record_message("items", {"id": 2, "size": {}})],
        expect_error=True,
    )
    assert "SIZE_" in str(run.error)  # SIZE is reserved on Oracle: the column is SIZE_
    assert "json" in str(run.error)
    assert "'items'" in str(run.error)


def test_stream_maps_go_through_the_same_load(database: Database) -> None:
    config = {
        **database.config,
        "stream_maps": {"items": {"name_upper": "name.upper()", "__filter__": "id != 2"}},
    }
    run_target(config, _messages([(1, "a"), (2, "b"), (3, "c")]))
    table = database.table(f"{database.prefix}ITEMS")
    assert database.rows(f"select id, name, name_upper from {table} order by id") == [
        (1, "a", "A"),
        (3, "c", "C"),
    ]


def test_properties_missing_from_the_schema_are_reported(database: Database, caplog) -> None:
    messages = [
        schema_message("items", PROPS, ["id"]),
        record_message("items", {"id": 1, "name": "a", "surprise": 42}),
    ]
    run_target(database.config, messages)
    assert "property 'surprise' is not in the schema and is not loaded" in caplog.text
