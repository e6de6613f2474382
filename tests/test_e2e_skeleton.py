"""The walking skeleton through Meltano: tap-tr2000 → target-oracle-staging, DuckDB and PostgreSQL.

`meltano run` with the project's real plugins (installed by `meltano install`) against the TR2000
fixture server on 127.0.0.1 serving the real sample (8 operators, 130 plants).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.e2e

SKELETON_STREAMS = json.dumps(["operators.*", "plants.*"])
FAST_RETRIES = {"TAP_TR2000_MAX_RETRIES": "2", "TAP_TR2000_RETRY_BACKOFF_SECONDS": "0.05"}


def _tap_env(base_url: str) -> dict[str, str]:
    return {"TAP_TR2000_BASE_URL": base_url, "TAP_TR2000__SELECT": SKELETON_STREAMS, **FAST_RETRIES}


def _run(meltano, base_url: str, environment: str = "dev", **env: str):
    return meltano.run(
        "run", "tap-tr2000", "target-oracle-staging", environment=environment,
        **_tap_env(base_url), **env,
    )  # fmt: skip


def _duckdb_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("stg_tr2000_operators", "stg_tr2000_plants")
        }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


def test_duckdb_loads_real_sample_idempotently(meltano, tr2000_server) -> None:
    database = Path(meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"])
    for _ in range(2):
        result = _run(meltano, tr2000_server.base_url)
        assert result.returncode == 0, result.stderr[-3000:]
        assert _duckdb_counts(database) == {"stg_tr2000_operators": 8, "stg_tr2000_plants": 130}

    with duckdb.connect(str(database), read_only=True) as conn:
        columns = {
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'stg_tr2000_plants'"
            ).fetchall()
        }
        plant = conn.execute(
            "SELECT common_lib_plant_code, long_description FROM stg_tr2000_plants "
            "WHERE plant_id = 110"
        ).fetchone()
        runs = conn.execute("SELECT status FROM etl_control ORDER BY started_at").fetchall()
    # unquoted UPPER_SNAKE names: DuckDB keeps them as created, i.e. lower case without quotes
    assert {"plant_id", "operator_id", "common_lib_plant_code", "long_description"} <= columns
    assert all(name == name.lower() for name in columns)
    assert plant == ("JSV", "Johan Sverdrup (P1 & RP)")
    assert runs == [("SUCCESS",), ("SUCCESS",)]


def test_postgres_loads_real_sample_idempotently(meltano, tr2000_server, pg_url) -> None:
    env = {"TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": pg_url.schema}
    for _ in range(2):
        result = _run(meltano, tr2000_server.base_url, environment="ci", **env)
        assert result.returncode == 0, result.stderr[-3000:]
    engine = sa.create_engine(pg_url.url)
    with engine.connect() as conn:
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {pg_url.schema}.{table}")).scalar()
            for table in ("stg_tr2000_operators", "stg_tr2000_plants")
        }
        key = (
            conn.execute(
                sa.text(
                    "SELECT kcu.column_name FROM information_schema.table_constraints tc "
                    "JOIN information_schema.key_column_usage kcu USING (constraint_schema, "
                    "constraint_name) WHERE tc.constraint_type = 'PRIMARY KEY' "
                    "AND tc.table_schema = :schema AND tc.table_name = 'stg_tr2000_plants'"
                ),
                {"schema": pg_url.schema},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert counts == {"stg_tr2000_operators": 8, "stg_tr2000_plants": 130}
    assert key == ["plant_id"]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(None, "Connection refused", id="unreachable"),
        pytest.param({"kind": "status", "status": 500}, "500", id="persistent-500"),
        pytest.param({"kind": "success_false"}, "success", id="success-false"),
    ],
)
def test_source_failure_fails_the_run_naming_the_url(
    meltano, tr2000_server, fault: dict | None, expected: str
) -> None:
    if fault is None:
        base_url = f"http://127.0.0.1:{_closed_port()}"
    else:
        base_url = tr2000_server.base_url
        tr2000_server.add_fault(r"^/plants$", **fault)
    database = Path(meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"])

    result = _run(meltano, base_url)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"{base_url}/" in output  # the failing URL is named
    assert expected.lower() in output.lower()
    # Singer has no end-of-input marker: Meltano closes the target's stdin after a failed tap just
    # as after a finished one, so the failure is Meltano's exit code; what must not happen is data.
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as conn:
            tables = {name for (name,) in conn.execute("SHOW TABLES").fetchall()}
            if "stg_tr2000_plants" in tables:
                assert conn.execute("SELECT count(*) FROM stg_tr2000_plants").fetchone()[0] == 0
