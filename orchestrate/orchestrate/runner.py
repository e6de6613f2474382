"""Run one `meltano` process for an orchestrator: environment, run id, state id, isolated run dir.

Each run gets:
- MELTANO_ENVIRONMENT (the schedule's, never the host's default);
- MELTANO_RUN_ID (contract C3): Meltano uses it as its own run id (the variable of
  `meltano run --run-id`) and the target records it in ETL_CONTROL, so a ledger row joins to the
  Meltano run and the orchestrator's run;
- MELTANO_STATE_ID for a single extract-load block, so the target records the state id (C3);
- with `isolate`, its own MELTANO_SYS_DIR_ROOT: Meltano 4.4 writes a tap's catalog to the shared
  `.meltano/run/<tap>/tap.properties.json` (meltano/meltano#8763), so two concurrent runs of one tap
  clobber each other. The private folder links back to the installed plugin venvs and keeps the
  system database where it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrate.project import Block

# Folders of .meltano holding installed plugins, and logs (a folder per run id); run/ stays private.
_SHARED_DIRS = ("extractors", "loaders", "utilities", "mappers", "transformers", "files", "logs")


@dataclass(frozen=True)
class RunResult:
    args: tuple[str, ...]
    returncode: int
    run_id: str
    state_id: str | None
    seconds: float
    output: str  # stdout and stderr, interleaved

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def meltano_executable() -> str:
    sibling = Path(sys.executable).with_name("meltano")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("meltano")
    if not found:
        msg = "meltano is not installed next to this Python or on PATH (run scripts/setup)"
        raise FileNotFoundError(msg)
    return found


def block_args(
    block: Block,
    state_id_suffix: str | None = None,
    *,
    guard: Block | None = None,
    full_refresh: bool = False,
) -> list[str]:
    """`run [options] [<guard>] <block>`: with the job's guard first, every process checks its
    environment before it extracts anything."""
    args = ["run"]
    if full_refresh and block.is_el:
        args.append("--full-refresh")
    if state_id_suffix:
        args.append(f"--state-id-suffix={state_id_suffix}")
    return [*args, *(guard.plugins if guard else ()), *block.plugins]


@contextmanager
def isolated_sys_dir(root: Path, env: dict[str, str]):
    """A private MELTANO_SYS_DIR_ROOT whose plugin folders are the project's (see module doc)."""
    shared = Path(env.get("MELTANO_SYS_DIR_ROOT") or root / ".meltano")
    shared.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="meltano-run-", dir=shared))
    try:
        for name in _SHARED_DIRS:
            if (shared / name).exists():
                (private / name).symlink_to(shared / name, target_is_directory=True)
        env["MELTANO_SYS_DIR_ROOT"] = str(private)
        # The default system database lives in the sys dir: keep state in the shared one.
        env.setdefault("MELTANO_DATABASE_URI", f"sqlite:///{shared / 'meltano.db'}")
        yield private
    finally:
        shutil.rmtree(private, ignore_errors=True)


def run_meltano(
    root: Path,
    environment: str,
    args: Sequence[str],
    *,
    run_id: str | None = None,
    state_id: str | None = None,
    env: Mapping[str, str] | None = None,
    isolate: bool = False,
    timeout: float | None = None,
) -> RunResult:
    """`meltano <args>` in `environment`; never raises on a failed run (the result says)."""
    run_id = run_id or str(uuid.uuid4())
    full_env = {
        **os.environ,
        **(env or {}),
        "MELTANO_ENVIRONMENT": environment,
        "MELTANO_RUN_ID": run_id,
        "MELTANO_PROJECT_ROOT": str(root),
    }
    if state_id:
        full_env["MELTANO_STATE_ID"] = state_id
    else:
        full_env.pop("MELTANO_STATE_ID", None)
    command = [meltano_executable(), *args]
    started = time.monotonic()
    with _maybe_isolated(root, full_env, isolate):
        completed = subprocess.run(
            command,
            cwd=root,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    return RunResult(
        args=tuple(args),
        returncode=completed.returncode,
        run_id=run_id,
        state_id=state_id,
        seconds=time.monotonic() - started,
        output=completed.stdout,
    )


@contextmanager
def _maybe_isolated(root: Path, env: dict[str, str], isolate: bool):
    if not isolate:
        yield None
        return
    with isolated_sys_dir(root, env) as private:
        yield private


def run_block(
    root: Path,
    environment: str,
    block: Block,
    *,
    suffix: str | None = None,
    guard: Block | None = None,
    full_refresh: bool = False,
    run_id: str | None = None,
    env: Mapping[str, str] | None = None,
    isolate: bool = False,
    timeout: float | None = None,
) -> RunResult:
    """One block as its own `meltano run`; an extract-load block's state id is passed on (C3)."""
    state_id = block.state_id(environment, suffix) if block.is_el else None
    # The suffix also as the option's variable, which plugins see (the flag reaches only Meltano).
    extra = {"MELTANO_RUN_STATE_ID_SUFFIX": suffix} if suffix else {}
    return run_meltano(
        root,
        environment,
        block_args(block, suffix, guard=guard, full_refresh=full_refresh),
        run_id=run_id,
        state_id=state_id,
        env={**(env or {}), **extra},
        isolate=isolate,
        timeout=timeout,
    )
