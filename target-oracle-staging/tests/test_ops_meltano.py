"""The etl-ops utility under Meltano: `meltano run alerts` reads the loader's ledger and posts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from target_oracle_staging.ops.testing import start_webhook_server
from target_oracle_staging.testing import record_message, run_target, schema_message

pytestmark = pytest.mark.e2e


def test_alerts_job_under_meltano_posts_and_keeps_the_token_out_of_the_log(meltano) -> None:
    # The fixture points the loader at a private DuckDB file through
    # TARGET_ORACLE_STAGING_DATABASE_PATH; etl-ops must read that same file.
    path = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]
    props = {"id": {"type": ["integer"]}, "qty": {"type": ["integer", "null"]}}
    messages = [schema_message("orders", props, ["id"])]
    messages += [
        record_message("orders", {"id": 1, "qty": 1}),
        record_message("orders", {"id": 2, "qty": "x"}),
    ]
    run_id = run_target(
        {"database_path": path, "source_name": "TR2000", "max_rejects": 5}, messages
    ).run_id
    hook, httpd = start_webhook_server()
    try:
        result = meltano.run(
            "run",
            "alerts",
            ETL_OPS_WEBHOOK_URL=hook.url,
            ETL_OPS_WEBHOOK_TOKEN="tok-under-meltano",
            timeout=180,
        )
    finally:
        httpd.shutdown()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    (request,) = hook.requests
    assert request["headers"]["Authorization"] == "Bearer tok-under-meltano"
    assert [(a["rule_name"], a["run_id"], a["stream_name"]) for a in request["json"]["alerts"]] == [
        ("rows_rejected", run_id, "orders")
    ]
    assert "tok-under-meltano" not in output
    assert "1 new alert(s) in ETL_ALERTS, 1 delivered" in output
    engine = sa.create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        status = conn.execute(sa.text("select webhook_status from etl_alerts")).scalars().all()
    engine.dispose()
    assert status == ["SENT"]
