"""A snapshot that fails mid-member must not retire the rows the previous snapshot loaded.

Meltano closes the target's stdin after a failed tap exactly as after a finished one, so the
target cannot tell the two apart; the S3 taps activate a table version only after its last record.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from testkit.marina.generator import Quirks

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("hard_delete", ["true", "false"])
def test_failed_snapshot_keeps_previous_rows(meltano, marina_export, hard_delete: str) -> None:
    first = marina_export("molo", rows=10, streams={"boats"}, when=datetime(2025, 12, 20, 5, 0, 3))
    env = {
        "TAP_MOLO_S3_LOCAL_PATH": str(first.path.parent),
        "TARGET_ORACLE_STAGING_HARD_DELETE": hard_delete,
    }
    result = meltano.run("run", "tap-molo-s3", "target-oracle-staging", **env)
    assert result.returncode == 0, result.stderr[-3000:]

    # The next export breaks on a ragged row half way through Boats.csv.
    broken = marina_export(
        "molo", rows=10, streams={"boats"}, quirks=Quirks(ragged_row="boats"), seed=7,
        when=datetime(2025, 12, 21, 5, 0, 3),
    )  # fmt: skip
    assert broken.path.parent == first.path.parent
    result = meltano.run("run", "tap-molo-s3", "target-oracle-staging", **env)
    assert result.returncode != 0
    assert f"member Boats.csv, line {broken.damaged_lines['boats']}" in result.stderr

    database = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]
    with duckdb.connect(database, read_only=True) as conn:
        live = conn.execute(
            "SELECT count(*) FROM stg_molo_boats WHERE sdc_deleted_at IS NULL"
        ).fetchone()[0]
        sources = conn.execute("SELECT DISTINCT sdc_source_key FROM stg_molo_boats").fetchall()
        statuses = conn.execute(
            "SELECT status, source_complete FROM etl_control ORDER BY started_at"
        ).fetchall()
    # The failed night is not green: the tap never said its sync completed (contract C2).
    assert statuses == [("SUCCESS", "Y"), ("INCOMPLETE", "N")]
    assert live == 10  # every row of the last good snapshot is still there and not flagged
    assert (first.path.name,) in sources
