"""`target-oracle-staging-rollback RUN_ID`: undo what one run loaded, where that is defined.

- append-only tables: the run's rows (ETL_RUN_ID = run) are deleted;
- overwrite tables: the previous snapshot is gone, so it cannot be restored; if the table still
  holds this run's rows, the rollback refuses unless --delete-overwritten empties them;
- upsert tables: refused (the previous values were updated in place; use the DW history).
Dry run by default; --apply does it in one transaction and marks the run ROLLED_BACK in
ETL_CONTROL and ETL_STREAM_LOG.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

import sqlalchemy as sa

from target_oracle_staging.ops.cli_common import parser, run_main
from target_oracle_staging.ops.db import open_database
from target_oracle_staging.ops.evaluate import utc_now
from target_oracle_staging.ops.ledger import (
    CONTROL,
    STREAM_LOG,
    LedgerReader,
    Row,
    reflect_columns,
)
from target_oracle_staging.ops.settings import load_settings

logger = logging.getLogger("target_oracle_staging.ops.rollback")
PROG = "target-oracle-staging-rollback"
ROLLED_BACK = "ROLLED_BACK"
ERROR_TEXT_LIMIT = 4000
EXIT_REFUSED = 4


class RollbackError(RuntimeError):
    """The rollback cannot be planned or its effect differs from the plan."""


@dataclass
class Deletion:
    stream: str
    table: sa.Table
    load_method: str
    rows: int


@dataclass
class Plan:
    run: Row
    deletions: list[Deletion] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run["run_id"]


# -- statements (plain SQLAlchemy Core: valid on Oracle, PostgreSQL and DuckDB) -----------------
def count_rows(table: sa.Table, run_id: str) -> sa.Select:
    return sa.select(sa.func.count()).select_from(table).where(table.c.etl_run_id == run_id)


def delete_rows(table: sa.Table, run_id: str) -> sa.Delete:
    return sa.delete(table).where(table.c.etl_run_id == run_id)


def mark_streams(stream_log: sa.Table, run_id: str) -> sa.Update:
    return sa.update(stream_log).where(stream_log.c.run_id == run_id).values(status=ROLLED_BACK)


def mark_run(control: sa.Table, run_id: str, error_text: str) -> sa.Update:
    return (
        sa.update(control)
        .where(control.c.run_id == run_id)
        .values(status=ROLLED_BACK, error_text=error_text[:ERROR_TEXT_LIMIT])
    )


# -- planning --------------------------------------------------------------------------------
def plan_rollback(
    reader: LedgerReader, run_id: str, *, delete_overwritten: bool = False, force: bool = False
) -> Plan:
    runs = reader.runs(run_ids=[run_id])
    if not runs:
        msg = f"run {run_id} is not in ETL_CONTROL of {reader.database.shown}"
        raise RollbackError(msg)
    plan = Plan(runs[0])
    status = (plan.run["status"] or "").upper()
    if status == ROLLED_BACK:
        plan.notes.append(f"run {run_id} is already {ROLLED_BACK}; nothing to do")
        return plan
    if status == "RUNNING" and not force:
        plan.refusals.append(
            f"run {run_id} is still RUNNING: wait for it to end; if its process is gone "
            "(killed, host lost), pass --force to roll back what it committed"
        )
    engine, schema = reader.database.engine, reader.database.schema
    metadata = sa.MetaData(schema=schema)
    with engine.connect() as conn:
        for stream in reader.streams([run_id]):
            _plan_stream(plan, conn, engine, metadata, schema, stream, delete_overwritten)
    return plan


def _plan_stream(plan, conn, engine, metadata, schema, stream: Row, delete_overwritten) -> None:
    name, method = stream["table_name"], (stream["load_method"] or "").lower()
    label = f"{name} ({method}, stream {stream['stream_name']})"
    table = reflect_columns(engine, metadata, str(name).lower(), schema) if name else None
    if table is None:
        plan.notes.append(f"{label}: the table does not exist (any more); nothing to remove")
        return
    if "etl_run_id" not in table.c:
        plan.refusals.append(f"{label}: the table has no ETL_RUN_ID column to find the run's rows")
        return
    rows = conn.execute(count_rows(table, plan.run_id)).scalar_one()
    changed = sum(stream[k] or 0 for k in ("records_inserted", "records_updated"))
    if method == "append-only":
        deleted = stream["records_deleted"] or 0
        if deleted:
            plan.refusals.append(
                f"{label}: the run also retired {deleted} rows of earlier versions "
                "(ACTIVATE_VERSION); those cannot be put back"
            )
        elif rows:
            plan.deletions.append(Deletion(stream["stream_name"], table, method, rows))
        else:
            plan.notes.append(f"{label}: no rows of this run; nothing to remove")
    elif method == "overwrite":
        if rows == 0:
            plan.notes.append(
                f"{label}: no rows of this run left (a later load replaced them); nothing to "
                "remove, and the snapshot before this run cannot be restored"
            )
        elif delete_overwritten:
            plan.deletions.append(Deletion(stream["stream_name"], table, method, rows))
            plan.notes.append(
                f"{label}: restore is not possible (the previous snapshot is gone); this run's "
                f"{rows} rows are removed and the table stays empty until the next load"
            )
        else:
            plan.refusals.append(
                f"{label}: the run replaced the whole table and the previous snapshot is gone, "
                f"so it cannot be restored; reload an earlier export (snapshot_key) or pass "
                f"--delete-overwritten to remove this run's {rows} rows"
            )
    elif rows or changed or (stream["records_deleted"] or 0):
        plan.refusals.append(
            f"{label}: the run inserted or updated rows in place ({rows} rows still carry its "
            "ETL_RUN_ID) and their previous values are gone; restore them from the warehouse "
            "history (the DW_* tables and SCD2 snapshots) instead"
        )
    else:
        plan.notes.append(f"{label}: the run changed no rows; nothing to remove")


# -- applying --------------------------------------------------------------------------------
def statements(plan: Plan, reader: LedgerReader) -> list[sa.UpdateBase]:
    note = rollback_note(plan)
    out: list[sa.UpdateBase] = [delete_rows(d.table, plan.run_id) for d in plan.deletions]
    stream_log = reader.table(STREAM_LOG)
    if stream_log is not None:
        out.append(mark_streams(stream_log, plan.run_id))
    out.append(mark_run(reader.require(CONTROL), plan.run_id, note))
    return out


def rollback_note(plan: Plan) -> str:
    removed = ", ".join(f"{d.rows} rows from {d.table.name.upper()}" for d in plan.deletions)
    note = f"ROLLED_BACK at {utc_now():%Y-%m-%d %H:%M:%S} UTC: removed {removed or 'no rows'}"
    previous = plan.run["error_text"]
    return f"{previous} | {note}" if previous else note


def apply_rollback(plan: Plan, reader: LedgerReader) -> None:
    """Everything in one transaction; a row count that differs from the plan undoes it all."""
    with reader.database.engine.begin() as conn:
        for deletion in plan.deletions:
            result = conn.execute(delete_rows(deletion.table, plan.run_id))
            if result.rowcount not in (-1, deletion.rows):
                msg = (
                    f"{deletion.table.name.upper()}: deleted {result.rowcount} rows, planned "
                    f"{deletion.rows} (another load changed it meanwhile); nothing was changed"
                )
                raise RollbackError(msg)
        for statement in statements(plan, reader)[len(plan.deletions) :]:
            conn.execute(statement)


def render_sql(statement: sa.ClauseElement, dialect: sa.Dialect) -> str:
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip()


def describe(plan: Plan, reader: LedgerReader, *, apply: bool) -> str:
    run = plan.run
    lines = [
        f"run {plan.run_id}: source {run['source_name']}, status {run['status']}, "
        f"started {run['started_at']}, ended {run['ended_at']}"
    ]
    lines += [
        f"  remove {d.rows} rows from {d.table.name.upper()} ({d.load_method}, stream {d.stream})"
        for d in plan.deletions
    ]
    lines += [f"  note: {n}" for n in plan.notes]
    lines += [f"  REFUSED: {r}" for r in plan.refusals]
    if not plan.refusals and (run["status"] or "").upper() != ROLLED_BACK:
        lines.append("  statements (one transaction):")
        dialect = reader.database.engine.dialect
        lines += [f"    {render_sql(s, dialect)};" for s in statements(plan, reader)]
        if not apply:
            lines.append("dry run: nothing changed; pass --apply to do it")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = parser(PROG, "Undo what one run loaded into the staging tables (dry run by default).")
    p.add_argument("run_id", help="RUN_ID in ETL_CONTROL")
    p.add_argument("--apply", action="store_true", help="do it (default: only show the plan)")
    p.add_argument(
        "--delete-overwritten",
        action="store_true",
        help="on overwrite tables that still hold the run's rows, delete them (empties the table)",
    )
    p.add_argument("--force", action="store_true", help="also roll back a run still RUNNING")
    args = p.parse_args(argv)
    args.prog = PROG

    def body() -> int:
        settings = load_settings(args.config, {"default_target_schema": args.default_target_schema})
        database = open_database(settings)
        try:
            reader = LedgerReader(database)
            plan = plan_rollback(
                reader, args.run_id, delete_overwritten=args.delete_overwritten, force=args.force
            )
            print(describe(plan, reader, apply=args.apply))
            if plan.refusals:
                print(f"{PROG}: refused: nothing was changed", file=sys.stderr)
                return EXIT_REFUSED
            if args.apply and (plan.run["status"] or "").upper() != ROLLED_BACK:
                apply_rollback(plan, reader)
                print(f"run {plan.run_id} rolled back and marked {ROLLED_BACK}")
            return 0
        finally:
            database.dispose()

    return run_main(args, body, (RollbackError,))


if __name__ == "__main__":
    sys.exit(main())
