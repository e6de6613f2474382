"""Rules against ledger rows: every breach with its rule, run, stream, value and threshold."""

from __future__ import annotations

import datetime as dt
import hashlib
import typing as t
from collections import defaultdict
from dataclasses import dataclass

from target_oracle_staging.ops.ledger import LedgerReader, Row
from target_oracle_staging.ops.rules import Rule

COMPLETE = "SUCCESS"


@dataclass(frozen=True)
class Breach:
    rule: Rule
    condition_key: str  # the same condition always gives the same key: no duplicate alerts
    metric: str
    value: float | None
    threshold: float | None
    message: str
    run_id: str | None = None
    source: str | None = None
    stream: str | None = None
    table: str | None = None

    @property
    def alert_id(self) -> str:
        return hashlib.sha256(self.condition_key.encode("utf-8")).hexdigest()[:32]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive_utc(value: t.Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return None


def _seconds(start: t.Any, end: t.Any) -> float | None:
    start, end = _naive_utc(start), _naive_utc(end)
    return (end - start).total_seconds() if start and end else None


class Evaluator:
    """Evaluates rules over the runs started within the look-back window."""

    def __init__(self, reader: LedgerReader, now: dt.datetime | None = None) -> None:
        self.reader = reader
        self.now = now or utc_now()
        self.all_runs = reader.runs()
        self._streams: dict[str, list[Row]] | None = None
        self._needed: set[str] = set()

    def streams_by_run(self) -> dict[str, list[Row]]:
        """ETL_STREAM_LOG rows of the runs evaluated and of their history, read once."""
        if self._streams is None:
            grouped: dict[str, list[Row]] = defaultdict(list)
            for row in self.reader.streams(sorted(self._needed)):
                grouped[row["run_id"]].append(row)
            self._streams = grouped
        return self._streams

    def _history(self, run: Row, size: int) -> list[Row]:
        """The last `size` successful runs of the run's source that started before it."""
        start = _naive_utc(run["started_at"]) or self.now
        earlier = [
            r
            for r in self.all_runs
            if r["source_name"] == run["source_name"]
            and r["status"] == COMPLETE
            and (_naive_utc(r["started_at"]) or self.now) < start
        ]
        return earlier[-size:] if size else []

    def evaluate(
        self, rules: list[Rule], lookback_hours: float, run_ids: t.Sequence[str] = ()
    ) -> list[Breach]:
        since = self.now - dt.timedelta(hours=lookback_hours)
        if run_ids:
            window = [r for r in self.all_runs if r["run_id"] in set(run_ids)]
        else:
            window = [r for r in self.all_runs if (_naive_utc(r["started_at"]) or since) >= since]
        kinds = [r for r in rules if r.kind == "empty_extraction"]
        depth = max((r.param("history_runs") for r in kinds), default=0)
        self._needed = {r["run_id"] for r in window}
        for run in window:
            self._needed |= {r["run_id"] for r in self._history(run, depth)}
        self._streams = None
        breaches: list[Breach] = []
        for rule in rules:
            check = getattr(self, f"_{rule.kind}")
            if rule.kind == "staleness":
                breaches.extend(check(rule))
                continue
            for run in window:
                if rule.matches(run["source_name"]):
                    breaches.extend(check(rule, run))
        return breaches

    def _streams_of(self, rule: Rule, run: Row) -> list[Row]:
        return [
            s
            for s in self.streams_by_run().get(run["run_id"], [])
            if rule.matches(run["source_name"], s["stream_name"])
        ]

    def _key(self, rule: Rule, run: Row, stream: str | None = None) -> str:
        return f"{rule.name}|{run['run_id']}|{stream or ''}"

    # -- the kinds ---------------------------------------------------------------------------
    def _rejects(self, rule: Rule, run: Row) -> list[Breach]:
        limit = rule.param("threshold")
        if rule.param("scope") == "run":
            value = run["records_rejected"] or 0
            if value <= limit:
                return []
            return [
                Breach(
                    rule,
                    self._key(rule, run),
                    "records_rejected",
                    value,
                    limit,
                    f"run {run['run_id']} ({run['source_name']}) rejected {value} rows "
                    f"(threshold {limit})",
                    run["run_id"],
                    run["source_name"],
                )
            ]
        out = []
        for s in self._streams_of(rule, run):
            value = s["records_rejected"] or 0
            if value > limit:
                out.append(
                    Breach(
                        rule,
                        self._key(rule, run, s["stream_name"]),
                        "records_rejected",
                        value,
                        limit,
                        f"stream {s['stream_name']} of run {run['run_id']} rejected {value} of "
                        f"{s['records_received'] or 0} rows into {s['table_name']} (threshold "
                        f"{limit}; see ETL_REJECTS)",
                        run["run_id"],
                        run["source_name"],
                        s["stream_name"],
                        s["table_name"],
                    )
                )
        return out

    def _duration(self, rule: Rule, run: Row) -> list[Breach]:
        limit = rule.param("max_seconds")
        if rule.param("scope") == "run":
            # A run still going counts up to now, so a hung run is caught before it ends.
            end = run["ended_at"] or (self.now if run["status"] == "RUNNING" else None)
            value = _seconds(run["started_at"], end)
            if value is None or value <= limit:
                return []
            return [
                Breach(
                    rule,
                    self._key(rule, run),
                    "duration_seconds",
                    round(value, 3),
                    limit,
                    f"run {run['run_id']} ({run['source_name']}) took {value:.1f} s "
                    f"(limit {limit:g} s)",
                    run["run_id"],
                    run["source_name"],
                )
            ]
        out = []
        for s in self._streams_of(rule, run):
            value = s["duration_seconds"]
            if value is None:
                value = _seconds(s["started_at"], s["ended_at"])
            if value is not None and float(value) > limit:
                out.append(
                    Breach(
                        rule,
                        self._key(rule, run, s["stream_name"]),
                        "duration_seconds",
                        round(float(value), 3),
                        limit,
                        f"stream {s['stream_name']} of run {run['run_id']} took "
                        f"{float(value):.1f} s (limit {limit:g} s)",
                        run["run_id"],
                        run["source_name"],
                        s["stream_name"],
                        s["table_name"],
                    )
                )
        return out

    def _empty_extraction(self, rule: Rule, run: Row) -> list[Breach]:
        if run["status"] != COMPLETE:  # a run that did not complete has its own alert
            return []
        history = self._history(run, rule.param("history_runs"))
        if not history:
            return []
        current = {s["stream_name"]: s for s in self._streams_of(rule, run)}
        with_rows: dict[str, int] = defaultdict(int)
        tables: dict[str, str] = {}
        for past in history:
            for s in self._streams_of(rule, past):
                if (s["records_received"] or 0) > 0:
                    with_rows[s["stream_name"]] += 1
                    tables[s["stream_name"]] = s["table_name"]
        out = []
        for stream, count in sorted(with_rows.items()):
            if count * 2 <= len(history):  # "usually": rows in more than half of the history
                continue
            row = current.get(stream)
            received = (row["records_received"] or 0) if row else 0
            if received > 0:
                continue
            how = "received 0 records" if row else "did not send the stream at all"
            out.append(
                Breach(
                    rule,
                    self._key(rule, run, stream),
                    "records_received",
                    0,
                    count,
                    f"stream {stream} of run {run['run_id']} ({run['source_name']}) {how}; it "
                    f"had rows in {count} of the previous {len(history)} successful runs",
                    run["run_id"],
                    run["source_name"],
                    stream,
                    tables.get(stream),
                )
            )
        return out

    def _incomplete_run(self, rule: Rule, run: Row) -> list[Breach]:
        status = (run["status"] or "").upper()
        if status == "RUNNING":
            alive = _naive_utc(run["heartbeat_at"]) or _naive_utc(run["started_at"])
            idle = (self.now - alive).total_seconds() / 60 if alive else None
            if idle is None or idle <= rule.param("stale_minutes"):
                return []
            what = (
                f"is still RUNNING with no sign of life for {idle:.0f} min "
                f"(limit {rule.param('stale_minutes'):g}): the process was probably killed"
            )
            return [
                Breach(
                    rule,
                    self._key(rule, run),
                    "minutes_without_heartbeat",
                    round(idle, 1),
                    rule.param("stale_minutes"),
                    f"run {run['run_id']} ({run['source_name']}) {what}",
                    run["run_id"],
                    run["source_name"],
                )
            ]
        if status not in rule.param("statuses"):
            return []
        error = (run["error_text"] or "").strip().splitlines()
        detail = f": {error[0][:300]}" if error else ""
        return [
            Breach(
                rule,
                self._key(rule, run),
                "status",
                None,
                None,
                f"run {run['run_id']} ({run['source_name']}) ended {status}{detail}",
                run["run_id"],
                run["source_name"],
            )
        ]

    def _staleness(self, rule: Rule) -> list[Breach]:
        limit = rule.param("max_age_hours")
        latest: dict[str, tuple[Row, dt.datetime]] = {}
        for run in self.all_runs:
            source = run["source_name"]
            if not rule.matches(source) or run["status"] != COMPLETE:
                continue
            if (ended := _naive_utc(run["ended_at"])) is not None:
                latest[source] = (run, ended)  # runs are ordered by start
        out = []
        for source, (run, ended) in sorted(latest.items()):
            age = (self.now - ended).total_seconds() / 3600
            if age <= limit:
                continue
            out.append(
                Breach(
                    rule,
                    f"{rule.name}|{source}|{run['run_id']}",
                    "age_hours",
                    round(age, 2),
                    limit,
                    f"staging of {source} is {age:.1f} h old (limit {limit:g} h): the last "
                    f"successful load was run {run['run_id']} ending "
                    f"{run['ended_at']:%Y-%m-%d %H:%M} UTC",
                    run["run_id"],
                    source,
                )
            )
        return out
