"""Issue 10's acceptance at the tap + target level: a bad export loaded after a good one fails,
names key and member, and every row the good export loaded keeps SDC_DELETED_AT null.

The tap's output is piped into the real target-oracle-staging CLI (DuckDB file, PostgreSQL
schema), exactly as `meltano run` pipes it; hard_delete is off so a retirement would show as
SDC_DELETED_AT set (with it on, the rows would be gone).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from testkit.marina.corpus import ROWS, BadExport, good_export, member_cases

BAD = [
    c for c in member_cases() if c.id in {"molo_member_nul_only", "molo_member_header_without_key"}
]
BIN = Path(sys.executable).parent


def _pipeline(tmp_path: Path, exports: Path, target_config: dict) -> tuple[int, int, str]:
    tap_config = tmp_path / "tap.json"
    tap_config.write_text(json.dumps({"local_path": str(exports)}))
    target_json = tmp_path / "target.json"
    target_json.write_text(json.dumps(target_config))
    tap = subprocess.Popen(
        [str(BIN / "tap-molo-s3"), "--config", str(tap_config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    target = subprocess.run(
        [str(BIN / "target-oracle-staging"), "--config", str(target_json)],
        stdin=tap.stdout,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert tap.stdout is not None
    tap.stdout.close()
    tap_stderr = tap.stderr.read().decode() if tap.stderr else ""
    return tap.wait(timeout=60), target.returncode, tap_stderr


def _live_rows(engine: sa.Engine, schema: str | None) -> tuple[int, int]:
    table = f"{schema}.stg_molo_piers" if schema else "stg_molo_piers"
    with engine.connect() as connection:
        total = connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        live = connection.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE sdc_deleted_at IS NULL")
        ).scalar_one()
    return total, live


def _run_sequence(
    tmp_path: Path, target_config: dict, engine_url: str, schema: str | None, cases: list
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    first: BadExport = cases[0]
    (exports / first.key.replace("2025", "2024", 1)).write_bytes(good_export("molo"))
    tap_rc, target_rc, _ = _pipeline(tmp_path, exports, target_config)
    assert (tap_rc, target_rc) == (0, 0)
    engine = sa.create_engine(engine_url)
    assert _live_rows(engine, schema) == (ROWS, ROWS)
    for case in cases:  # each newer than the last: the one the tap chooses
        path = case.write(exports)
        tap_rc, _, tap_stderr = _pipeline(tmp_path, exports, target_config)
        # First what matters most: no row of the good export was retired.
        assert _live_rows(engine, schema) == (ROWS, ROWS), case.id
        assert tap_rc == 1
        last = tap_stderr.strip().splitlines()[-1]
        assert f"{path} member Piers.csv, line 1" in last, last
        path.unlink()
    engine.dispose()


def test_bad_members_after_a_good_export_keep_every_row_live_in_duckdb(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    config = {"database_path": str(database), "source_name": "molo", "hard_delete": False}
    _run_sequence(tmp_path, config, f"duckdb:///{database}", None, BAD)


def test_bad_members_after_a_good_export_keep_every_row_live_in_postgresql(tmp_path, pg_url):
    config = {
        "sqlalchemy_url": pg_url.url,
        "default_target_schema": pg_url.schema,
        "source_name": "molo",
        "hard_delete": False,
    }
    # One case here (each pipeline costs two process starts); DuckDB above runs both.
    key_case = [case for case in BAD if case.id == "molo_member_header_without_key"]
    _run_sequence(tmp_path, config, pg_url.url, pg_url.schema, key_case)
