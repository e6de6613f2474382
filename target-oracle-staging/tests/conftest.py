"""Fixtures: the same tests on DuckDB, PostgreSQL, and Oracle when a DSN is given."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from target_oracle_staging.testing import Database

ORACLE_DSN_ENV = "TARGET_ORACLE_STAGING_TEST_DSN"


def _oracle_database() -> Database:
    """user/password@dsn from TARGET_ORACLE_STAGING_TEST_DSN (the live Oracle suite)."""
    raw = os.environ[ORACLE_DSN_ENV]
    credentials, dsn = raw.rsplit("@", 1)
    user, password = credentials.split("/", 1)
    prefix = f"T{uuid.uuid4().hex[:8].upper()}_"
    config = {"user": user, "password": password, "dsn": dsn, "table_prefix": prefix}
    url = sa.URL.create("oracle+oracledb", username=user, password=password)
    engine = sa.create_engine(url, connect_args={"dsn": dsn})
    return Database("oracle", config, str(url), prefix=prefix, _engine=engine)


DATABASES = ["duckdb", "postgresql"] + (["oracle"] if os.environ.get(ORACLE_DSN_ENV) else [])


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path) -> Database:
    """The same test on DuckDB, PostgreSQL, and Oracle when a test DSN is set."""
    kind = request.param
    if kind == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        db = Database(
            "duckdb",
            {"database_path": str(path), "table_prefix": "STG_TEST_"},
            f"duckdb:///{path}",
        )
    elif kind == "postgresql":
        pg = request.getfixturevalue("pg_url")
        db = Database(
            "postgresql",
            {
                "sqlalchemy_url": pg.url,
                "default_target_schema": pg.schema,
                "table_prefix": "STG_TEST_",
            },
            pg.url,
        )
    else:
        db = _oracle_database()
    yield db
    if kind == "oracle":
        _drop_oracle_tables(db)
    db.dispose()


def _drop_oracle_tables(db: Database) -> None:  # pragma: no cover - needs Oracle
    with db.engine.begin() as conn:
        names = conn.execute(
            sa.text("SELECT table_name FROM user_tables WHERE table_name LIKE :p"),
            {"p": f"{db.prefix}%"},
        ).scalars()
        for name in list(names):
            conn.execute(sa.text(f"DROP TABLE {name} PURGE"))
