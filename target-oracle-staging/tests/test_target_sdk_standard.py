"""The Singer SDK's standard target tests, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
import sqlalchemy as sa
from singer_sdk.testing import get_target_test_class
from target_oracle_staging.target import TargetOracleStaging

PG_URL = os.environ.get("TESTKIT_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_PG_SCHEMA = f"t_sdk_{uuid.uuid4().hex[:10]}"
# Not created here (collection alone must leave nothing behind); the target creates it.
_DUCKDB_DIR = os.path.join(tempfile.gettempdir(), f"target_oracle_staging_sdk_{uuid.uuid4().hex}")

_Duck = get_target_test_class(
    TargetOracleStaging,
    config={"database_path": f"{_DUCKDB_DIR}/warehouse.duckdb", "max_rejects": 0},
)
# PostgreSQL text cannot hold NUL characters: encoded_string_data's "\u0000" record is
# refused by the database (in text, jsonb object and jsonb array: 3 records), counted into
# ETL_REJECTS, and the run goes on (max_rejects).
_Postgres = get_target_test_class(
    TargetOracleStaging,
    config={"sqlalchemy_url": PG_URL, "default_target_schema": _PG_SCHEMA, "max_rejects": 3},
)


class TestTargetOracleStagingDuckDB(_Duck):
    """Standard tests against an embedded DuckDB file."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _clean_duckdb(cls):
        yield
        import shutil

        shutil.rmtree(_DUCKDB_DIR, ignore_errors=True)


class TestTargetOracleStagingPostgres(_Postgres):
    """Standard tests against the machine's PostgreSQL, in a schema dropped afterwards."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _clean_schema(cls):
        yield
        engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {_PG_SCHEMA} CASCADE"))
        engine.dispose()
