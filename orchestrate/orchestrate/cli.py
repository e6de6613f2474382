"""`orchestrate`: the environment guard (a Meltano utility), crontab, cron wrapper and UI."""

from __future__ import annotations

import argparse
import sys

from orchestrate.guard import GuardError, check


def _check(args: argparse.Namespace) -> int:
    try:
        check(args.environment, args.require, shared_state=args.shared_state)
    except GuardError as exc:
        print(f"orchestrate: {exc}", file=sys.stderr)
        return 2
    return 0


def _cron(args: argparse.Namespace) -> int:
    from orchestrate.cron import crontab
    from orchestrate.project import load_project

    sys.stdout.write(crontab(load_project(), env_file=args.env_file))
    return 0


def _run_schedule(args: argparse.Namespace) -> int:
    from orchestrate.cron import SKIPPED, AlreadyRunningError, run_schedule
    from orchestrate.project import load_project

    project = load_project()
    schedule = project.schedules.get(args.name)
    if schedule is None:
        known = ", ".join(project.schedules)
        print(f"orchestrate: no schedule {args.name!r} in meltano.yml ({known})", file=sys.stderr)
        return 2
    try:
        result = run_schedule(project, schedule)
    except AlreadyRunningError as exc:
        print(f"orchestrate: {args.name} skipped: {exc}", file=sys.stderr)
        return SKIPPED
    sys.stdout.write(result.output)
    status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"orchestrate: {args.name} run {result.run_id} {status} in {result.seconds:.0f} s")
    return result.returncode


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` on this project's definitions, with a persistent DAGSTER_HOME in .meltano/."""
    import os
    from pathlib import Path

    from orchestrate.project import find_root

    home = Path(os.environ.get("DAGSTER_HOME") or find_root() / ".meltano" / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()
    os.environ["DAGSTER_HOME"] = str(home)
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        "-m",
        "orchestrate.definitions",
        "-h",
        args.host,
        "-p",
        args.port,
    ]
    os.execv(command[0], command)  # noqa: S606 - replaces this process: Ctrl-C stops dagster itself
    return 0  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orchestrate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    guard = commands.add_parser("check", help="fail unless the job runs in its environment")
    guard.add_argument("--environment", required=True)
    guard.add_argument("--require", action="append", default=[], metavar="VARIABLE")
    guard.add_argument(
        "--shared-state", action="store_true", help="require a state store workers can share"
    )
    guard.set_defaults(handler=_check)

    cron = commands.add_parser("cron", help="print crontab lines for meltano.yml's schedules")
    cron.add_argument("--env-file", help="file of VAR=value lines each cron job sources first")
    cron.set_defaults(handler=_cron)

    run = commands.add_parser("run-schedule", help="run a schedule now, unless it is still running")
    run.add_argument("name")
    run.set_defaults(handler=_run_schedule)

    ui = commands.add_parser("ui", help="start Dagster's UI and daemon on the definitions")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", default="3000")
    ui.set_defaults(handler=_ui)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
