"""The mass-delete guard: a snapshot that drops most of a table fails that stream by default,
keeps every row, and loads when `max_delete_share` allows it."""

from __future__ import annotations

import pytest
from target_oracle_staging.run import MassDeleteError
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPS = {"id": {"type": "integer"}}


def _snapshot(ids: range, version: int, method: str) -> list[dict]:
    activate = {"type": "ACTIVATE_VERSION", "stream": "boats", "version": version}
    records = [record_message("boats", {"id": i}, version=version) for i in ids]
    # Upsert streams activate first (as SDK taps do); overwrite streams after the last record.
    body = [activate, *records] if method == "upsert" else [*records, activate]
    return [schema_message("boats", PROPS, ["id"]), *body]


def _live(database: Database, method: str) -> int:
    table = database.table(f"{database.prefix}BOATS")
    where = " where sdc_deleted_at is null" if method == "upsert" else ""
    count = database.scalar(f"select count(*) from {table}{where}")
    database.dispose()  # DuckDB: the target opens the file with its own configuration
    return count


@pytest.mark.parametrize("method", ["upsert", "overwrite"])
def test_a_snapshot_that_drops_80_percent_fails_then_loads_when_allowed(
    database: Database, method: str
) -> None:
    config = {**database.config, "load_method": method}
    run_target(config, _snapshot(range(100), 1, method))
    assert _live(database, method) == 100

    shrunk = _snapshot(range(20), 2, method)  # 80 of 100 rows would go
    failed = run_target(config, shrunk, expect_error=True)
    assert isinstance(failed.error, MassDeleteError)
    text = str(failed.error)
    assert "80 of the 100 rows" in text
    assert "max_delete_share=0.5" in text
    assert _live(database, method) == 100
    status = database.scalar(
        f"select status from {database.table('ETL_CONTROL')} where run_id = :r", r=failed.run_id
    )
    assert status == "FAILED"
    assert failed.states == []
    database.dispose()

    run_target({**config, "max_delete_share": 0.8}, shrunk)
    assert _live(database, method) == 20


def test_a_share_within_the_guard_retires_as_usual(database: Database) -> None:
    run_target(database.config, _snapshot(range(10), 1, "upsert"))
    run_target(database.config, _snapshot(range(6), 2, "upsert"))  # 4 of 10 go: allowed
    assert _live(database, "upsert") == 6
