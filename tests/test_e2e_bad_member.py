"""Issue 10's acceptance through `meltano run`: a bad member (only NUL bytes; a header without
its key column) in an export loaded after a good one fails naming the key and member, and every
row the good export loaded keeps SDC_DELETED_AT null, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa
from testkit.marina.corpus import ROWS, good_export, member_cases

pytestmark = pytest.mark.e2e

BAD = {c.id: c for c in member_cases()}
CASES = ["molo_member_nul_only", "molo_member_header_without_key"]


@pytest.mark.parametrize("database", ["duckdb", "postgresql"])
def test_a_bad_member_never_retires_the_rows_of_a_good_export(
    meltano, tmp_path, request, database
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    first = BAD[CASES[0]]
    (exports / first.key.replace("2025", "2024", 1)).write_bytes(good_export("molo"))
    env = {"TAP_MOLO_S3_LOCAL_PATH": str(exports), "TARGET_ORACLE_STAGING_HARD_DELETE": "false"}
    args = ["run", "tap-molo-s3", "target-oracle-staging"]
    if database == "postgresql":
        pg = request.getfixturevalue("pg_url")
        env["TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA"] = pg.schema
        args = ["--environment=ci", *args]
        engine = sa.create_engine(pg.url)

        def live() -> tuple[int, int]:
            with engine.connect() as conn:
                table = f"{pg.schema}.stg_molo_piers"
                total = conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()
                kept = conn.execute(
                    sa.text(f"select count(*) from {table} where sdc_deleted_at is null")
                ).scalar_one()
            return total, kept
    else:
        path = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]

        def live() -> tuple[int, int]:
            with duckdb.connect(path, read_only=True) as conn:
                return conn.execute(
                    "select count(*), count(*) filter (where sdc_deleted_at is null) "
                    "from stg_molo_piers"
                ).fetchone()

    good = meltano.run(*args, **env)
    assert good.returncode == 0, good.stderr[-3000:]
    assert live() == (ROWS, ROWS)
    for case_id in CASES:  # each export newer than the last: the one the tap chooses
        bad_export = BAD[case_id].write(exports)
        bad = meltano.run(*args, **env)
        assert live() == (ROWS, ROWS), case_id  # first what matters most: nothing retired
        assert bad.returncode != 0, case_id
        assert f"{bad_export} member Piers.csv, line 1" in bad.stderr, bad.stderr[-3000:]
        bad_export.unlink()
