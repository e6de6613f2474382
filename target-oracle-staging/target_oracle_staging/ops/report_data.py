"""What the run report shows, read from the ledger (and the warehouse's reconciliation view)."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from target_oracle_staging.ops.alert_store import AlertStore
from target_oracle_staging.ops.db import Database
from target_oracle_staging.ops.evaluate import _naive_utc, _seconds, utc_now
from target_oracle_staging.ops.ledger import LedgerReader, Row, reflect_columns

RECONCILIATION_VIEW = "v_etl_reconciliation"


@dataclass
class ReportData:
    generated_at: dt.datetime
    database: str
    since: dt.datetime
    runs: list[Row]
    streams: list[Row]
    rejects: list[Row]
    alerts: list[Row]
    reconciliation: list[Row] | None  # None: the view does not exist (dbt not run yet)
    reconciliation_where: str = ""
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def status_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r["status"] or "UNKNOWN" for r in self.runs).items()))

    def latest_per_source(self) -> list[Row]:
        latest: dict[str, Row] = {}
        for run in self.runs:
            latest[run["source_name"] or ""] = run
        return [latest[k] for k in sorted(latest)]

    def streams_by_run(self) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = defaultdict(list)
        for s in self.streams:
            grouped[s["run_id"]].append(s)
        return grouped

    def reject_codes(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for r in self.rejects:
            counts[r["error_code"] or "(none)"] += int(r["rejects"])
        return dict(counts.most_common())


def _duration(run: Row) -> float | None:
    return _seconds(run["started_at"], run["ended_at"])


def collect(
    database: Database, days: float, warehouse_schema: str | None = None, now=None
) -> ReportData:
    reader = LedgerReader(database)
    now = now or utc_now()
    since = now - dt.timedelta(days=days)
    runs = reader.runs(since=since)
    for run in runs:
        run["duration_seconds"] = _duration(run)
        run["started_at"] = _naive_utc(run["started_at"])
    ids = [r["run_id"] for r in runs]
    streams = reader.streams(ids) if ids else []
    rejects = reader.reject_summary(ids)
    alerts = [a for a in AlertStore(reader).all() if (a["raised_at"] or now) >= since]
    reconciliation, where = _reconciliation(database, warehouse_schema)
    totals = {
        "runs": len(runs),
        "records_received": sum(r["records_received"] or 0 for r in runs),
        "records_loaded": sum(r["records_loaded"] or 0 for r in runs),
        "records_rejected": sum(r["records_rejected"] or 0 for r in runs),
        "alerts": len(alerts),
    }
    return ReportData(
        now, database.shown, since, runs, streams, rejects, alerts, reconciliation, where, totals
    )


def _reconciliation(database: Database, schema: str | None) -> tuple[list[Row] | None, str]:
    """The dbt monitoring view V_ETL_RECONCILIATION, shown column by column as it is."""
    import sqlalchemy as sa

    schema = (schema or database.schema or "").lower() or None
    where = f"{schema}.{RECONCILIATION_VIEW}" if schema else RECONCILIATION_VIEW
    inspector = sa.inspect(database.engine)
    views = [v.lower() for v in inspector.get_view_names(schema=schema)]
    if RECONCILIATION_VIEW not in views and not inspector.has_table(RECONCILIATION_VIEW, schema):
        return None, where
    view = reflect_columns(database.engine, sa.MetaData(), RECONCILIATION_VIEW, schema)
    if view is None:
        return None, where
    with database.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(view).limit(1000))]
    return rows, where


def typed(value: t.Any) -> t.Any:
    """Numbers as numbers and times as text, for the page and its data attributes."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value
