"""ETL_ALERTS: one row per breached condition (the id is a hash of the condition, so never two)."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.dialects import oracle

from target_oracle_staging.ops.db import DatabaseError
from target_oracle_staging.ops.evaluate import Breach, utc_now
from target_oracle_staging.ops.ledger import ALERTS, LedgerReader, Row

MESSAGE_LIMIT = 1000  # characters; 4 bytes each under AL32UTF8 still fit VARCHAR2's 4000 bytes
MAX_ATTEMPTS = 3  # deliveries of one alert tried at most this often (once per evaluation)

SENT, FAILED, NOT_CONFIGURED = "SENT", "FAILED", "NONE"
# NUMBER(38,6) on Oracle (SQLAlchemy would write the ANSI NUMERIC), NUMERIC/DECIMAL elsewhere.
FIGURE = sa.Numeric(38, 6).with_variant(oracle.NUMBER(38, 6), "oracle")


def alerts_table(metadata: sa.MetaData) -> sa.Table:
    """Plain SQLAlchemy types: VARCHAR2(n CHAR)/NUMBER/TIMESTAMP on Oracle, the same elsewhere."""
    return sa.Table(
        ALERTS,
        metadata,
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("condition_key", sa.String(1000), nullable=False),
        sa.Column("rule_name", sa.String(128), nullable=False),
        sa.Column("rule_kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(36)),
        sa.Column("source_name", sa.String(128)),
        sa.Column("stream_name", sa.String(256)),
        sa.Column("table_name", sa.String(128)),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("metric_value", FIGURE),
        sa.Column("threshold_value", FIGURE),
        sa.Column("message", sa.String(MESSAGE_LIMIT)),
        sa.Column("raised_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("email_status", sa.String(16)),
        sa.Column("webhook_status", sa.String(16)),
        sa.Column("delivery_attempts", sa.Integer()),
        sa.Column("delivered_at", sa.TIMESTAMP()),
        sa.Column("delivery_error", sa.String(MESSAGE_LIMIT)),
        schema=metadata.schema,
    )


class AlertStore:
    def __init__(self, reader: LedgerReader) -> None:
        self.reader = reader
        self.engine = reader.database.engine

    def ensure_table(self) -> sa.Table:
        table = self.reader.table(ALERTS)
        if table is not None:
            return table
        created = alerts_table(sa.MetaData(schema=self.reader.database.schema))
        try:
            created.create(self.engine, checkfirst=True)
        except sa.exc.DatabaseError as exc:
            # Another evaluation may have created it between the check and the CREATE.
            self.reader.forget(ALERTS)
            if self.reader.table(ALERTS) is None:  # a real failure (privileges, ...)
                database = self.reader.database
                cause = (str(exc.orig or exc).strip().splitlines() or [""])[0]
                msg = f"cannot create {ALERTS.upper()} in {database.shown}: {cause}"
                raise DatabaseError(msg) from None
        self.reader.forget(ALERTS)
        return self.reader.require(ALERTS)

    def record(self, breaches: list[Breach]) -> list[str]:
        """Insert the breaches not recorded before; returns the ids of the new ones."""
        try:
            return self._record(breaches)
        except sa.exc.IntegrityError:
            # Two pipelines ending together evaluate the same ledger: the other one recorded
            # some of these first (the primary key said so). Read again and insert the rest.
            return self._record(breaches)

    def _record(self, breaches: list[Breach]) -> list[str]:
        table = self.ensure_table()
        new: list[str] = []
        with self.engine.begin() as conn:
            ids = [b.alert_id for b in breaches]
            known: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                known |= set(
                    conn.execute(sa.select(table.c.alert_id).where(table.c.alert_id.in_(chunk)))
                    .scalars()
                    .all()
                )
            now = utc_now()
            for breach in breaches:
                if breach.alert_id in known:
                    continue
                known.add(breach.alert_id)  # one evaluation may find the same condition twice
                conn.execute(sa.insert(table).values(**self._values(breach, now)))
                new.append(breach.alert_id)
        return new

    @staticmethod
    def _values(breach: Breach, now: t.Any) -> dict[str, t.Any]:
        return {
            "alert_id": breach.alert_id,
            "condition_key": breach.condition_key[:1000],
            "rule_name": breach.rule.name[:128],
            "rule_kind": breach.rule.kind,
            "severity": breach.rule.severity,
            "run_id": breach.run_id,
            "source_name": breach.source,
            "stream_name": breach.stream,
            "table_name": breach.table,
            "metric": breach.metric,
            "metric_value": breach.value,
            "threshold_value": breach.threshold,
            "message": breach.message[:MESSAGE_LIMIT],
            "raised_at": now,
            "delivery_attempts": 0,
        }

    def pending(self) -> list[Row]:
        """Alerts whose delivery has not succeeded yet and has attempts left."""
        table = self.ensure_table()
        not_done = sa.or_(
            table.c.email_status.is_(None),
            table.c.email_status == FAILED,
            table.c.webhook_status.is_(None),
            table.c.webhook_status == FAILED,
        )
        query = (
            sa.select(table)
            .where(not_done)
            .where(sa.func.coalesce(table.c.delivery_attempts, 0) < MAX_ATTEMPTS)
            .order_by(table.c.raised_at, table.c.alert_id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def mark(
        self, alert_id: str, email: str | None, webhook: str | None, error: str | None
    ) -> None:
        table = self.ensure_table()
        values: dict[str, t.Any] = {
            "delivery_attempts": sa.func.coalesce(table.c.delivery_attempts, 0) + 1,
            "delivery_error": error[:MESSAGE_LIMIT] if error else None,
        }
        if email is not None:
            values["email_status"] = email
        if webhook is not None:
            values["webhook_status"] = webhook
        if email in (SENT, NOT_CONFIGURED, None) and webhook in (SENT, NOT_CONFIGURED, None):
            values["delivered_at"] = utc_now()
        with self.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.alert_id == alert_id).values(**values))

    def all(self) -> list[Row]:
        table = self.reader.table(ALERTS)
        if table is None:
            return []
        with self.engine.connect() as conn:
            query = sa.select(table).order_by(table.c.raised_at.desc(), table.c.alert_id)
            return [dict(r._mapping) for r in conn.execute(query)]
