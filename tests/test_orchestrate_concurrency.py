"""Two TR2000 partitions as two concurrent `meltano run` processes, as the ci Dagster job's ops
start them: one shared system database on the machine's PostgreSQL (MELTANO_DATABASE_URI), one
staging schema. Both land, each keeps its own state id, the ledger shows both runs with their ids.

The staging tables exist before the concurrent runs (a first night of one partition creates them):
two targets creating the same new table at once fail today (check-then-create in the target; an
ask for the target), which only the very first partitioned run of a new schema meets.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from orchestrate.project import load_project
from orchestrate.runner import RunResult, run_block
from testkit.tr2000.server import Tr2000Server
from testkit.tr2000.world import sample_world

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {"plants-a": [7], "plants-b": [47]}


@pytest.fixture
def system_db(pg_url) -> str:
    """Meltano's system database in a throw-away schema (Meltano creates its tables there)."""
    return f"{pg_url.url}?options={quote(f'-csearch_path={pg_url.schema}')}"


def test_two_partitions_side_by_side_on_a_shared_system_database(
    system_db, pg_url, monkeypatch
) -> None:
    staging = f"stg_{uuid.uuid4().hex[:10]}"
    partitions = {"ci": {"tap-tr2000": {n: {"TAP_TR2000_PLANT_IDS": p} for n, p in GROUPS.items()}}}
    monkeypatch.setenv("ORCHESTRATE_PARTITIONS", json.dumps(partitions))
    project = load_project(ROOT)
    job = project.jobs["tr2000-ci"]
    (block,) = job.el_blocks
    results: dict[str, RunResult] = {}
    engine = sa.create_engine(pg_url.url)
    try:
        with Tr2000Server(sample_world()) as server:
            env = {
                "MELTANO_DATABASE_URI": system_db,
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
                "TARGET_ORACLE_STAGING_SQLALCHEMY_URL": pg_url.url,
                "TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": staging,
                "TAP_TR2000_BASE_URL": server.base_url,
                "TAP_TR2000_REQUESTS_PER_SECOND": "0",
            }

            def run(partition, full_refresh: bool = True) -> RunResult:
                result = run_block(
                    ROOT,
                    "ci",
                    block,
                    suffix=partition.name,
                    guard=job.guard,
                    full_refresh=full_refresh,  # the backfill path: every plant read again
                    env={**env, **partition.env},
                    isolate=True,
                    timeout=600,
                )
                results[partition.name] = result
                return result

            # As the Dagster job does: the guard alone first (it also migrates the new system
            # database, which two first starts at once would race on), then the partitions.
            checked = run_block(ROOT, "ci", job.guard, env=env, timeout=600)
            assert checked.returncode == 0, checked.tail(40)
            partitions = project.partitions_for("ci", "tap-tr2000")
            first_night = run(partitions[0], full_refresh=False)
            assert first_night.returncode == 0, first_night.tail(60)
            threads = [threading.Thread(target=run, args=(p,)) for p in partitions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert set(results) == set(GROUPS)
        for name, result in results.items():
            assert result.returncode == 0, f"{name}:\n{result.tail(60)}"
            assert result.args[:3] == ("run", "--full-refresh", f"--state-id-suffix={name}")
        with engine.connect() as conn:
            # A full refresh saves its state as partial (Meltano merges it over the completed one).
            states = {
                state_id: {**json.loads(completed or "{}"), **json.loads(partial or "{}")}
                for state_id, completed, partial in conn.execute(
                    sa.text(
                        "SELECT state_id, completed_state, partial_state "
                        f"FROM {pg_url.schema}.state"
                    )
                )
            }
            ledger = conn.execute(
                sa.text(
                    f"SELECT meltano_run_id, status FROM {staging}.etl_control "
                    "WHERE meltano_run_id <> :first",
                ),
                {"first": first_night.run_id},
            ).all()
            plants = conn.execute(
                sa.text(f"SELECT plant_id FROM {staging}.stg_tr2000_plant_details ORDER BY 1")
            ).all()
        # Each partition's bookmarks sit under its own state id and name only its own plants.
        for name, ids in GROUPS.items():
            state_id = f"ci:tap-tr2000-to-target-oracle-staging:{name}"
            assert results[name].state_id == state_id
            assert state_id in states, sorted(states)
            issues = states[state_id]["singer_state"]["bookmarks"]["issues"]
            assert [p["context"]["PlantID"] for p in issues["partitions"]] == [str(i) for i in ids]
        assert sorted(r for r, _ in ledger) == sorted(str(r.run_id) for r in results.values())
        assert [s for _, s in ledger] == ["SUCCESS", "SUCCESS"]
        assert [str(p) for (p,) in plants] == ["47", "7"]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {staging} CASCADE"))
        engine.dispose()
