"""Dagster definitions generated from meltano.yml: one Dagster job per Meltano job, one schedule per
Meltano schedule (same cron expression, same environment).

    dagster dev -m orchestrate.definitions        # or: orchestrate ui

Each op is one `meltano run` process (Meltano stays the unit of work):
- the job's extract-load blocks run side by side (the two marina taps; the TR2000 crawl split into
  the `partitions` of the orchestrate utility, each with its own `--state-id-suffix`), then its
  command blocks (dbt) run once after all of them;
- the job's guard task runs first, alone: a run in the wrong environment or without its settings
  stops before anything starts, and the shared system database is migrated before the parallel
  processes open it (concurrent first starts race on Meltano's migration); every later process
  checks again;
- MELTANO_RUN_ID is the Dagster run id, so ETL_CONTROL rows join to the Dagster run (contract C3).

dev jobs run their ops one after another (DuckDB admits one writer); ci and prod jobs in parallel.
"""

from __future__ import annotations

import re
from pathlib import Path

from dagster import (
    ConfigurableResource,
    DagsterRunStatus,
    Definitions,
    Failure,
    In,
    JobDefinition,
    MetadataValue,
    Nothing,
    OpDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    in_process_executor,
    job,
    multiprocess_executor,
    op,
    schedule,
)

from orchestrate.project import Block, Job, MeltanoProject, Partition, Schedule, load_project
from orchestrate.runner import run_block

SERIAL_ENVIRONMENTS = frozenset({"dev"})  # DuckDB: one writing process at a time
MAX_PARALLEL = 4
# Backfill: a run launched with this tag set to "true" runs `meltano run --full-refresh` (state
# ignored, every plant or snapshot read again, the new state saved).
FULL_REFRESH_TAG = "meltano/full-refresh"
IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


class MeltanoResource(ConfigurableResource):
    """Where the Meltano project is and how this run calls it. Secrets never go here: they come from
    the process environment of the Dagster code server, as for `meltano` itself."""

    project_root: str
    env: dict[str, str] = {}  # non-secret overrides, e.g. TAP_TR2000_BASE_URL
    timeout_seconds: int = 6 * 3600


def dagster_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def node_name(block: Block, partition: Partition | None) -> str:
    return dagster_name(f"{block.name}__{partition.name}" if partition else block.name)


def _block_op(job: Job, block: Block, partition: Partition | None, *, after: bool) -> OpDefinition:
    suffix = partition.name if partition else None
    # Op names are unique per code location: the job's name in front (nodes get the short alias).
    name = dagster_name(f"{job.name}__{node_name(block, partition)}")
    words = " ".join(block.plugins)
    description = f"meltano --environment={job.environment} run {words}" + (
        f" (state id suffix {suffix}: {partition.env})" if partition else ""
    )

    @op(
        name=name,
        description=description,
        ins={"after": In(Nothing)} if after else None,
        tags={"meltano/block": words, **({"meltano/partition": suffix} if suffix else {})},
    )
    def _run(context, meltano: MeltanoResource) -> None:
        result = run_block(
            Path(meltano.project_root),
            job.environment,
            block,
            suffix=suffix,
            guard=None if block.is_guard else job.guard,
            full_refresh=context.run.tags.get(FULL_REFRESH_TAG) == "true",
            run_id=context.run_id,
            env={**(partition.env if partition else {}), **meltano.env},
            isolate=True,
            timeout=meltano.timeout_seconds,
        )
        context.log.info(
            f"meltano {' '.join(result.args)}: exit {result.returncode} in {result.seconds:.1f} s, "
            f"state id {result.state_id}\n{result.tail()}"
        )
        if result.returncode != 0:
            raise Failure(
                description=(
                    f"`meltano {' '.join(result.args)}` ({job.environment}) failed with exit "
                    f"{result.returncode}"
                ),
                metadata={
                    "output": MetadataValue.text(result.tail(80)),
                    "state_id": result.state_id or "",
                    "meltano_run_id": result.run_id,
                },
            )

    return _run


def build_job(project: MeltanoProject, meltano_job: Job) -> JobDefinition:
    guard = meltano_job.guard
    if guard is None:  # load_project refuses such a job; a Job built by hand may lack one
        msg = f"job {meltano_job.name!r} has no guard task (orchestrate:check-<environment>)"
        raise ValueError(msg)
    guard_op = _block_op(meltano_job, guard, None, after=False).alias(node_name(guard, None))
    el_ops = [
        _block_op(meltano_job, block, partition, after=True).alias(node_name(block, partition))
        for block in meltano_job.el_blocks
        for partition in (
            project.partitions_for(meltano_job.environment, block.extractor) or (None,)
        )
    ]
    after_ops = [
        _block_op(meltano_job, b, None, after=True).alias(node_name(b, None))
        for b in meltano_job.after_blocks
    ]
    serial = meltano_job.environment in SERIAL_ENVIRONMENTS
    executor = (
        in_process_executor
        if serial
        else multiprocess_executor.configured({"max_concurrent": MAX_PARALLEL})
    )

    @job(
        name=dagster_name(meltano_job.name),
        description=f"Meltano job {meltano_job.name!r} in environment {meltano_job.environment}",
        tags={"meltano/job": meltano_job.name, "meltano/environment": meltano_job.environment},
        executor_def=executor,
    )
    def _job() -> None:
        checked = guard_op()
        done = [el(after=checked) for el in el_ops]
        for command in after_ops:
            done = [command(after=done)]

    return _job


def build_schedule(meltano_schedule: Schedule, dagster_job: JobDefinition) -> ScheduleDefinition:
    tags = {
        "meltano/schedule": meltano_schedule.name,
        "meltano/environment": meltano_schedule.environment,
    }

    @schedule(
        name=dagster_name(meltano_schedule.name),
        cron_schedule=meltano_schedule.interval,
        execution_timezone="UTC",
        job=dagster_job,
        description=(
            f"Meltano schedule {meltano_schedule.name!r}: job {meltano_schedule.job.name!r} in "
            f"{meltano_schedule.environment}"
        ),
        tags=tags,
    )
    def _schedule(context: ScheduleEvaluationContext):
        # Overlapping runs: the next tick waits for the last run of this job to end.
        running = context.instance.get_runs(
            RunsFilter(job_name=dagster_job.name, statuses=IN_PROGRESS), limit=1
        )
        if running:
            return SkipReason(f"{dagster_job.name} is still running (run {running[0].run_id})")
        return RunRequest(tags=tags)

    return _schedule


def build_definitions(project: MeltanoProject | None = None) -> Definitions:
    project = project or load_project()
    jobs = {name: build_job(project, j) for name, j in project.jobs.items()}
    schedules = [build_schedule(s, jobs[s.job.name]) for s in project.schedules.values()]
    return Definitions(
        jobs=list(jobs.values()),
        schedules=schedules,
        resources={"meltano": MeltanoResource(project_root=str(project.root))},
    )


defs = build_definitions()
