"""End to end through Meltano: both S3 taps into target-oracle-staging, every table checked."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pytest
import sqlalchemy as sa
from testkit.marina.fixtures import upload_export

pytestmark = pytest.mark.e2e


def _column(name: str) -> str:
    """The target's name rule, lower-cased as PostgreSQL/DuckDB fold unquoted names."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return snake.strip("_").lower()


def _check_run(result) -> None:
    assert result.returncode == 0, result.stderr[-4000:]


def _assert_tables(query, prefix: str, export) -> None:
    from testkit.marina.generator import load_spec

    kind = "molo" if prefix.startswith("stg_molo") else "stellar"
    tables = {table["stream"]: table for table in load_spec(kind)["tables"]}
    for stream, count in export.rows.items():
        key = [_column(name) for name in tables[stream]["key"]]
        rows = query(f"SELECT {', '.join(key)} FROM {prefix}{stream} ORDER BY {', '.join(key)}")
        loaded = sorted(tuple(str(value) for value in row) for row in rows)
        assert len(loaded) == count, stream
        assert loaded == sorted(export.keys[stream]), stream


def test_molo_from_s3_into_duckdb(meltano, moto_s3, s3_bucket, marina_export, tmp_path):
    older = marina_export("molo", rows=4, when=datetime(2025, 12, 20, 5, 0, 3), seed=1)
    export = marina_export("molo", rows=12, when=datetime(2025, 12, 21, 5, 0, 3))
    client = moto_s3.client()
    upload_export(client, s3_bucket, older.path.name, older.path)
    upload_export(client, s3_bucket, export.path.name, export.path)
    env = {
        "TAP_MOLO_S3_LOCAL_PATH": "",
        "TAP_MOLO_S3_BUCKET": s3_bucket,
        "TAP_MOLO_S3_ENDPOINT_URL": moto_s3.endpoint_url,
    }
    _check_run(meltano.run("run", "tap-molo-s3", "target-oracle-staging", **env))
    database = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]
    with duckdb.connect(database, read_only=True) as connection:
        _assert_tables(lambda sql: connection.sql(sql).fetchall(), "stg_molo_", export)
        sources = connection.sql("SELECT DISTINCT sdc_source_key FROM stg_molo_boats").fetchall()
        assert sources == [(export.path.name,)]

    # Same snapshot again: the tap's state skips it and the tables keep their rows.
    second = meltano.run("run", "tap-molo-s3", "target-oracle-staging", **env)
    _check_run(second)
    assert "was already loaded" in second.stderr
    with duckdb.connect(database, read_only=True) as connection:
        _assert_tables(lambda sql: connection.sql(sql).fetchall(), "stg_molo_", export)


def test_stellar_from_local_folder_into_postgresql(meltano, pg_url, marina_export):
    export = marina_export("stellar", rows=15, when=datetime(2025, 12, 21, 7, 1))
    env = {
        "TAP_STELLAR_S3_LOCAL_PATH": str(export.path.parent),
        "TARGET_ORACLE_STAGING_SQLALCHEMY_URL": pg_url.url,
        "TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": pg_url.schema,
    }
    result = meltano.run("run", "tap-stellar-s3", "target-oracle-staging", environment="ci", **env)
    _check_run(result)
    engine = sa.create_engine(pg_url.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            _assert_tables(
                lambda sql: connection.execute(sa.text(sql)).fetchall(), "stg_stellar_", export
            )
            styles = connection.execute(sa.text("SELECT * FROM stg_stellar_styles")).keys()
            source_columns = [name for name in styles if not name.startswith(("sdc_", "etl_"))]
            assert len(source_columns) == 124
    finally:
        engine.dispose()
