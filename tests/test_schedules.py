"""Every meltano.yml schedule runs in the environment it was made for, whoever starts it.

One module fixture starts everything at once (the runs are mostly process start-up): the prod
schedules on a host without prod settings (they must stop in seconds, say what is missing and
write nothing), a dev job in the wrong environment, the dev marina schedule through the cron
wrapper on the bundled samples, and, in this process, the Dagster job of the dev TR2000 schedule
against the fixture API into DuckDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    build_schedule_context,
    instance_for_test,
)
from orchestrate.cron import SKIPPED, crontab, job_lock
from orchestrate.definitions import MeltanoResource, build_definitions
from orchestrate.project import load_project
from testkit.tr2000.server import Tr2000Server
from testkit.tr2000.world import sample_world

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
PROD_SETTINGS = (
    "ORACLE_USER",
    "ORACLE_DSN",
    "TARGET_ORACLE_STAGING_PASSWORD",
    "TAP_MOLO_S3_BUCKET",
    "TAP_STELLAR_S3_BUCKET",
    "MELTANO_STATE_BACKEND_URI",
)
MELTANO = str(Path(sys.executable).with_name("meltano"))
WRAPPER = str(Path(sys.executable).with_name("orchestrate"))
PLANTS = "[7, 47]"  # two plants with issues and PCS below them, small enough for seconds


@dataclass
class Finished:
    result: subprocess.CompletedProcess[str]
    seconds: float
    cpu_seconds: float

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr


def _sandbox(folder: Path) -> dict[str, str]:
    """A host without prod settings, with its own system database and dev warehouse."""
    env = {k: v for k, v in os.environ.items() if k not in PROD_SETTINGS}
    env.pop("MELTANO_ENVIRONMENT", None)
    warehouse = str(folder / "warehouse.duckdb")
    return {
        **env,
        "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TARGET_ORACLE_STAGING_DATABASE_PATH": warehouse,
        "DBT_DUCKDB_PATH": warehouse,
        "DBT_EXCLUDE_RESOURCE_TYPES": "test",  # models only: the data tests run in test_e2e_*
    }


def _start(results: dict[str, Finished], name: str, command: list[str], env: dict[str, str]):
    """Run `command` in a thread; output to files (a full pipe would stall the child)."""

    def run() -> None:
        started = time.monotonic()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=err, text=True
            )
            # wait4 gives this child's own CPU time, whatever else the machine runs.
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = code = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            results[name] = Finished(
                subprocess.CompletedProcess(command, code, out.read(), err.read()),
                time.monotonic() - started,
                usage.ru_utime + usage.ru_stime,
            )

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def _schedule(defs, name: str):
    return next(s for s in defs.schedules if s.name == name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with ExitStack() as stack:
        yield _runs(tmp_path_factory, stack)


def _runs(tmp_path_factory, stack: ExitStack) -> dict:
    folders = {n: tmp_path_factory.mktemp(n) for n in ("prod", "marina", "dagster")}
    # One system database each: Meltano's first start migrates it, which does not run concurrently.
    prod_env = _sandbox(folders["prod"])
    results: dict[str, Finished] = {}
    commands = {
        "tr2000-weekly": ["--environment=dev", "schedule", "run", "tr2000-weekly"],
        "marina-daily": ["--environment=dev", "schedule", "run", "marina-daily"],
        "wrong-env": ["--environment=ci", "run", "tr2000"],
    }
    threads = [
        _start(
            results,
            name,
            [MELTANO, *args],
            {**prod_env, "MELTANO_DATABASE_URI": f"sqlite:///{folders['prod'] / name}.db"},
        )
        for name, args in commands.items()
    ]
    # The cron wrapper, on a host whose default environment is wrong for the schedule.
    marina_env = {**_sandbox(folders["marina"]), "MELTANO_ENVIRONMENT": "ci"}
    with job_lock(ROOT, "dev", "marina"):
        skipped = subprocess.run(
            [WRAPPER, "run-schedule", "marina-daily-dev"],
            cwd=ROOT, env=marina_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    threads.append(
        _start(results, "marina-cron", [WRAPPER, "run-schedule", "marina-daily-dev"], marina_env)
    )

    # Dagster, in this process: the dev TR2000 schedule's run request, executed.
    dagster_env = _sandbox(folders["dagster"])
    with Tr2000Server(sample_world()) as server:
        overrides = {
            "MELTANO_DATABASE_URI": dagster_env["MELTANO_DATABASE_URI"],
            "TARGET_ORACLE_STAGING_DATABASE_PATH": dagster_env[
                "TARGET_ORACLE_STAGING_DATABASE_PATH"
            ],
            "DBT_DUCKDB_PATH": dagster_env["DBT_DUCKDB_PATH"],
            "DBT_EXCLUDE_RESOURCE_TYPES": "test",
            "TAP_TR2000_BASE_URL": server.base_url,
            "TAP_TR2000_PLANT_IDS": PLANTS,
            "TAP_TR2000_REQUESTS_PER_SECOND": "0",
        }
        defs = build_definitions()
        instance = stack.enter_context(instance_for_test())
        schedule = _schedule(defs, "tr2000_weekly_dev")
        request = schedule.evaluate_tick(build_schedule_context(instance)).run_requests[0]
        job = defs.get_job_def("tr2000")
        dagster_result = job.execute_in_process(
            instance=instance,
            tags=request.tags,
            resources={"meltano": MeltanoResource(project_root=str(ROOT), env=overrides)},
            raise_on_error=False,
        )
        tr2000_requests = server.count(r"^/plants/\d+/issues$")
    for thread in threads:
        thread.join(timeout=600)
    return {
        "results": results,
        "skipped": skipped,
        "prod_warehouse": Path(prod_env["TARGET_ORACLE_STAGING_DATABASE_PATH"]),
        "marina_warehouse": marina_env["TARGET_ORACLE_STAGING_DATABASE_PATH"],
        "dagster": dagster_result,
        "dagster_warehouse": overrides["TARGET_ORACLE_STAGING_DATABASE_PATH"],
        "dagster_instance": instance,
        "defs": defs,
        "request": request,
        "tr2000_requests": tr2000_requests,
    }


def test_every_schedule_is_in_meltano_and_dagster_with_its_environment(runs) -> None:
    project = load_project(ROOT)
    listed = subprocess.run(
        [MELTANO, "schedule", "list", "--format=json"],
        cwd=ROOT, env=_sandbox(Path(runs["marina_warehouse"]).parent),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr[-2000:]
    meltano_view = {s["name"]: s for s in json.loads(listed.stdout)["schedules"]["job"]}
    dagster_view = {s.name: s for s in runs["defs"].schedules}
    assert set(meltano_view) == set(project.schedules)
    assert len(dagster_view) == len(project.schedules)
    for name, schedule in project.schedules.items():
        assert meltano_view[name]["cron_interval"] == schedule.interval
        assert meltano_view[name]["env"] == {"MELTANO_ENVIRONMENT": schedule.environment}
        ours = dagster_view[name.replace("-", "_")]
        assert ours.cron_schedule == schedule.interval
        assert ours.execution_timezone == "UTC"
        assert ours.tags["meltano/environment"] == schedule.environment
        job = runs["defs"].get_job_def(ours.job_name)
        assert job.tags == {
            "meltano/job": schedule.job.name,
            "meltano/environment": schedule.environment,
        }
        assert schedule.job.blocks[0].is_guard, name  # the job checks its environment first
    assert project.schedules["tr2000-weekly"].interval == "0 2 * * 0"
    assert project.schedules["marina-daily"].interval == "0 8 * * *"
    prod = {n for n, s in project.schedules.items() if s.environment == "prod"}
    assert prod == {"tr2000-weekly", "marina-daily"}
    assert {s.environment for n, s in project.schedules.items() if n not in prod} == {"dev"}
    dbt = {b.plugins[0].split(":")[0] for n in prod for b in project.schedules[n].job.after_blocks}
    assert dbt == {"dbt-oracle"}


@pytest.mark.parametrize("name", ["tr2000-weekly", "marina-daily"])
def test_prod_schedule_without_prod_settings_stops_at_once(runs, name) -> None:
    """Started with --environment=dev on a host whose default is dev: it runs in prod, and stops."""
    finished = runs["results"][name]
    assert finished.result.returncode != 0
    # Two meltano processes and the guard: ~6 s on an idle 2-core machine. Its CPU time holds the
    # 10 s bound whatever else runs; its wall time here is shared with the fixture's other runs.
    assert finished.cpu_seconds < 10, (finished.cpu_seconds, finished.seconds)
    line = next(x for x in finished.output.splitlines() if "orchestrate: " in x)
    assert (
        "the prod environment needs ORACLE_USER, ORACLE_DSN, TARGET_ORACLE_STAGING_PASSWORD" in line
    )
    assert ("TAP_MOLO_S3_BUCKET" in line) == (name == "marina-daily")
    assert "Environment 'prod' is active" in finished.output
    assert "tap-" not in finished.output.split("orchestrate: ")[1]  # nothing started after it
    assert not runs["prod_warehouse"].exists()


def test_dev_job_refuses_another_environment(runs) -> None:
    finished = runs["results"]["wrong-env"]
    assert finished.result.returncode != 0
    assert "this job is for the 'dev' environment but runs in 'ci'" in finished.output
    assert not runs["prod_warehouse"].exists()


def test_dev_marina_schedule_through_the_cron_wrapper(runs) -> None:
    """Bundled samples into the dev DuckDB with one run id in both ledger rows; a start while the
    job holds its lock is skipped (exit 75) and says so."""
    skipped = runs["skipped"]
    assert skipped.returncode == SKIPPED, skipped.stderr
    assert "marina-daily-dev skipped: job 'marina' (dev) is still running: pid" in skipped.stderr
    finished = runs["results"]["marina-cron"]
    assert finished.result.returncode == 0, finished.output[-4000:]
    last = finished.result.stdout.strip().splitlines()[-1]
    run_id = last.split(" run ")[1].split()[0]
    assert "Environment 'dev' is active" in finished.output
    with duckdb.connect(runs["marina_warehouse"], read_only=True) as conn:
        ledger = conn.execute(
            "SELECT source_name, status, meltano_run_id FROM etl_control ORDER BY source_name"
        ).fetchall()
        piers = conn.execute("SELECT count(*) FROM dw_molo_piers").fetchone()[0]
    assert [(s, r) for s, _, r in ledger] == [("MOLO", run_id), ("STELLAR", run_id)]
    assert piers > 0


def test_dagster_runs_the_dev_tr2000_schedule_into_duckdb(runs) -> None:
    result = runs["dagster"]
    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failures
    assert runs["request"].tags["meltano/environment"] == "dev"
    ran = [e.node_name for e in result.all_events if e.is_step_success]
    # The guard alone first, the load, then the dbt step.
    assert ran == ["orchestrate__check_dev", "tap_tr2000", "dbt_duckdb__build_tr2000"]
    assert runs["tr2000_requests"] == 2  # the two plants asked for
    with duckdb.connect(runs["dagster_warehouse"], read_only=True) as conn:
        ledger = conn.execute(
            "SELECT source_name, status, meltano_run_id FROM etl_control"
        ).fetchall()
        plants = conn.execute("SELECT count(*) FROM stg_tr2000_plant_details").fetchone()[0]
        tables = {t for (t,) in conn.execute("SHOW TABLES").fetchall()}
    assert ledger == [("TR2000", "SUCCESS", result.run_id)]  # C3: joins to the Dagster run
    assert plants == 2
    assert any(t.startswith("dw_tr2000_") for t in tables), sorted(tables)


def test_dagster_schedule_skips_while_its_job_still_runs(runs) -> None:
    instance: DagsterInstance = runs["dagster_instance"]
    defs = runs["defs"]
    schedule = _schedule(defs, "tr2000_weekly_dev")
    assert isinstance(
        schedule.evaluate_tick(build_schedule_context(instance)).run_requests[0], RunRequest
    )
    running = instance.create_run_for_job(
        defs.get_job_def("tr2000"), status=DagsterRunStatus.STARTED
    )
    data = schedule.evaluate_tick(build_schedule_context(instance))
    assert not data.run_requests
    assert f"tr2000 is still running (run {running.run_id})" in data.skip_message


def test_crontab_has_one_line_per_schedule() -> None:
    project = load_project(ROOT)
    lines = crontab(project, env_file="/etc/pipeline/prod.env").splitlines()
    entries = [x for x in lines if x and not x.startswith(("#", "SHELL="))]
    assert len(entries) == len(project.schedules)
    for schedule, entry in zip(project.schedules.values(), entries, strict=True):
        assert entry.startswith(f"{schedule.interval} cd {ROOT} && ")
        assert f"run-schedule {schedule.name} >> " in entry
        assert ". /etc/pipeline/prod.env" in entry
