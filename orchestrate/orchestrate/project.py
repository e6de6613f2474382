"""meltano.yml as the orchestrator sees it: jobs split into blocks, schedules with environments.

Read straight from the YAML (no `meltano` process) so that loading the Dagster definitions or
printing a crontab takes milliseconds. Schedules and jobs are declared once, in meltano.yml.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENT_VARIABLE = "MELTANO_ENVIRONMENT"
PARTITIONS_VARIABLE = (
    "ORCHESTRATE_PARTITIONS"  # the utility's `partitions` setting, Meltano's env name
)
UTILITY = "orchestrate"


class ProjectError(ValueError):
    """meltano.yml does not describe what the orchestrator needs; the message says where."""


@dataclass(frozen=True)
class Block:
    """One unit `meltano run` executes: extractor [mappers] loader, or a `plugin:command`."""

    plugins: tuple[str, ...]
    is_el: bool

    @property
    def extractor(self) -> str:
        return self.plugins[0]

    @property
    def loader(self) -> str:
        return self.plugins[-1]

    @property
    def name(self) -> str:
        """A name usable as an op or file name: `tap-tr2000` or `dbt-duckdb_build-tr2000`."""
        if self.is_el:
            return self.extractor.replace("-", "_")
        return self.plugins[0].replace(":", "__").replace("-", "_")

    @property
    def is_guard(self) -> bool:
        return not self.is_el and self.plugins[0].startswith(f"{UTILITY}:")

    def state_id(self, environment: str, suffix: str | None = None) -> str:
        """The state id Meltano gives this block (`<env>:<tap>-to-<target>[:<suffix>]`)."""
        if not self.is_el:
            msg = f"block {' '.join(self.plugins)} is not an extract-load block and has no state"
            raise ProjectError(msg)
        parts = [environment, f"{self.extractor}-to-{self.loader}", suffix]
        return ":".join(p for p in parts if p)


@dataclass(frozen=True)
class Job:
    name: str
    blocks: tuple[Block, ...]
    environment: str  # from its guard task `orchestrate:check-<...>` (`--environment <name>`)

    @property
    def guard(self) -> Block | None:
        return next((b for b in self.blocks if b.is_guard), None)

    @property
    def el_blocks(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.is_el)

    @property
    def after_blocks(self) -> tuple[Block, ...]:
        """Command blocks after the last extract-load block (the warehouse step)."""
        last_el = max((i for i, b in enumerate(self.blocks) if b.is_el), default=-1)
        return tuple(b for b in self.blocks[last_el + 1 :] if not b.is_guard)


@dataclass(frozen=True)
class Schedule:
    name: str
    interval: str
    job: Job
    environment: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Partition:
    """One slice of an extractor's work: its own settings (env vars) and state id suffix."""

    name: str
    env: dict[str, str]


Partitions = dict[str, dict[str, tuple[Partition, ...]]]  # environment -> extractor -> partitions


@dataclass(frozen=True)
class MeltanoProject:
    root: Path
    jobs: dict[str, Job]
    schedules: dict[str, Schedule]
    environments: tuple[str, ...]
    partitions: Partitions

    def partitions_for(self, environment: str, extractor: str) -> tuple[Partition, ...]:
        return self.partitions.get(environment, {}).get(extractor, ())


def find_root(start: Path | None = None) -> Path:
    """The Meltano project root: MELTANO_PROJECT_ROOT, or the first parent holding meltano.yml."""
    if root := os.environ.get("MELTANO_PROJECT_ROOT"):
        return Path(root)
    here = (start or Path.cwd()).resolve()
    # Then the repository this package was installed from (editable install).
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (folder / "meltano.yml").is_file():
            return folder
    msg = f"no meltano.yml in {here} or its parents (set MELTANO_PROJECT_ROOT)"
    raise ProjectError(msg)


def _plugin_names(plugins: dict[str, Any]) -> dict[str, set[str]]:
    return {kind: {p["name"] for p in entries or []} for kind, entries in plugins.items()}


def _parse_blocks(job_name: str, tasks: list[Any], names: dict[str, set[str]]) -> tuple[Block, ...]:
    """Split a job's tasks the way `meltano run` does."""
    words: list[str] = []
    for task in tasks:
        words.extend(
            task.split() if isinstance(task, str) else [w for t in task for w in t.split()]
        )
    blocks: list[Block] = []
    pending: list[str] = []
    for word in words:
        plugin = word.split(":", 1)[0]
        if pending:
            pending.append(word)
            if plugin in names.get("loaders", set()):
                blocks.append(Block(tuple(pending), is_el=True))
                pending = []
            elif plugin not in names.get("mappers", set()):
                msg = f"meltano.yml job {job_name!r}: {word!r} follows extractor {pending[0]!r}"
                raise ProjectError(msg + " but is neither a mapper nor a loader")
        elif plugin in names.get("extractors", set()):
            pending = [word]
        elif ":" in word or plugin in names.get("utilities", set()):
            blocks.append(Block((word,), is_el=False))
        else:
            msg = f"meltano.yml job {job_name!r}: unknown plugin {word!r}"
            raise ProjectError(msg)
    if pending:
        msg = f"meltano.yml job {job_name!r}: extractor {pending[0]!r} has no loader"
        raise ProjectError(msg)
    return tuple(blocks)


