"""Every TR2000 stream through Meltano into DuckDB against the fixture server: a full load, an
incremental run with Meltano's saved state (only the changed plant is read), `--full-refresh`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.e2e

PLANTS = [34, 110]


def _env(base_url: str) -> dict[str, str]:
    return {
        "TAP_TR2000_BASE_URL": base_url,
        "TAP_TR2000_PLANT_IDS": json.dumps(PLANTS),
        "TAP_TR2000_REQUESTS_PER_SECOND": "0",
        "TAP_TR2000_MAX_RETRIES": "1",
        "TAP_TR2000_RETRY_BACKOFF_SECONDS": "0.05",
    }


def _counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = [
            t for (t,) in conn.execute("SHOW TABLES").fetchall() if t.startswith("stg_tr2000")
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_incremental_and_full_refresh_through_meltano(meltano, tr2000_server) -> None:
    world = tr2000_server.world
    database = Path(meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"])
    run = ["run", "tap-tr2000", "target-oracle-staging"]

    first = meltano.run(*run, **_env(tr2000_server.base_url))
    assert first.returncode == 0, first.stderr[-3000:]
    counts = _counts(database)
    assert counts["stg_tr2000_operators"] == 8
    assert counts["stg_tr2000_plants"] == 2
    assert counts["stg_tr2000_plant_details"] == 2
    assert counts["stg_tr2000_issues"] == sum(len(world.plant_worlds[p].issues) for p in PLANTS)
    assert counts["stg_tr2000_pcs"] == sum(len(world.plant_worlds[p].pcs_list) for p in PLANTS)
    for table in [
        "pcs_headers",
        "pcs_pipe_elements",
        "pcs_embedded_notes",
        "issue_sc_references",
        "issue_pipe_element_references",
    ]:
        assert counts[f"stg_tr2000_{table}"] > 0, table

    with duckdb.connect(str(database), read_only=True) as conn:
        crlf = conn.execute(
            "SELECT count(*) FROM stg_tr2000_pcs WHERE contains(notepad, chr(13) || chr(10))"
        ).fetchone()[0]
    # 25 notepads of plant 110's real PCS list hold CR LF: kept byte for byte.
    assert crlf == sum(
        "\r\n" in (row.get("Notepad") or "")
        for p in PLANTS
        for row in world.plant_worlds[p].pcs_list
    )
    assert crlf >= 25

    # Meltano hands the saved state back: a new issue revision on plant 34 reloads plant 34;
    # plant 110 did not change, so its issue list is the only call made for it.
    revision = world.publish_issue(34)
    tr2000_server.reset_log()
    second = meltano.run(*run, **_env(tr2000_server.base_url))
    assert second.returncode == 0, second.stderr[-3000:]
    calls_for_110 = [p for p in tr2000_server.paths() if p.startswith("/plants/110")]
    assert calls_for_110 == ["/plants/110/issues"]
    assert tr2000_server.count(r"^/plants/34/pcs$") == 1
    with duckdb.connect(str(database), read_only=True) as conn:
        loaded = conn.execute(
            "SELECT count(*) FROM stg_tr2000_issues WHERE plant_id = '34' AND issue_revision = ?",
            [revision],
        ).fetchone()[0]
    assert loaded == 1

    # --full-refresh: Meltano passes no state, every plant is read again.
    tr2000_server.reset_log()
    third = meltano.run("run", "--full-refresh", *run[1:], **_env(tr2000_server.base_url))
    assert third.returncode == 0, third.stderr[-3000:]
    assert tr2000_server.count(r"^/plants/110/pcs$") == 1
    assert tr2000_server.count(r"^/plants/34/pcs$") == 1


@pytest.mark.parametrize("database", ["duckdb", "postgresql"])
def test_empty_key_parts_load_and_a_second_run_changes_no_count(
    meltano, tr2000_server, request, database
) -> None:
    """MDS references whose key part `Area` is empty ('' is NULL, as on Oracle): every row
    lands, none is rejected, and loading the same data again changes no count (null-safe
    upsert: no duplicates)."""
    env = _env(tr2000_server.base_url)
    args = ["run", "tap-tr2000", "target-oracle-staging"]
    if database == "postgresql":
        pg = request.getfixturevalue("pg_url")
        env["TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA"] = pg.schema
        args = ["--environment=ci", *args]
        engine = sa.create_engine(pg.url)

        def query(sql: str) -> list[tuple]:
            with engine.connect() as conn:
                conn.execute(sa.text(f"SET search_path TO {pg.schema}"))
                return [tuple(r) for r in conn.execute(sa.text(sql))]
    else:
        path = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]

        def query(sql: str) -> list[tuple]:
            with duckdb.connect(path, read_only=True) as conn:
                return conn.execute(sql).fetchall()

    def counts() -> dict[str, int]:
        tables = [
            "stg_tr2000_issue_mds_references",
            "stg_tr2000_issues",
            "stg_tr2000_pcs",
            "stg_tr2000_pcs_headers",
        ]
        return {t: query(f"select count(*) from {t}")[0][0] for t in tables}

    first = meltano.run(*args, **env)
    assert first.returncode == 0, first.stderr[-3000:]
    before = counts()
    empty_area = query("select count(*) from stg_tr2000_issue_mds_references where area is null")
    assert empty_area[0][0] > 0
    again = meltano.run(*args[:-2], "--full-refresh", *args[-2:], **env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert counts() == before
    assert query("select count(*) from etl_rejects") == [(0,)]
    environment = "ci" if database == "postgresql" else "dev"
    assert (
        query("select status, state_id from etl_control order by started_at")
        == [
            ("SUCCESS", f"{environment}:tap-tr2000-to-target-oracle-staging"),
        ]
        * 2
    )  # the state id Meltano keeps the bookmarks under (contract C3)
