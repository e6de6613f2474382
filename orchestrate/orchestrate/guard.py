"""The first task of every job: stop at once when the job runs in the wrong environment or without
the settings it needs, before anything is extracted.

Meltano runs it as `orchestrate:check-<env>` (a utility command); it sees the environment Meltano
activated in MELTANO_ENVIRONMENT and the process environment the settings come from. Only names are
printed, never values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

SHARED_STATE_HELP = (
    "MELTANO_DATABASE_URI=postgresql+psycopg://... (a shared system database) or "
    "MELTANO_STATE_BACKEND_URI=s3://<bucket>/<prefix> (needs meltano[s3])"
)


class GuardError(Exception):
    """The job must not start; the message is the one line to show."""


def _state_is_shared(env: Mapping[str, str]) -> bool:
    backend = env.get("MELTANO_STATE_BACKEND_URI", "")
    if backend and not backend.startswith(("systemdb", "file:")):
        return True
    database = env.get("MELTANO_DATABASE_URI", "")
    return bool(database) and urlsplit(database).scheme.split("+")[0] not in ("sqlite", "")


def check(
    environment: str,
    required: Sequence[str] = (),
    *,
    shared_state: bool = False,
    env: Mapping[str, str] | None = None,
) -> None:
    """Raise GuardError unless the active environment is `environment` and `required` are set."""
    env = os.environ if env is None else env
    active = env.get("MELTANO_ENVIRONMENT", "")
    if active != environment:
        msg = (
            f"this job is for the {environment!r} environment but runs in {active or 'none'!r}: "
            f"start it with `meltano --environment={environment} run <job>` or its schedule"
        )
        raise GuardError(msg)
    missing = [name for name in required if not env.get(name, "").strip()]
    if missing:
        msg = f"the {environment} environment needs {', '.join(missing)}, not set: nothing was run"
        raise GuardError(msg)
    if shared_state and not _state_is_shared(env):
        msg = (
            f"the {environment} environment keeps state only in the local .meltano system "
            f"database, which workers cannot share: set {SHARED_STATE_HELP}; nothing was run"
        )
        raise GuardError(msg)