def _partitions(raw: Any, where: str, environments: tuple[str, ...]) -> Partitions:
    """`{environment: {extractor: {partition name: {ENV_VAR: value}}}}`; non-strings become JSON."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            msg = f"{where}: partitions is not JSON: {exc}"
            raise ProjectError(msg) from exc
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        msg = f"{where}: partitions must map environment -> extractor -> partition name -> env vars"
        raise ProjectError(msg)
    unknown = sorted(set(raw) - set(environments))
    if unknown:
        msg = f"{where}: partitions name unknown environments {', '.join(unknown)}"
        raise ProjectError(msg)
    return {env: _extractor_partitions(groups, f"{where}, {env}") for env, groups in raw.items()}


def _extractor_partitions(raw: dict[str, Any], where: str) -> dict[str, tuple[Partition, ...]]:
    result: dict[str, tuple[Partition, ...]] = {}
    for extractor, groups in raw.items():
        if not isinstance(groups, dict) or not groups:
            msg = f"{where}: partitions of {extractor!r} must be a non-empty mapping"
            raise ProjectError(msg)
        parts = []
        for name, env in groups.items():
            if ":" in name or not isinstance(env, dict):
                msg = (
                    f"{where}: partition {extractor}/{name!r} needs a name without ':' and env vars"
                )
                raise ProjectError(msg)
            values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in env.items()}
            parts.append(Partition(name=name, env=values))
        result[extractor] = tuple(parts)
    return result


def _guard_environment(path: Path, job: str, blocks: tuple[Block, ...], utility: dict) -> str:
    """The environment a job's first task `orchestrate:<command>` checks for."""
    first = blocks[0].plugins[0] if blocks else ""
    command = first.split(":", 1)[1] if first.startswith(f"{UTILITY}:") else None
    spec = (utility.get("commands") or {}).get(command) if command else None
    args = (spec.get("args", "") if isinstance(spec, dict) else spec or "").split()
    if "--environment" not in args or args.index("--environment") + 1 >= len(args):
        msg = (
            f"{path}: job {job!r} must start with an `{UTILITY}:check-...` task whose command "
            f"passes --environment (found {first or 'no task'!r})"
        )
        raise ProjectError(msg)
    return args[args.index("--environment") + 1]


def load_project(root: Path | None = None) -> MeltanoProject:
    root = root or find_root()
    path = root / "meltano.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = _plugin_names(data.get("plugins", {}))
    utility: dict[str, Any] = next(
        (u for u in data.get("plugins", {}).get("utilities", []) if u["name"] == UTILITY), {}
    )
    environments = tuple(e["name"] for e in data.get("environments", []))
    jobs: dict[str, Job] = {}
    for raw_job in data.get("jobs", []):
        name = raw_job["name"]
        blocks = _parse_blocks(name, raw_job.get("tasks", []), names)
        environment = _guard_environment(path, name, blocks, utility)
        if environment not in environments:
            msg = (
                f"{path}: job {name!r} checks for environment {environment!r}, which is not defined"
            )
            raise ProjectError(msg)
        jobs[name] = Job(name, blocks, environment)
    schedules: dict[str, Schedule] = {}
    for raw in data.get("schedules", []):
        name = raw["name"]
        env = {k: str(v) for k, v in (raw.get("env") or {}).items()}
        scheduled_in = env.get(ENVIRONMENT_VARIABLE)
        if scheduled_in is None or scheduled_in not in environments:
            msg = (
                f"{path}: schedule {name!r} must set env {ENVIRONMENT_VARIABLE} to one of "
                f"{', '.join(environments)} (found {scheduled_in!r})"
            )
            raise ProjectError(msg)
        if raw.get("job") not in jobs:
            msg = f"{path}: schedule {name!r} names job {raw.get('job')!r}, which is not defined"
            raise ProjectError(msg)
        if jobs[raw["job"]].environment != scheduled_in:
            msg = (
                f"{path}: schedule {name!r} runs in {scheduled_in!r} but its job {raw['job']!r} "
                f"is for {jobs[raw['job']].environment!r}"
            )
            raise ProjectError(msg)
        schedules[name] = Schedule(name, raw["interval"], jobs[raw["job"]], scheduled_in, env)

    setting: dict[str, Any] = next(
        (s for s in utility.get("settings", []) if s["name"] == "partitions"), {}
    )
    where = f"{path}: utility {UTILITY!r}"
    if PARTITIONS_VARIABLE in os.environ:
        where = f"environment variable {PARTITIONS_VARIABLE}"
    raw = os.environ.get(PARTITIONS_VARIABLE, setting.get("value"))
    partitions = _partitions(raw, where, environments)
    return MeltanoProject(root, jobs, schedules, environments, partitions)
