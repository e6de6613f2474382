"""Fixtures for real local components: PostgreSQL schemas, DuckDB files, moto's S3 server."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class PostgresSchema:
    """A throw-away schema in the machine's PostgreSQL."""

    url: str
    schema: str

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with `search_path` set, so unqualified names land in this schema."""
        options = quote(f"-csearch_path={self.schema}")
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options={options}"

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.sqlalchemy_url)


@dataclass
class MotoS3:
    """moto's S3 server on loopback; boto3 talks to it like to real S3."""

    endpoint_url: str
    region: str = "us-east-1"

    def client(self):  # boto3 client types are generated at run time
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pg_url() -> Iterator[PostgresSchema]:
    base_url = os.environ.get("TESTKIT_PG_URL", DEFAULT_PG_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem, say so
        pytest.fail(f"PostgreSQL at {base_url} is not reachable: {exc}")
    try:
        yield PostgresSchema(url=base_url, schema=schema)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    from moto.server import ThreadedMotoServer

    fake_credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in fake_credentials}
    os.environ.update(fake_credentials)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield MotoS3(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_bucket(moto_s3: MotoS3) -> str:
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    moto_s3.client().create_bucket(Bucket=name)
    return name


REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class MeltanoProject:
    """Runs `meltano` in this repository with a private system database (state) per test."""

    root: Path
    env: dict[str, str]

    def run(self, *args: str, environment: str = "dev", timeout: float = 600, **env: str):
        """Run `meltano --environment=<environment> <args>`; returns the CompletedProcess."""
        import subprocess
        import sys

        meltano = Path(sys.executable).with_name("meltano")
        return subprocess.run(
            [str(meltano), f"--environment={environment}", *args],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def meltano(tmp_path: Path) -> MeltanoProject:
    """The repository's Meltano project, isolated: own state database and DuckDB file.

    Plugins must have been installed with `meltano install` (scripts/setup does it).
    """
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_SYS_DIR_ROOT": str(_private_sys_dir(tmp_path)),
        "TARGET_ORACLE_STAGING_DATABASE_PATH": str(tmp_path / "warehouse.duckdb"),
        "DBT_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),  # dbt reads what the target wrote
    }
    for utility in ("DBT_DUCKDB", "DBT_POSTGRES", "DBT_ORACLE"):  # dbt's artefacts and logs
        env.setdefault(f"{utility}_TARGET_PATH", str(tmp_path / "dbt-target"))
        env.setdefault(f"{utility}_LOG_PATH", str(tmp_path / "dbt-logs"))
    return MeltanoProject(root=REPO_ROOT, env=env)


_PLUGIN_DIRS = ("extractors", "loaders", "utilities", "transformers", "mappers", "orchestrators")


def _private_sys_dir(tmp_path: Path) -> Path:
    """The test's own `.meltano` (Meltano writes each run's catalog and config under it,
    meltano#8763), with the project's installed plugins linked in: tests run in parallel."""
    private = tmp_path / "meltano-sys"
    private.mkdir()
    for name in _PLUGIN_DIRS:
        shared = REPO_ROOT / ".meltano" / name
        if shared.exists():
            (private / name).symlink_to(shared, target_is_directory=True)
    return private


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, end-to-end tests that run the repository's Meltano project without
    the `meltano` fixture (which gives each test its own `.meltano`) share its `.meltano/run`
    folder: one worker runs those in turn."""
    for item in items:
        isolated = "meltano" in getattr(item, "fixturenames", ())
        if item.get_closest_marker("e2e") and not isolated:
            item.add_marker(pytest.mark.xdist_group("meltano-project"))
