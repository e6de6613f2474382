"""Alert rules against ledgers made by real target runs; delivery to real local servers."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from target_oracle_staging.ops.alerts import main as alerts_main
from target_oracle_staging.ops.alerts import run_alerts
from target_oracle_staging.ops.db import open_database
from target_oracle_staging.ops.evaluate import Evaluator
from target_oracle_staging.ops.ledger import LedgerReader
from target_oracle_staging.ops.rules import load_rules
from target_oracle_staging.ops.testing import (
    ops_settings,
    start_smtp_server,
    start_webhook_server,
)
from target_oracle_staging.target import TargetOracleStaging
from target_oracle_staging.testing import (
    Database,
    record_message,
    run_target,
    schema_message,
    to_lines,
)

PROPS = {"id": {"type": ["integer"]}, "qty": {"type": ["integer", "null"]}}
WEBHOOK_TOKEN = "hook-token-s3cr3t"


def _messages(rows: int = 3, bad: int = 0, streams: tuple[str, ...] = ("orders", "lines")):
    out = []
    for stream in streams:
        out.append(schema_message(stream, PROPS, ["id"]))
        out += [record_message(stream, {"id": i, "qty": i}) for i in range(rows)]
        out += [record_message(stream, {"id": 100 + i, "qty": "bad"}) for i in range(bad)]
    return out


def _run(database: Database, messages: list[dict], **config) -> str:
    cfg = {**database.config, "source_name": "TR2000", **config}
    return run_target(cfg, messages, expect_error=config.pop("_fail", False)).run_id


def _breaches(database: Database, rules_file: str | None = None, now=None):
    db = open_database(ops_settings(database))
    try:
        evaluator = Evaluator(LedgerReader(db), now=now)
        return evaluator.evaluate(load_rules(rules_file), 168)
    finally:
        db.dispose()


def _alert_rows(database: Database) -> list[dict]:
    with database.engine.connect() as conn:
        result = conn.execute(sa.text(f"select * from {database.table('ETL_ALERTS')}"))
        return [dict(r._mapping) for r in result]


@pytest.fixture
def smtp():
    server, controller = start_smtp_server()
    yield server
    controller.stop()


@pytest.fixture
def webhook():
    hook, httpd = start_webhook_server()
    yield hook
    httpd.shutdown()


def _delivery(smtp, webhook) -> dict:
    return {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_user": smtp.user,
        "smtp_password": smtp.password,
        "smtp_from": "etl@example.com",
        "email_to": '["ops@example.com"]',
        "webhook_url": webhook.url,
        "webhook_token": WEBHOOK_TOKEN,
    }


def test_default_rules_stay_quiet_on_clean_runs(database: Database) -> None:
    _run(database, _messages())
    _run(database, _messages())
    assert _breaches(database) == []


def test_rejects_alert_is_recorded_mailed_and_posted_once(
    database: Database, smtp, webhook, caplog
) -> None:
    _run(database, _messages())
    run_id = _run(database, _messages(bad=2), max_rejects=10)
    settings = {**ops_settings(database), **_delivery(smtp, webhook)}
    caplog.set_level(logging.DEBUG)

    result = run_alerts(settings)

    assert result.delivery_failures == 0
    rows = _alert_rows(database)
    assert sorted((r["rule_name"], r["stream_name"], r["run_id"]) for r in rows) == [
        ("rows_rejected", "lines", run_id),
        ("rows_rejected", "orders", run_id),
    ]
    assert {float(r["metric_value"]) for r in rows} == {2.0}
    assert {float(r["threshold_value"]) for r in rows} == {0.0}
    assert {(r["email_status"], r["webhook_status"]) for r in rows} == {("SENT", "SENT")}
    # The e-mail: logged in, to the recipient, with rule, stream and figures.
    assert smtp.logins == ["alerts"]
    (message,) = smtp.messages
    assert message["To"] == "ops@example.com"
    body = message.get_body(("plain",)).get_content()
    assert "rows_rejected orders: records_rejected = 2 (threshold 0)" in body
    assert f"run {run_id}" in body
    # The webhook: the same alerts as JSON, with the bearer token.
    (request,) = webhook.requests
    assert request["headers"]["Authorization"] == f"Bearer {WEBHOOK_TOKEN}"
    posted = {a["stream_name"]: a for a in request["json"]["alerts"]}
    attached = json.loads(next(p for p in message.iter_attachments()).get_content().decode("utf-8"))
    assert attached["alerts"] == request["json"]["alerts"]
    assert posted["orders"]["metric_value"] == 2
    assert posted["orders"]["rule_name"] == "rows_rejected"
    assert {r["alert_id"] for r in rows} == {a["alert_id"] for a in posted.values()}
    # Secrets: not in the log, not in the ledger.
    assert smtp.password not in caplog.text
    assert WEBHOOK_TOKEN not in caplog.text
    assert all(smtp.password not in str(r) and WEBHOOK_TOKEN not in str(r) for r in rows)

    # The same condition again: no new alert, nothing sent again.
    again = run_alerts(settings)
    assert again.breaches == 2
    assert again.new_alerts == []
    assert len(_alert_rows(database)) == 2
    assert len(smtp.messages) == 1
    assert len(webhook.requests) == 1


def test_failed_delivery_is_counted_logged_and_retried(
    tmp_path: Path, duckdb_path: Path, webhook, caplog
) -> None:
    database = Database("duckdb", {"database_path": str(duckdb_path)}, f"duckdb:///{duckdb_path}")
    _run(database, _messages(bad=1), max_rejects=10)
    webhook.status = 500
    config = tmp_path / "ops.json"
    secret_url = webhook.url + "?key=path-secret"
    config.write_text(
        json.dumps({**ops_settings(database), "webhook_url": secret_url, "webhook_token": "tkn-1"})
    )
    caplog.set_level(logging.INFO)

    assert alerts_main(["--config", str(config)]) == 2

    (row,) = [r for r in _alert_rows(database) if r["stream_name"] == "orders"]
    assert row["webhook_status"] == "FAILED"
    assert row["email_status"] == "NONE"
    assert "HTTP 500" in row["delivery_error"]
    assert "could not deliver alert rows_rejected" in caplog.text
    assert "path-secret" not in caplog.text
    assert "path-secret" not in row["delivery_error"]
    assert "tkn-1" not in caplog.text

    webhook.status = 200
    assert alerts_main(["--config", str(config)]) == 0
    (row,) = [r for r in _alert_rows(database) if r["stream_name"] == "orders"]
    assert (row["webhook_status"], row["delivery_attempts"]) == ("SENT", 2)
    assert len(webhook.requests) == 2
    database.dispose()


class _SlowInput(io.StringIO):
    """Singer input whose last line arrives late: a slow source, as the target sees it."""

    def __init__(self, text: str, delay: float) -> None:
        super().__init__(text)
        self.delay = delay
        self.lines = text.splitlines(keepends=True)

    def __iter__(self):
        for n, line in enumerate(self.lines):
            if n == len(self.lines) - 1:
                time.sleep(self.delay)
            yield line


def test_slow_run_fires_the_duration_rule(database: Database, tmp_path: Path) -> None:
    target = TargetOracleStaging(config={**database.config, "source_name": "TR2000"})
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        target.listen(_SlowInput(to_lines(_messages()), 0.6))
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "rules:\n"
        "  - {name: slow_run, kind: duration, max_seconds: 0.5}\n"
        "  - {name: slow_stream, kind: duration, scope: stream, max_seconds: 0.5, stream: lines}\n"
    )
    breaches = _breaches(database, str(rules))
    assert sorted((b.rule.name, b.stream) for b in breaches) == [
        ("slow_run", None),
        ("slow_stream", "lines"),
    ]
    assert all(b.value > 0.5 and b.threshold == 0.5 for b in breaches)
    assert _breaches(database) == []  # the shipped two-hour limit: quiet


def test_empty_extraction_fires_for_a_stream_that_usually_has_rows(database: Database) -> None:
    _run(database, _messages())
    _run(database, _messages())
    empty = _run(database, [*_messages(streams=("orders",)), schema_message("lines", PROPS)])
    missing = _run(database, _messages(streams=("orders",)))
    found = sorted((b.rule.name, b.run_id, b.stream, b.threshold) for b in _breaches(database))
    assert found == sorted(
        [
            ("empty_extraction", empty, "lines", 2),
            ("empty_extraction", missing, "lines", 2),
        ]
    )


def test_failed_run_fires_the_completion_rule(database: Database) -> None:
    failed = _run(database, _messages(bad=1), max_rejects=0, _fail=True)
    breaches = {b.rule.name: b for b in _breaches(database)}
    assert sorted(breaches) == ["rows_rejected", "run_not_completed"]  # it failed on its rejects
    breach = breaches["run_not_completed"]
    assert breach.run_id == failed
    assert "ended FAILED" in breach.message
    assert "rows rejected, more than max_rejects=0" in breach.message


def test_killed_run_fires_the_completion_rule_once_it_is_silent(pg_url, tmp_path: Path) -> None:
    # PostgreSQL only: a DuckDB file cannot be read while another process writes it.
    database = Database(
        "postgresql",
        {"sqlalchemy_url": pg_url.url, "default_target_schema": pg_url.schema},
        pg_url.url,
    )
    config = tmp_path / "target.json"
    config.write_text(json.dumps({**database.config, "source_name": "TR2000"}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "target_oracle_staging", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    proc.stdin.write(to_lines(_messages()))
    proc.stdin.flush()
    interrupted = _wait_for_running_run(database)
    proc.kill()  # no chance to write its end: the ledger says RUNNING forever
    proc.wait()

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert _breaches(database, now=now) == []  # RUNNING and recently alive: nothing yet
    later = _breaches(database, now=now + dt.timedelta(hours=3))
    assert ("run_not_completed", interrupted) in [(b.rule.name, b.run_id) for b in later]
    (breach,) = [b for b in later if b.rule.name == "run_not_completed"]
    assert "still RUNNING with no sign of life" in breach.message
    database.dispose()


def _wait_for_running_run(database: Database) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ids = []
        if sa.inspect(database.engine).has_table(
            "etl_control", schema=database.config["default_target_schema"]
        ):
            with database.engine.connect() as conn:
                ids = (
                    conn.execute(
                        sa.text(
                            f"select run_id from {database.table('ETL_CONTROL')} "
                            "where status = 'RUNNING'"
                        )
                    )
                    .scalars()
                    .all()
                )
        if ids:
            return ids[0]
        time.sleep(0.1)
    pytest.fail("the target process never recorded its run in ETL_CONTROL")


def test_staleness_rule_fires_once_the_last_load_is_old(database: Database) -> None:
    run_id = _run(database, _messages())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert _breaches(database, now=now + dt.timedelta(hours=100)) == []
    (breach,) = _breaches(database, now=now + dt.timedelta(hours=200))
    assert (breach.rule.name, breach.run_id, breach.source) == (
        "tr2000_staging_stale",
        run_id,
        "TR2000",
    )
    assert breach.value > 192


def test_email_over_starttls_verifies_the_server(database_kind_duckdb, tmp_path: Path, caplog):
    from target_oracle_staging.ops.testing import self_signed_certificate

    database = database_kind_duckdb
    _run(database, _messages(bad=1), max_rejects=10)
    cert, key = self_signed_certificate(tmp_path)
    server, controller = start_smtp_server(tls=(cert, key))
    settings = {
        **ops_settings(database),
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "starttls",
        "smtp_user": server.user,
        "smtp_password": server.password,
        "email_to": "ops@example.com",
    }
    caplog.set_level(logging.DEBUG)
    try:
        # A certificate no trusted CA signed: refused, recorded, counted, retried later.
        failed = run_alerts(settings)
        assert failed.delivery_failures == 2
        assert server.messages == []
        (row, *_) = _alert_rows(database)
        assert row["email_status"] == "FAILED"
        assert "CERTIFICATE_VERIFY_FAILED" in row["delivery_error"]
        # With the CA that signed it: STARTTLS, then AUTH, then the message.
        delivered = run_alerts({**settings, "smtp_ca_file": str(cert)})
        assert delivered.delivered == 2
        assert server.logins == ["alerts"]
        (message,) = server.messages
        assert "rows_rejected" in message["Subject"]
    finally:
        controller.stop()
    assert server.password not in caplog.text


@pytest.fixture
def database_kind_duckdb(duckdb_path: Path):
    database = Database("duckdb", {"database_path": str(duckdb_path)}, f"duckdb:///{duckdb_path}")
    yield database
    database.dispose()


def test_missing_create_privilege_is_one_line(pg_url, monkeypatch, capsys) -> None:
    database = Database(
        "postgresql",
        {"sqlalchemy_url": pg_url.url, "default_target_schema": pg_url.schema},
        pg_url.url,
    )
    _run(database, _messages(bad=1), max_rejects=10)
    database.dispose()
    # A role that can read the ledger but not create ETL_ALERTS in its schema.
    role = f"ops_ro_{pg_url.schema[2:]}"
    admin = sa.create_engine(pg_url.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {pg_url.schema} TO {role}"))
        conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {pg_url.schema} TO {role}"))
    url = sa.engine.make_url(pg_url.url).set(username=role)
    monkeypatch.setenv("ETL_OPS_SQLALCHEMY_URL", url.render_as_string(hide_password=False))
    try:
        code = alerts_main(["--schema", pg_url.schema])
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()
    assert code == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("target-oracle-staging-alerts: error: cannot create ETL_ALERTS in ")
    assert "permission denied for schema" in line
