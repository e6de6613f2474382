"""The guard and the meltano.yml reader on their own: no processes, milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from orchestrate.guard import GuardError, check
from orchestrate.project import ProjectError, load_project

ROOT = Path(__file__).resolve().parents[1]
PROD = {"MELTANO_ENVIRONMENT": "prod", "ORACLE_USER": "stg", "ORACLE_DSN": "db:1521/X"}


def test_guard_names_what_is_missing_never_values() -> None:
    with pytest.raises(GuardError) as caught:
        check("prod", ["ORACLE_USER", "ORACLE_DSN", "X_PASSWORD"], env={**PROD, "ORACLE_DSN": " "})
    assert str(caught.value) == (
        "the prod environment needs ORACLE_DSN, X_PASSWORD, not set: nothing was run"
    )
    with pytest.raises(GuardError, match="for the 'prod' environment but runs in 'dev'"):
        check("prod", [], env={"MELTANO_ENVIRONMENT": "dev"})
    with pytest.raises(GuardError, match="runs in 'none'"):
        check("dev", [], env={})
    check("prod", ["ORACLE_USER"], env=PROD)


@pytest.mark.parametrize(
    ("state", "shared"),
    [
        ({}, False),
        ({"MELTANO_DATABASE_URI": "sqlite:////srv/meltano.db"}, False),
        ({"MELTANO_STATE_BACKEND_URI": "systemdb"}, False),
        ({"MELTANO_STATE_BACKEND_URI": "file:///srv/state"}, False),
        ({"MELTANO_DATABASE_URI": "postgresql+psycopg://meltano@db/meltano"}, True),
        ({"MELTANO_STATE_BACKEND_URI": "s3://bucket/meltano-state"}, True),
    ],
)
def test_guard_wants_a_shared_state_store_in_prod(state, shared) -> None:
    env = {**PROD, **state}
    if shared:
        check("prod", [], shared_state=True, env=env)
    else:
        with pytest.raises(GuardError, match=r"keeps state only in the local \.meltano"):
            check("prod", [], shared_state=True, env=env)


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "meltano.yml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "meltano.yml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_schedule_and_job_disagreeing_on_the_environment_is_an_error(tmp_path) -> None:
    root = _broken(
        tmp_path,
        "  job: tr2000-prod\n  env: {MELTANO_ENVIRONMENT: prod}",
        "  job: tr2000-prod\n  env: {MELTANO_ENVIRONMENT: dev}",
    )
    with pytest.raises(ProjectError, match="schedule 'tr2000-weekly' runs in 'dev' but its job"):
        load_project(root)


def test_schedule_without_environment_is_an_error(tmp_path) -> None:
    root = _broken(tmp_path, "  job: marina\n  env: {MELTANO_ENVIRONMENT: dev}", "  job: marina")
    with pytest.raises(
        ProjectError, match=r"meltano\.yml: schedule 'marina-daily-dev' must set env"
    ):
        load_project(root)


def test_job_without_guard_is_an_error(tmp_path) -> None:
    root = _broken(tmp_path, "  - orchestrate:check-ci\n  - tap-tr2000", "  - tap-tr2000")
    with pytest.raises(
        ProjectError, match="job 'tr2000-ci' must start with an `orchestrate:check-"
    ):
        load_project(root)


def test_partitions_come_from_the_utility_or_the_environment(monkeypatch) -> None:
    project = load_project(ROOT)
    ci = project.partitions_for("ci", "tap-tr2000")
    assert [p.name for p in ci] == ["plants-a", "plants-b"]
    assert project.partitions_for("prod", "tap-tr2000") == ()  # prod: one crawl of every plant
    monkeypatch.setenv(
        "ORCHESTRATE_PARTITIONS", json.dumps({"dev": {"tap-tr2000": {"a": {"X": [1]}}}})
    )
    (only,) = load_project(ROOT).partitions_for("dev", "tap-tr2000")
    assert only.env == {"X": "[1]"}
    monkeypatch.setenv("ORCHESTRATE_PARTITIONS", json.dumps({"qa": {}}))
    with pytest.raises(ProjectError, match="ORCHESTRATE_PARTITIONS: partitions name unknown"):
        load_project(ROOT)


def test_state_ids_are_meltanos() -> None:
    block = load_project(ROOT).jobs["tr2000-ci"].el_blocks[0]
    assert block.state_id("ci") == "ci:tap-tr2000-to-target-oracle-staging"
    assert block.state_id("ci", "plants-a") == "ci:tap-tr2000-to-target-oracle-staging:plants-a"


def test_each_process_is_one_block_behind_its_guard() -> None:
    from orchestrate.runner import block_args

    job = load_project(ROOT).jobs["tr2000-ci"]
    (block,) = job.el_blocks
    assert block_args(block, "plants-a", guard=job.guard, full_refresh=True) == [
        "run",
        "--full-refresh",
        "--state-id-suffix=plants-a",
        "orchestrate:check-ci",
        "tap-tr2000",
        "target-oracle-staging",
    ]
    (dbt,) = job.after_blocks
    assert block_args(dbt, full_refresh=True) == ["run", "dbt-postgres:build-tr2000"]
